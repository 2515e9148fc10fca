"""The import graph of breach/, notices/ and flows/: import circles and layer breaches, or nothing.

Every ``import`` counts, also those inside functions and under ``if TYPE_CHECKING:`` (a circle that
only type checking sees is still two modules that need each other). An import names the deepest
module it reaches: ``from notices.email import message`` is an edge to ``notices.email.message``,
``from notices.email.message import Recipient`` too; a package's ``__init__`` is a module of its own.

Printed: the modules and edges counted, every strongly connected component of modules (an import
circle), every import that breaks the layer rule (``breach`` imports neither ``notices`` nor ``flows``;
``notices`` does not import ``flows``; only ``flows`` imports ``prefect``), and the same circles one
level up, between rooms (``notices.email``, ``breach.clock``: a package and everything below it).
Exit status 1 when there is a module circle or a layer breach.

    .venv/bin/python scripts/import_graph.py [--edges]
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("breach", "notices", "flows")
# What each layer may not import: the packages above it, and Prefect below flows.
FORBIDDEN = {"breach": ("notices", "flows", "prefect"), "notices": ("flows", "prefect"), "flows": ()}


def module_name(path: Path, root: Path = ROOT) -> str:
    """``notices/email/message.py`` -> ``notices.email.message``; ``__init__.py`` names its package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def find_modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the three packages, by dotted name (migration scripts excluded: Alembic loads them)."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found[module_name(path, root)] = path
    return found


def _absolute(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    """The absolute module an ImportFrom starts from (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imported_names(path: Path, importer: str) -> Iterable[str]:
    """Every dotted name an import in the file can reach: ``a.b`` for ``import a.b``, ``a.b.c`` for ``from a.b import c``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, importer, is_package)
            # `from a.b import c` reaches the module a.b.c when there is one, else the name c in a.b
            yield from (base if alias.name == "*" else f"{base}.{alias.name}" for alias in node.names)


def _deepest(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of a dotted name that is one of our modules."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if (candidate := ".".join(parts[:end])) in modules:
            return candidate
    return None


def build_graph(root: Path = ROOT) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(edges between our modules, every top-level package each module imports, ours or not)."""
    modules = find_modules(root)
    edges: dict[str, set[str]] = {name: set() for name in modules}
    tops: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target in imported_names(path, name):
            tops[name].add(target.split(".")[0])
            if (found := _deepest(target, modules)) is not None and found != name:
                edges[name].add(found)
    return edges, tops


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the components with more than one member (the circles)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    circles.append(sorted(component))
    return sorted(circles)


def layer_breaches(tops: dict[str, set[str]]) -> list[str]:
    """Imports that point up a layer, or at Prefect from below flows, as readable lines."""
    found = []
    for name, imported in sorted(tops.items()):
        for banned in FORBIDDEN[name.split(".")[0]]:
            if banned in imported:
                found.append(f"{name} imports {banned}")
    return found


def room_of(module: str, rooms: set[str]) -> str:
    """The deepest package that holds a module (``notices.email`` for ``notices.email.sendgrid``)."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        if (candidate := ".".join(parts[:end])) in rooms:
            return candidate
    return parts[0]


def room_graph(edges: dict[str, set[str]], root: Path = ROOT) -> dict[str, set[str]]:
    """Edges between rooms: a room is a package folder; its modules' imports are its imports."""
    modules = find_modules(root)
    rooms = {name for name, path in modules.items() if path.name == "__init__.py"}
    graph: dict[str, set[str]] = {room: set() for room in rooms}
    for source, targets in edges.items():
        here = room_of(source, rooms) if modules[source].name != "__init__.py" else source
        for target in targets:
            there = room_of(target, rooms) if modules[target].name != "__init__.py" else target
            if there != here and not here.startswith(there + ".") and not there.startswith(here + "."):
                graph[here].add(there)
    return graph


def main(argv: list[str]) -> int:
    edges, tops = build_graph()
    if "--edges" in argv:
        for source in sorted(edges):
            for target in sorted(edges[source]):
                print(f"{source} -> {target}")
    circles = strongly_connected(edges)
    breaches = layer_breaches(tops)
    room_circles = strongly_connected(room_graph(edges))
    print(f"{len(edges)} modules, {sum(map(len, edges.values()))} imports between them (breach, notices, flows)")
    print(f"module import circles: {len(circles)}")
    for circle in circles:
        print("  " + " <-> ".join(circle))
    print(f"layer breaches: {len(breaches)}")
    for line in breaches:
        print("  " + line)
    print(f"circles between rooms (package folders): {len(room_circles)}")
    for circle in room_circles:
        print("  " + " <-> ".join(circle))
    return 1 if circles or breaches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""scripts/import_graph.py: no import circle and no layer breach in the code, and the check finds both when they exist."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts import import_graph
from tests.conftest import REPO

pytestmark = pytest.mark.unit


def test_the_code_has_no_import_circle_and_keeps_its_layers() -> None:
    done = subprocess.run([sys.executable, "scripts/import_graph.py"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "module import circles: 0" in done.stdout
    assert "layer breaches: 0" in done.stdout
    assert "circles between rooms (package folders): 0" in done.stdout


def test_only_flows_imports_prefect_and_nothing_points_up() -> None:
    edges, tops = import_graph.build_graph()
    assert len(edges) > 100  # every module was read, not an empty tree
    for module, imported in tops.items():
        layer = module.split(".")[0]
        if layer != "flows":
            assert "prefect" not in imported and "flows" not in imported, module
        if layer == "breach":
            assert "notices" not in imported, module
    assert any("prefect" in imported for module, imported in tops.items() if module.startswith("flows."))


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name in ("breach", "notices", "flows"):
        (root / name).mkdir()
        (root / name / "__init__.py").write_text("")
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def test_a_circle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "notices/room/__init__.py": "",
        "notices/room/a.py": "from notices.room.b import thing\n",
        "notices/room/b.py": "def thing():\n    from notices.room import a\n    return a\n",
        "notices/c.py": "from notices.room import a\n",
    })
    edges, _ = import_graph.build_graph(root)
    assert edges["notices.room.b"] == {"notices.room.a"} and edges["notices.c"] == {"notices.room.a"}
    assert import_graph.strongly_connected(edges) == [["notices.room.a", "notices.room.b"]]


def test_a_circle_between_rooms_is_found_when_modules_do_not_circle(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "breach/one/__init__.py": "", "breach/one/low.py": "", "breach/one/high.py": "from breach.two import mid\n",
        "breach/two/__init__.py": "", "breach/two/mid.py": "from breach.one import low\n",
    })
    edges, _ = import_graph.build_graph(root)
    assert import_graph.strongly_connected(edges) == []
    assert import_graph.strongly_connected(import_graph.room_graph(edges, root)) == [["breach.one", "breach.two"]]


def test_upward_and_prefect_imports_are_layer_breaches(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "breach/rules.py": "import prefect\n",
        "notices/words.py": "def late():\n    from flows.steps import step\n",
        "flows/steps.py": "from prefect import flow\nfrom notices import words\n",
    })
    _, tops = import_graph.build_graph(root)
    assert import_graph.layer_breaches(tops) == ["breach.rules imports prefect", "notices.words imports flows"]

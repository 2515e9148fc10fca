"""Keep the copied fixtures in step with their upstream, deliberately.

The repository carries copies of the files its tests and benchmarks read (the SendGrid mail-send
schema, the public authority cases, the facts schema). `tests/fixtures/MANIFEST.json` names each
copy, where it came from and its sha256. Nothing reads the upstream at test or run time.

    python scripts/sync_fixtures.py                     # check: every copy is present and unchanged
    python scripts/sync_fixtures.py --from ../shared    # show what differs from an upstream folder
    python scripts/sync_fixtures.py --from ../shared --update   # take the upstream versions, rewrite the manifest

Exit code 1 when a copy is missing or differs (check), or when the upstream differs (--from).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "tests" / "fixtures" / "MANIFEST.json"


def sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_manifest() -> dict:
    """The manifest: {"upstream": ..., "files": [{"path", "source", "sha256"}]}."""
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def check(manifest: dict) -> list[str]:
    """Problems with the copies in the repository (missing, or edited without the manifest)."""
    problems = []
    for entry in manifest["files"]:
        path = REPO / entry["path"]
        if not path.is_file():
            problems.append(f"missing: {entry['path']} (copy of {entry['source']})")
        elif sha256(path) != entry["sha256"]:
            problems.append(f"changed without updating the manifest: {entry['path']}")
    return problems


def compare(manifest: dict, upstream: Path, *, update: bool) -> list[str]:
    """Differences between the copies and an upstream folder; with update, take the upstream's."""
    differences = []
    for entry in manifest["files"]:
        source = upstream / entry["source"]
        if not source.is_file():
            differences.append(f"gone upstream: {entry['source']}")
            continue
        digest = sha256(source)
        if digest != entry["sha256"]:
            differences.append(f"differs: {entry['source']} -> {entry['path']}")
            if update:
                shutil.copyfile(source, REPO / entry["path"])
                entry["sha256"] = digest
    if update:
        MANIFEST.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return differences


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="upstream", type=Path, help="an upstream folder laid out like the manifest's sources")
    parser.add_argument("--update", action="store_true", help="with --from: copy the upstream versions in")
    args = parser.parse_args(argv)
    manifest = load_manifest()
    if args.upstream is None:
        problems = check(manifest)
        for line in problems:
            print(line)
        print(f"{len(manifest['files'])} copied fixtures, {len(problems)} problems")
        return 1 if problems else 0
    differences = compare(manifest, args.upstream, update=args.update)
    for line in differences:
        print(line)
    verb = "updated" if args.update else "differ"
    print(f"{len(differences)} of {len(manifest['files'])} copied fixtures {verb}")
    return 1 if differences and not args.update else 0


if __name__ == "__main__":
    sys.exit(main())

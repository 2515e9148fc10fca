"""Print the commands of README.md's "Two commands" section, one per line (used by .ci/run)."""

from __future__ import annotations

import re
import sys
from pathlib import Path


def commands(readme: str) -> list[str]:
    """The bash code blocks between the '## Two commands' heading and the next heading."""
    section = readme.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S)]


if __name__ == "__main__":
    for command in commands(Path(sys.argv[1]).read_text(encoding="utf-8")):
        print(command)

"""Reading a people file on every core: the workers run nicer than the process that stores what they read."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from breach.people.blocks import WORKER_NICENESS, Reading, read_rows
from breach.people.importer import open_layout
from tests.factories import write_people_csv

pytestmark = pytest.mark.unit


def _niceness_of_the_sealer(_fields: dict[str, Any]) -> bytes:
    """A stand-in for the cipher: 'seals' a person as the niceness of the process that sealed them."""
    return str(os.nice(0)).encode()


def test_the_workers_yield_the_cores_to_the_store_and_every_row_comes_back_in_order(tmp_path: Path) -> None:
    rows = [[f"Person {i}", "da", f"person.{i}@example.org", "", "", "", "", "DK"] for i in range(3_000)]
    layout, raw = open_layout(write_people_csv(tmp_path / "people.csv", rows))
    reading = Reading(layout=layout, country="DK", index_key=b"k" * 32, seal=_niceness_of_the_sealer)
    with raw:
        blocks = list(read_rows(raw, reading, workers=2, block_bytes=16_384))  # blocks of about 250 rows
    assert len(blocks) > 4  # several blocks, so both workers had some
    lines = [line for block in blocks for line in block.lines]
    assert lines == list(range(2, 3_002))  # in file order, none lost
    sealed_at = {int(contact) for block in blocks for contact in block.contacts}
    assert sealed_at == {min(19, os.nice(0) + WORKER_NICENESS)}  # every row sealed in a worker, at its lower priority

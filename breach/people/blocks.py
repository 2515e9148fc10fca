"""Read, validate and seal a people file block by block, on every core: the rows ``store.import_people`` stores.

The file is cut into blocks of whole lines (``importer.blocks``). Each block is parsed and
validated by exactly the code ``read_people`` uses (``importer._records``, ``rows.validated``),
and each person's contact details are sealed at once by the caller's ``seal`` (AES-GCM in
``store``). Blocks go to forked worker processes when there are several cores and more than one
block, at most two blocks a worker ahead of the reader, so memory stays bounded however long
the file is; blocks come back in file order.

What a worker hands back holds no plaintext personal data: per row the line, language, channel,
letter wish, country, region, yes/no flags, blind indexes and the sealed contact; per problem the
line, column and code.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import count
from typing import IO, Any, NamedTuple

from breach.people.importer import BLOCK_BYTES, Layout, _records, block_lines, blocks
from breach.people.rows import RowProblem, external_key_of, validated

AHEAD = 2  # blocks queued per worker beyond the one it works on


class Block(NamedTuple):
    """One block's valid people, column by column, and its problems: no plaintext personal data.

    Columns, not a tuple per person, so that handing a block between processes and into the
    database creates no Python object per person beyond the values themselves.
    """

    lines: list[int]
    languages: list[str]
    channels: list[str]
    wants_letter: list[bool]
    countries: list[str]
    regions: list[str | None]
    vulnerable: list[bool | None]
    protected_address: list[bool | None]
    esign_consent: list[bool | None]
    has_email: list[bool]
    keys: bytes  # the identity blind indexes, 16 bytes each, in row order
    externals: list[bytes | None]  # the customer-number blind indexes
    contacts: list[bytes]  # the sealed contact details
    problems: list[RowProblem]  # rows rejected while reading
    warnings: dict[int, RowProblem]  # row index -> its warning (it counts only if the row is kept)


Seal = Callable[[dict[str, Any]], bytes]  # a person's fields -> the stored ciphertext of their contact details


@dataclass(frozen=True)
class Reading:
    """Everything a worker needs to turn a block into rows; inherited by forked workers, never pickled."""

    layout: Layout
    country: str
    index_key: bytes
    seal: Seal


_readings: dict[int, Reading] = {}
_tokens = count(1)
_lock = threading.Lock()


def worker_count(size: int, block_bytes: int = BLOCK_BYTES) -> int:
    """Worker processes for a file of ``size`` bytes: BREACH_IMPORT_WORKERS, else one per core; 0 (this
    process alone) for a file of one or two blocks."""
    wanted = int(os.environ.get("BREACH_IMPORT_WORKERS", "0") or 0) or (os.cpu_count() or 1)
    return 0 if wanted < 2 or size <= 2 * block_bytes else wanted


def read_rows(raw: IO[bytes], reading: Reading, *, workers: int, block_bytes: int = BLOCK_BYTES) -> Iterator[Block]:
    """The rows and problems of each block of ``raw``, in file order; ``workers`` < 2 reads in this process."""
    if workers < 2:
        for first, data in blocks(raw, block_bytes):
            yield _rows(reading, first, data)
        return
    with _lock:
        token = next(_tokens)
        _readings[token] = reading  # before the fork, so that every worker has it
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            pending: deque[Future[Block]] = deque()
            for first, data in blocks(raw, block_bytes):
                pending.append(pool.submit(_work, token, first, data))
                if len(pending) > AHEAD * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
    finally:
        with _lock:
            del _readings[token]


def _work(token: int, first: int, data: bytes | None) -> Block:
    return _rows(_readings[token], first, data)


def _rows(reading: Reading, first: int, data: bytes | None) -> Block:
    """One block's people and problems, in line order."""
    block = Block([], [], [], [], [], [], [], [], [], [], b"", [], [], [], {})
    keys: list[bytes] = []
    secret, country, seal = reading.index_key, reading.country, reading.seal
    # each column's append bound once: a row is thirteen appends, and a block tens of thousands of rows
    line, language, channel, wants_letter = block.lines.append, block.languages.append, block.channels.append, block.wants_letter.append
    country_of, region, vulnerable = block.countries.append, block.regions.append, block.vulnerable.append
    protected_address, esign_consent, has_email = block.protected_address.append, block.esign_consent.append, block.has_email.append
    key, external, contact = keys.append, block.externals.append, block.contacts.append
    for number, record in _records(block_lines(first, data), reading.layout.parser(), after=reading.layout.header_line):
        if isinstance(record, RowProblem):
            block.problems.append(record)
            continue
        result = validated(record, number, country=country, secret=secret)
        if isinstance(result, RowProblem):
            block.problems.append(result)
            continue
        fields, warning = result
        if warning is not None:
            block.warnings[len(block.lines)] = warning
        line(number)
        language(fields["language"].value)
        channel(fields["channel"].value)
        wants_letter(fields["wants_letter"])
        country_of(fields["country"])
        region(fields["region"])
        vulnerable(fields["vulnerable"])
        protected_address(fields["protected_address"])
        esign_consent(fields["esign_consent"])
        has_email(fields["email"] is not None)
        key(fields["dedup_key"])
        external(external_key_of(fields["external_id"], secret))
        contact(seal(fields))
    return block._replace(keys=b"".join(keys))

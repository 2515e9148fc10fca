"""De-duplicating a big import block by block: which rows were seen before, by their blind indexes.

``KeyTable`` remembers 16-byte keys (blind indexes: uniform HMAC output) with the line that had
each first, in flat numpy arrays (open addressing, linear probing), so a block of thousands of
keys is looked up and added with a few vector operations instead of a Python call per key. It
costs 20 bytes a slot, at most 70 % full: about 30 bytes a key.

``claim_block`` applies the importer's rule to one block in file order: a row is a duplicate when
its identity or its customer number was claimed by an earlier row that was kept (rows in earlier
blocks through the table, rows earlier in the block through a dict), else it is kept and claims
both. That is exactly ``IndexSet.claim`` row by row, which ``read_people`` uses.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

KEY_BYTES = 16
STORED = 0xFFFF_FFFF  # the position of a key imported by an earlier file (not a line of this one)
_MAX_LOAD = 0.7

Keys = npt.NDArray[np.uint64]  # shape (n, 2): a key's two halves, little-endian


def as_keys(keys: Sequence[bytes]) -> Keys:
    """16-byte keys as an (n, 2) array of unsigned 64-bit halves."""
    if not set(map(len, keys)) <= {KEY_BYTES}:
        raise ValueError(f"keys are {KEY_BYTES} bytes")
    return np.frombuffer(b"".join(keys), dtype="<u8").reshape(-1, 2).astype(np.uint64)


class KeyTable:
    """16-byte keys and the position (e.g. line, 1 to 2**32-1) that had each first."""

    def __init__(self, expected: int = 0) -> None:
        self._reset(max(1024, int(expected / _MAX_LOAD) + 1))

    def _reset(self, capacity: int) -> None:
        self.capacity, self.count = capacity, 0
        self.halves = np.zeros((capacity, 2), dtype=np.uint64)
        self.positions = np.zeros(capacity, dtype=np.uint32)  # 0 marks an empty slot

    def __len__(self) -> int:
        return self.count

    @property
    def nbytes(self) -> int:
        """Memory held by the table's arrays."""
        return int(self.halves.nbytes + self.positions.nbytes)

    def find(self, keys: Keys) -> npt.NDArray[np.uint32]:
        """The position of each key, 0 for a key not in the table."""
        found = np.zeros(len(keys), dtype=np.uint32)
        todo = np.arange(len(keys))
        slots = keys[:, 0] % np.uint64(self.capacity)
        while todo.size:
            at = slots[todo]
            held = self.positions[at]
            same = (held != 0) & (self.halves[at] == keys[todo]).all(axis=1)
            found[todo[same]] = held[same]
            going = (held != 0) & ~same
            todo = todo[going]
            slots[todo] = (at[going] + np.uint64(1)) % np.uint64(self.capacity)
        return found

    def add(self, keys: Keys, positions: npt.NDArray[np.uint32]) -> None:
        """Add keys that are not in the table and differ from each other, with their positions."""
        if not len(keys):
            return
        if np.any(positions == 0):
            raise ValueError("positions start at 1")
        if (self.count + len(keys)) > _MAX_LOAD * self.capacity:
            self._grow(self.count + len(keys))
        todo = np.arange(len(keys))
        slots = keys[:, 0] % np.uint64(self.capacity)
        while todo.size:
            at = slots[todo]
            free = self.positions[at] == 0
            aim, who = at[free], todo[free]
            # Keys aiming at the same free slot: one write lands (they differ, so the read-back tells
            # which); the others probe on with the keys that found the slot taken.
            self.halves[aim] = keys[who]
            landed = (self.halves[aim] == keys[who]).all(axis=1)
            self.positions[aim[landed]] = positions[who[landed]]
            placed = np.zeros(len(keys), dtype=bool)
            placed[who[landed]] = True
            todo = todo[~placed[todo]]
            slots[todo] = (slots[todo] + np.uint64(1)) % np.uint64(self.capacity)
        self.count += len(keys)

    def _grow(self, needed: int) -> None:
        used = self.positions != 0
        keys, positions = self.halves[used], self.positions[used]
        self._reset(max(2 * self.capacity, int(needed / _MAX_LOAD) + 1))
        self.add(keys, positions)


def claim_block(table: KeyTable, keys: bytes, externals: Sequence[bytes | None],
                lines: Sequence[int]) -> tuple[npt.NDArray[np.bool_], dict[int, tuple[int, int]]]:
    """Which rows of a block to keep, given their identity keys (16 bytes each, joined), customer-number
    keys (or None) and lines, in file order; the kept rows' keys are then in the table.

    Returns the mask of kept rows and, for each other row index, (which key was seen first: 0
    identity, 1 customer number; the position that had it). Rows whose keys occur once in the
    block are decided by vector operations; only rows sharing a key with another row of the
    block go through the rule one by one.
    """
    n = len(lines)
    identity = np.frombuffer(keys, dtype="<u8").reshape(n, 2).astype(np.uint64)
    found = table.find(identity)
    with_external = np.array([i for i, key in enumerate(externals) if key is not None], dtype=np.intp)
    external = as_keys([externals[i] for i in with_external]) if with_external.size else np.zeros((0, 2), np.uint64)
    found_external = np.zeros(n, dtype=np.uint32)
    found_external[with_external] = table.find(external)
    tangled = _repeated(identity)
    tangled[with_external] |= _repeated(external)
    kept = (found == 0) & (found_external == 0) & ~tangled
    seen: dict[int, tuple[int, int]] = {}
    for i in np.flatnonzero(~kept & ~tangled).tolist():
        seen[i] = (0, int(found[i])) if found[i] else (1, int(found_external[i]))
    here: dict[bytes, int] = {}
    for i in np.flatnonzero(tangled).tolist():
        key, other = keys[16 * i:16 * i + 16], externals[i]
        if first := int(found[i]) or here.get(key, 0):
            seen[i] = (0, first)
        elif other is not None and (first := int(found_external[i]) or here.get(other, 0)):
            seen[i] = (1, first)
        else:
            here[key] = lines[i]
            if other is not None:
                here[other] = lines[i]
            kept[i] = True
    positions = np.asarray(lines, dtype=np.uint32)
    table.add(identity[kept], positions[kept])
    kept_external = kept[with_external]
    table.add(external[kept_external], positions[with_external][kept_external])
    return kept, seen


def _repeated(keys: Keys) -> npt.NDArray[np.bool_]:
    """For each key, whether its first half occurs more than once in ``keys``: every repeated key, and the
    rare (about n**2 / 2**65) key that only shares a half, which ``claim_block``'s exact rule then keeps."""
    if not len(keys):
        return np.zeros(0, dtype=bool)
    _, inverse, counts = np.unique(keys[:, 0], return_inverse=True, return_counts=True)
    return counts[inverse.ravel()] > 1

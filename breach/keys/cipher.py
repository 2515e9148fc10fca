"""Contact details protected at rest: AES-256-GCM per value, HMAC blind indexes, one master key.

Both working keys are derived from the master key with HKDF under different labels, so the key
that makes blind indexes (deterministic, comparable) can never decrypt anything, and vice versa.

Token layout (bytes)::

    version (1) | key id (4, big-endian) | nonce (12) | ciphertext + GCM tag (16)

Also here: ``IndexSet``, compact memory for de-duplicating by blind index. Master keys themselves
(generating, loading, key files) are in ``breach.keys.master``; their names are re-exported here.
"""

from __future__ import annotations

import os
import struct
import unicodedata
from array import array
from collections.abc import Sequence
from functools import lru_cache
from hashlib import sha256
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from breach.exceptions import DecryptionFailed
from breach.keys.master import KEY_BYTES, _check_master

TOKEN_VERSION = 1
NONCE_BYTES = 12
INDEX_BYTES = 16

_HEADER = struct.Struct(">BI")
_MIN_TOKEN = _HEADER.size + NONCE_BYTES + 16
_ENCRYPTION_INFO = b"breach-notify/v1/field-encryption"
_INDEX_INFO = b"breach-notify/v1/blind-index"
_KEY_ID_INFO = b"breach-notify/v1/key-id"


def _hkdf(master_key: bytes, info: bytes, length: int = KEY_BYTES) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(master_key)


def derive_encryption_key(master_key: bytes) -> bytes:
    """The AES-256-GCM key derived from the master key."""
    _check_master(master_key)
    return _hkdf(master_key, _ENCRYPTION_INFO)


def derive_index_key(master_key: bytes) -> bytes:
    """The blind-index (HMAC) key derived from the master key; it cannot decrypt anything."""
    _check_master(master_key)
    return _hkdf(master_key, _INDEX_INFO)


def key_id(master_key: bytes) -> int:
    """A public 32-bit id of a master key, written into every token it encrypts."""
    _check_master(master_key)
    return int.from_bytes(_hkdf(master_key, _KEY_ID_INFO, length=4), "big")


def normalise_for_index(value: str) -> str:
    """NFKC, case-folded, trimmed, inner whitespace collapsed: what a blind index compares."""
    if value.isascii():
        return " ".join(value.lower().split())
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return " ".join(folded.split())


@lru_cache(maxsize=16)
def _hmac_pads(key: bytes) -> tuple[Any, Any]:
    # HMAC's inner and outer hash states, computed once per key: a million rows hash twice as fast.
    block = (sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    return sha256(bytes(b ^ 0x36 for b in block)), sha256(bytes(b ^ 0x5C for b in block))


def hmac_sha256(message: bytes, *, key: bytes) -> bytes:
    """HMAC-SHA256 (RFC 2104), equal to ``hmac.digest(key, message, "sha256")``."""
    inner_pad, outer_pad = _hmac_pads(key)
    inner, outer = inner_pad.copy(), outer_pad.copy()
    inner.update(message)
    outer.update(inner.digest())
    return outer.digest()


def blind_index(value: str, *, key: bytes) -> bytes:
    """HMAC-SHA256 of the normalised value, truncated to 16 bytes: equal values, equal indexes."""
    if len(key) < 16:
        raise ValueError("a blind-index key is at least 16 bytes")
    return hmac_sha256(normalise_for_index(value).encode("utf-8", "surrogatepass"), key=key)[:INDEX_BYTES]


class _Table:
    """Open addressing over two flat arrays: 16-byte keys and their positions, 20 bytes a slot."""

    __slots__ = ("mask", "count", "keys", "positions")

    def __init__(self, capacity: int = 16) -> None:
        self._empty(capacity)

    def _empty(self, capacity: int) -> None:
        self.mask, self.count = capacity - 1, 0
        self.keys = bytearray(INDEX_BYTES * capacity)
        self.positions = array("I", bytes(4 * capacity))  # 0 marks an empty slot

    def slot(self, key: bytes) -> int:
        """Where ``key`` is, or the empty slot where it would go (linear probing)."""
        positions, keys, mask = self.positions, self.keys, self.mask
        slot = int.from_bytes(key, "little") & mask
        while positions[slot] and keys[slot << 4:(slot << 4) + INDEX_BYTES] != key:
            slot = (slot + 1) & mask
        return slot

    def put(self, key: bytes, position: int) -> None:
        """Add ``key`` unless present, doubling the table once it is two-thirds full."""
        slot = self.slot(key)
        if self.positions[slot]:
            return
        self.keys[slot << 4:(slot << 4) + INDEX_BYTES] = key
        self.positions[slot] = position
        self.count += 1
        if 3 * self.count > 2 * (self.mask + 1):
            keys, positions = self.keys, self.positions
            self._empty(2 * (self.mask + 1))
            for old, first in enumerate(positions):
                if first:
                    self.put(bytes(keys[old << 4:(old << 4) + INDEX_BYTES]), first)


class IndexSet:
    """Blind indexes mapped to the position (e.g. line) that had them first, in compact memory.

    A Python set of 16-byte ``bytes`` costs about 100 bytes an entry. Here 256 open-addressing
    tables (picked by the last byte; HMAC output is uniform) cost 30 to 60 bytes an entry, and
    only one small table at a time is being copied while growing.
    """

    def __init__(self) -> None:
        self._tables = [_Table() for _ in range(256)]

    def __len__(self) -> int:
        return sum(table.count for table in self._tables)

    def first(self, key: bytes) -> int:
        """The position that had ``key`` first, or 0 if it was never added."""
        table = self._tables[key[-1]]
        return table.positions[table.slot(key)]

    def claim(self, keys: Sequence[bytes], position: int) -> tuple[int, int]:
        """Add all ``keys`` at ``position`` unless one is known: then (its index in keys, its first position)."""
        if not 0 < position < 1 << 32 or any(len(key) != INDEX_BYTES for key in keys):
            raise ValueError(f"positions are 1 to 2**32-1 and keys {INDEX_BYTES} bytes")
        for index, key in enumerate(keys):
            if first := self.first(key):
                return index, first
        for key in keys:
            self._tables[key[-1]].put(key, position)
        return -1, 0


def token_key_id(token: bytes) -> int:
    """The key id written into a token, without decrypting it."""
    if len(token) < _MIN_TOKEN:
        raise DecryptionFailed("the token is truncated")
    version, kid = _HEADER.unpack_from(token)
    if version != TOKEN_VERSION:
        raise DecryptionFailed(f"unknown token version {version}")
    return kid


class FieldCipher:
    """AES-256-GCM for single values, with a random 96-bit nonce each time, under one master key."""

    def __init__(self, key: bytes) -> None:
        """Derive the encryption key, index key and key id from a 32-byte master key."""
        self.key_id = key_id(key)
        self.index_key = derive_index_key(key)
        self._aead = AESGCM(derive_encryption_key(key))
        self._header = _HEADER.pack(TOKEN_VERSION, self.key_id)

    def __repr__(self) -> str:
        return f"FieldCipher(key_id=0x{self.key_id:08x})"

    def encrypt(self, plaintext: str, *, aad: bytes) -> bytes:
        """Encrypt one value, bound to ``aad`` (e.g. b"person:<id>:email")."""
        nonce = os.urandom(NONCE_BYTES)
        # The header is authenticated too, so a token relabelled with another key id fails.
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), self._header + aad)
        return self._header + nonce + sealed

    def decrypt(self, token: bytes, *, aad: bytes) -> str:
        """Decrypt a token made by ``encrypt`` with the same ``aad``; DecryptionFailed otherwise."""
        kid = token_key_id(token)
        if kid != self.key_id:
            raise DecryptionFailed(f"unknown key id 0x{kid:08x}")
        start = _HEADER.size
        nonce, sealed = token[start:start + NONCE_BYTES], token[start + NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, sealed, self._header + aad).decode("utf-8")
        except InvalidTag as exc:
            raise DecryptionFailed("authentication failed (wrong row, wrong key or tampered)") from exc

    def blind_index(self, value: str) -> bytes:
        """The blind index of ``value`` under this master key's index key."""
        return blind_index(value, key=self.index_key)


class MultiKeyCipher:
    """Key rotation: encrypts with the current key, decrypts with any known one."""

    def __init__(self, current: bytes, *, previous: Sequence[bytes] = ()) -> None:
        """``current`` encrypts; ``previous`` keys only decrypt."""
        self.current = FieldCipher(current)
        self._by_id = {self.current.key_id: self.current}
        masters = {self.current.key_id: current}
        for old in previous:
            cipher = FieldCipher(old)
            if masters.setdefault(cipher.key_id, old) != old:
                raise ValueError(f"two master keys share key id 0x{cipher.key_id:08x}; generate a new key")
            self._by_id.setdefault(cipher.key_id, cipher)

    @classmethod
    def from_master_keys(cls, keys: Sequence[bytes]) -> MultiKeyCipher:
        """Newest first, as in Fernet's MultiFernet: the first key encrypts, all decrypt."""
        if not keys:
            raise ValueError("at least one master key is needed")
        return cls(keys[0], previous=keys[1:])

    def __repr__(self) -> str:
        ids = ", ".join(f"0x{kid:08x}" for kid in self._by_id)
        return f"MultiKeyCipher(current=0x{self.current.key_id:08x}, known=[{ids}])"

    @property
    def key_ids(self) -> tuple[int, ...]:
        """Ids of every key this cipher can decrypt with, the current one first (breach.keys.guard checks them)."""
        return tuple(self._by_id)

    @property
    def index_key(self) -> bytes:
        """The current blind-index key; rotating the master key means recomputing indexes."""
        return self.current.index_key

    def encrypt(self, plaintext: str, *, aad: bytes) -> bytes:
        """Encrypt with the current key."""
        return self.current.encrypt(plaintext, aad=aad)

    def decrypt(self, token: bytes, *, aad: bytes) -> str:
        """Decrypt with whichever known key made the token."""
        kid = token_key_id(token)
        cipher = self._by_id.get(kid)
        if cipher is None:
            raise DecryptionFailed(f"unknown key id 0x{kid:08x}")
        return cipher.decrypt(token, aad=aad)

    def needs_rotation(self, token: bytes) -> bool:
        """Whether a token was made with an older key."""
        return token_key_id(token) != self.current.key_id

    def blind_index(self, value: str) -> bytes:
        """The blind index of ``value`` under the current key."""
        return self.current.blind_index(value)

    def index_key_of(self, token: bytes) -> bytes:
        """The blind-index key that went with the master key which made ``token`` (for re-keying indexes)."""
        kid = token_key_id(token)
        cipher = self._by_id.get(kid)
        if cipher is None:
            raise DecryptionFailed(f"unknown key id 0x{kid:08x}")
        return cipher.index_key

"""Contact details at rest: AES-GCM tokens bound to their row, blind indexes, the master key, rotation."""

from __future__ import annotations

import base64
import hmac
import os
import stat

import pytest

from breach.exceptions import ConfigurationError, DecryptionFailed
from breach.keys.cipher import (
    INDEX_BYTES,
    FieldCipher,
    IndexSet,
    MultiKeyCipher,
    blind_index,
    derive_encryption_key,
    derive_index_key,
    hmac_sha256,
    key_id,
    token_key_id,
)
from breach.keys.master import encode_master_key, load_master_key

pytestmark = pytest.mark.unit

MASTER = bytes(range(32))
OTHER = bytes(range(100, 132))
AAD = b"person:BR-2026-0007:email"


def test_round_trip_and_layout():
    cipher = FieldCipher(MASTER)
    token = cipher.encrypt("søren.nørgaard@example.com", aad=AAD)
    assert cipher.decrypt(token, aad=AAD) == "søren.nørgaard@example.com"
    assert token[0] == 1 and int.from_bytes(token[1:5], "big") == cipher.key_id == key_id(MASTER)
    assert len(token) == 1 + 4 + 12 + len("søren.nørgaard@example.com".encode()) + 16
    assert b"example" not in token


def test_same_value_encrypts_differently_each_time():
    cipher = FieldCipher(MASTER)
    assert cipher.encrypt("x", aad=AAD) != cipher.encrypt("x", aad=AAD)


def test_empty_and_long_values():
    cipher = FieldCipher(MASTER)
    for value in ("", "æøå" * 10_000):
        assert cipher.decrypt(cipher.encrypt(value, aad=AAD), aad=AAD) == value


def test_swapping_ciphertexts_between_rows_fails():
    cipher = FieldCipher(MASTER)
    token = cipher.encrypt("jens@example.com", aad=b"person:1:email")
    with pytest.raises(DecryptionFailed, match="authentication failed"):
        cipher.decrypt(token, aad=b"person:2:email")


@pytest.mark.parametrize("position", [0, 3, 8, 20, -1])
def test_tampering_fails(position):
    cipher = FieldCipher(MASTER)
    token = bytearray(cipher.encrypt("jens@example.com", aad=AAD))
    token[position] ^= 0x01
    with pytest.raises(DecryptionFailed):
        cipher.decrypt(bytes(token), aad=AAD)


@pytest.mark.parametrize("token", [b"", b"\x01\x00", b"\x01" + bytes(31)])
def test_truncated_tokens_fail(token):
    with pytest.raises(DecryptionFailed, match="truncated"):
        FieldCipher(MASTER).decrypt(token, aad=AAD)


def test_wrong_key_fails_without_leaking_the_plaintext():
    token = FieldCipher(MASTER).encrypt("jens@example.com", aad=AAD)
    with pytest.raises(DecryptionFailed) as caught:
        FieldCipher(OTHER).decrypt(token, aad=AAD)
    assert "jens" not in str(caught.value) and "unknown key id" in str(caught.value)


def test_derived_keys_are_separate():
    assert derive_encryption_key(MASTER) != derive_index_key(MASTER)
    assert MASTER not in (derive_encryption_key(MASTER), derive_index_key(MASTER))
    assert FieldCipher(MASTER).index_key == derive_index_key(MASTER)
    with pytest.raises(ValueError):
        FieldCipher(b"short")


def test_blind_index_is_stable_normalised_and_key_dependent():
    key = derive_index_key(MASTER)
    value = blind_index("Jens@Example.com", key=key)
    assert len(value) == INDEX_BYTES
    assert value == blind_index("  jens@example.COM ", key=key)
    assert blind_index("Ærø  Hansen", key=key) == blind_index("ærø hansen", key=key)
    assert value != blind_index("jens@example.org", key=key)
    assert value != blind_index("jens@example.com", key=derive_index_key(OTHER))
    assert FieldCipher(MASTER).blind_index("jens@example.com") == value
    with pytest.raises(ValueError):
        blind_index("x", key=b"short")


@pytest.mark.parametrize("key", [b"k", b"k" * 32, b"k" * 64, b"k" * 65, os.urandom(200)])
def test_hmac_matches_the_standard_library(key):
    for message in (b"", b"jens@example.com", os.urandom(1000)):
        assert hmac_sha256(message, key=key) == hmac.digest(key, message, "sha256")


def test_key_file_is_created_0600_and_reused(tmp_path):
    key_file = tmp_path / "nested" / "dir" / "master.key"
    key = load_master_key(env_value=None, key_file=key_file)
    assert len(key) == 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert base64.b64decode(key_file.read_text().strip()) == key
    assert load_master_key(env_value=None, key_file=key_file) == key
    assert [p.name for p in key_file.parent.iterdir()] == ["master.key"]  # no temporary file left behind


def test_environment_key_wins_over_the_file(tmp_path):
    key_file = tmp_path / "master.key"
    assert load_master_key(env_value=encode_master_key(OTHER), key_file=key_file) == OTHER
    assert not key_file.exists()
    urlsafe = base64.urlsafe_b64encode(bytes([251] * 16 + list(range(16)))).decode()
    assert load_master_key(env_value=f" {urlsafe}\n", key_file=key_file) == bytes([251] * 16 + list(range(16)))


@pytest.mark.parametrize(("value", "message"), [
    ("", "decodes to 0 bytes"), ("not base64!", "not valid base64"), (base64.b64encode(b"x" * 16).decode(), "16 bytes"),
    (base64.b64encode(bytes(32)).decode(), "placeholder"),
])
def test_malformed_environment_key(tmp_path, value, message):
    with pytest.raises(ConfigurationError, match=message) as caught:
        load_master_key(env_value=value, key_file=tmp_path / "master.key")
    assert caught.value.setting == "BREACH_MASTER_KEY"
    if value:
        assert value not in str(caught.value)


def test_malformed_key_file(tmp_path):
    key_file = tmp_path / "master.key"
    key_file.write_text("changeme\n")
    with pytest.raises(ConfigurationError, match="key file") as caught:
        load_master_key(env_value=None, key_file=key_file)
    assert caught.value.setting == "BREACH_MASTER_KEY_FILE"


def test_rotation():
    old = MultiKeyCipher.from_master_keys([OTHER])
    token = old.encrypt("jens@example.com", aad=AAD)
    rotated = MultiKeyCipher.from_master_keys([MASTER, OTHER])
    assert repr(rotated) == f"MultiKeyCipher(current=0x{key_id(MASTER):08x}, known=[0x{key_id(MASTER):08x}, 0x{key_id(OTHER):08x}])"
    assert rotated.decrypt(token, aad=AAD) == "jens@example.com"
    assert rotated.needs_rotation(token)
    fresh = rotated.encrypt(rotated.decrypt(token, aad=AAD), aad=AAD)  # what breach.people.rekey does per row
    assert token_key_id(fresh) == key_id(MASTER) and not rotated.needs_rotation(fresh)
    assert rotated.decrypt(fresh, aad=AAD) == "jens@example.com"
    assert rotated.index_key_of(token) == derive_index_key(OTHER) and rotated.index_key_of(fresh) == derive_index_key(MASTER)
    assert token_key_id(rotated.encrypt("x", aad=AAD)) == key_id(MASTER)
    assert rotated.index_key == derive_index_key(MASTER)
    with pytest.raises(DecryptionFailed, match="unknown key id"):
        MultiKeyCipher.from_master_keys([MASTER]).decrypt(token, aad=AAD)
    with pytest.raises(ValueError):
        MultiKeyCipher.from_master_keys([])


def test_repr_shows_no_key_material():
    cipher = MultiKeyCipher(MASTER, previous=[OTHER])
    assert MASTER.hex() not in repr(cipher) and "0x" in repr(cipher)


def test_index_set_remembers_first_positions_and_grows():
    index = IndexSet()
    keys = [os.urandom(16) for _ in range(20_000)]
    for position, key in enumerate(keys, start=1):
        assert index.claim([key], position) == (-1, 0)
    assert len(index) == 20_000
    assert index.first(keys[1234]) == 1235 and index.first(os.urandom(16)) == 0
    assert index.claim([os.urandom(16), keys[9]], 9999) == (1, 10)
    assert len(index) == 20_000
    with pytest.raises(ValueError):
        index.claim([b"short"], 1)

"""Ed25519 signatures of an approval: an alternative proof of identity to the e-mailed code.

A roster entry may carry the manager's Ed25519 public key; `breach approve --key FILE` signs
``approval_message(...)`` with the private key and the signature (base64) is stored with the
approval, so it can be verified again at every send.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from breach.exceptions import ConfigurationError

RAW_KEY_BYTES = 32


def approval_message(*, incident_id: str, drafts_hash: str, decision: str) -> bytes:
    """The exact bytes a manager signs: incident, decision and the drafts' hash, one per line."""
    return f"breach-notify approval v1\nincident: {incident_id}\ndecision: {decision}\ndrafts: {drafts_hash}\n".encode()


def load_public_key(text: str) -> Ed25519PublicKey:
    """A public key from base64 of its 32 raw bytes or from a PEM block; ConfigurationError otherwise."""
    stripped = text.strip()
    try:
        if stripped.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(stripped.encode("ascii"))
        else:
            raw = base64.b64decode(stripped, validate=True)
            if len(raw) != RAW_KEY_BYTES:
                raise ValueError(f"{len(raw)} bytes, not {RAW_KEY_BYTES}")
            key = Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error, UnsupportedAlgorithm) as exc:
        raise ConfigurationError("public_key", f"not an Ed25519 public key (base64 of 32 bytes, or PEM): {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigurationError("public_key", f"a {type(key).__name__}, not an Ed25519 key")
    return key


def canonical_public_key(text: str) -> str:
    """The key as base64 of its 32 raw bytes (how the roster stores it)."""
    raw = load_public_key(text).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def verify(*, public_key: str, signature: str, message: bytes) -> bool:
    """True when ``signature`` (base64) is the key holder's signature of ``message``."""
    try:
        raw = base64.b64decode("".join(signature.split()), validate=True)
        load_public_key(public_key).verify(raw, message)
    except (ValueError, binascii.Error, InvalidSignature, ConfigurationError):
        return False
    return True


def sign(*, private_key_file: Path, message: bytes) -> str:
    """Sign ``message`` with an Ed25519 private key in a PEM file (unencrypted PKCS#8); base64 signature."""
    try:
        key = serialization.load_pem_private_key(Path(private_key_file).read_bytes(), password=None)
    except OSError as exc:
        raise ConfigurationError("--key", f"cannot read {private_key_file}: {exc.strerror or exc}") from exc
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ConfigurationError("--key", f"{private_key_file} is not an unencrypted PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError("--key", f"{private_key_file} holds a {type(key).__name__}, not an Ed25519 key")
    return base64.b64encode(key.sign(message)).decode("ascii")

"""Master keys at rest: generating them, their base64 text form, loading them from
BREACH_MASTER_KEY / BREACH_MASTER_KEYS_OLD or the key file, and the key file's rotation steps
(install a new current key, retire the previous ones).

The key file holds one base64 key a line: the first is the current key, further lines are
previous keys kept for decryption. It is created with mode 0600 and always replaced atomically.
The ciphers that use these keys are in ``breach.keys.cipher``.
"""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
from pathlib import Path

from breach.exceptions import ConfigurationError

KEY_BYTES = 32
MAX_KEY_FILE_BYTES = 64 * 1024  # a key file holds a few base64 lines; anything bigger is not one
ENV_SETTING = "BREACH_MASTER_KEY"
FILE_SETTING = "BREACH_MASTER_KEY_FILE"
OLD_KEYS_SETTING = "BREACH_MASTER_KEYS_OLD"

_HOW_TO_MAKE = "make a key with: python -c 'import os, base64; print(base64.b64encode(os.urandom(32)).decode())'"


def _check_master(master_key: bytes) -> None:
    if not isinstance(master_key, bytes) or len(master_key) != KEY_BYTES:
        raise ValueError(f"a master key is {KEY_BYTES} bytes")


def generate_master_key() -> bytes:
    """32 fresh random bytes from the operating system."""
    return os.urandom(KEY_BYTES)


def encode_master_key(key: bytes) -> str:
    """The base64 text form of a master key, as BREACH_MASTER_KEY and the key file hold it."""
    _check_master(key)
    return base64.b64encode(key).decode("ascii")


def _decode_key(text: str, *, setting: str, where: str) -> bytes:
    value = text.strip()
    try:
        # Accept both alphabets: keys pasted from URL-safe tools are common.
        if "-" in value or "_" in value:
            key = base64.b64decode(value, altchars=b"-_", validate=True)
        else:
            key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigurationError(setting, f"{where} is not valid base64; {_HOW_TO_MAKE}") from exc
    if len(key) != KEY_BYTES:
        raise ConfigurationError(setting, f"{where} decodes to {len(key)} bytes, not {KEY_BYTES}; {_HOW_TO_MAKE}")
    if len(set(key)) < 8:
        raise ConfigurationError(setting, f"{where} looks like a placeholder, not a random key; {_HOW_TO_MAKE}")
    return key


def read_key_text(key_file: Path, *, setting: str) -> str | None:
    """The key file's text, None when there is no file; ConfigurationError when it exists but cannot be a key file."""
    key_file = Path(key_file).expanduser()
    if key_file.is_symlink() and not key_file.exists():
        raise ConfigurationError(setting, f"the key file {key_file} is a symbolic link to nothing; restore the key it pointed to")
    if not key_file.exists():
        return None
    if not key_file.is_file():
        raise ConfigurationError(setting, f"the key file {key_file} is not a regular file")
    try:
        with open(key_file, "rb") as handle:
            raw = handle.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigurationError(setting, f"cannot read the key file {key_file}: {exc.strerror or exc.__class__.__name__}") from exc
    if len(raw) > MAX_KEY_FILE_BYTES:
        raise ConfigurationError(setting, f"the key file {key_file} is larger than a key file can be ({MAX_KEY_FILE_BYTES} bytes)")
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise ConfigurationError(setting, f"the key file {key_file} is not base64 text (byte {exc.start} is not ASCII)") from exc


def load_master_key(*, env_value: str | None, key_file: Path, create: bool = True) -> bytes:
    """The master key: from BREACH_MASTER_KEY if given, else from key_file, else (with ``create``) a new key_file.

    Never pass ``create`` when encrypted contacts exist: a new key cannot read them (breach.keys.guard).
    """
    return load_key(env_value=env_value, key_file=key_file, create=create, env_setting=ENV_SETTING, file_setting=FILE_SETTING)


def load_key(*, env_value: str | None, key_file: Path, create: bool, env_setting: str, file_setting: str,
             file_name: str = "key file") -> bytes:
    """A 32-byte key from ``env_value`` (the setting's base64 value), else the first line of ``key_file``, else
    (with ``create``) a new key file; errors name the setting and the file (``file_name``: how to call it)."""
    if env_value is not None:
        return _decode_key(env_value, setting=env_setting, where="the value")
    key_file = Path(key_file).expanduser()
    text = read_key_text(key_file, setting=file_setting)
    if text is None:
        if not create:
            raise ConfigurationError(file_setting, f"the {file_name} {key_file} is missing")
        return _create_key_file(key_file, setting=file_setting)
    first = text.strip().splitlines()[0] if text.strip() else text  # further lines: previous keys (rotation)
    return _decode_key(first, setting=file_setting, where=f"the {file_name} {key_file}")


def load_master_keys(*, env_value: str | None, env_old: str | None, key_file: Path, create: bool = True) -> list[bytes]:
    """Every master key, newest first: BREACH_MASTER_KEY (+ BREACH_MASTER_KEYS_OLD, comma-separated),
    else the key file, whose first line is the current key and further lines previous ones."""
    if env_value is not None:
        old = [_decode_key(part, setting=OLD_KEYS_SETTING, where=f"previous key {n}")
               for n, part in enumerate((env_old or "").split(","), start=1) if part.strip()]
        return [_decode_key(env_value, setting=ENV_SETTING, where="the value"), *old]
    first = load_master_key(env_value=None, key_file=key_file, create=create)
    lines = [line for line in (read_key_text(key_file, setting=FILE_SETTING) or "").splitlines() if line.strip()]
    rest = [_decode_key(line, setting=FILE_SETTING, where=f"line {n} of the key file {key_file}")
            for n, line in enumerate(lines[1:], start=2)]
    if env_old:
        rest += [_decode_key(part, setting=OLD_KEYS_SETTING, where="a previous key") for part in env_old.split(",") if part.strip()]
    return [first, *rest]


def install_new_key(key_file: Path) -> bytes:
    """Make a fresh key the key file's current one, keeping the previous keys below it (for decryption)."""
    key_file = Path(key_file).expanduser()
    old = [line.strip() for line in key_file.read_text(encoding="ascii").splitlines() if line.strip()] if key_file.exists() else []
    key = generate_master_key()
    fd, temp_name = tempfile.mkstemp(dir=key_file.parent, prefix=".master-key-")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write("\n".join([encode_master_key(key), *old]) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, key_file)
    except BaseException:
        os.unlink(temp_name)
        raise
    return key


def retire_old_keys(key_file: Path) -> int:
    """Keep only the key file's current key (after a finished rotation); returns how many were removed."""
    key_file = Path(key_file).expanduser()
    lines = [line.strip() for line in key_file.read_text(encoding="ascii").splitlines() if line.strip()]
    fd, temp_name = tempfile.mkstemp(dir=key_file.parent, prefix=".master-key-")
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(lines[0] + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp_name, key_file)
    return len(lines) - 1


def _create_key_file(key_file: Path, *, setting: str = FILE_SETTING) -> bytes:
    """Write a fresh key to key_file (0600); if another process wins the race, use its key."""
    key = generate_master_key()
    try:
        key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=key_file.parent, prefix=".master-key-")  # mkstemp: mode 0600
    except OSError as exc:
        raise ConfigurationError(setting, f"cannot create the key file {key_file}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(encode_master_key(key) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        _publish(temp_name, key_file)
    except FileExistsError:
        text = read_key_text(key_file, setting=setting) or ""
        return _decode_key(text.strip().splitlines()[0] if text.strip() else text, setting=setting, where=f"the key file {key_file}")
    except OSError as exc:
        raise ConfigurationError(setting, f"cannot create the key file {key_file}: {exc.strerror}") from exc
    finally:
        os.unlink(temp_name)
    return key


def _publish(temp_name: str, key_file: Path) -> None:
    """Make the complete temporary file appear as key_file, never replacing an existing key."""
    try:
        # A hard link is atomic: no reader ever sees a half-written key.
        os.link(temp_name, key_file)
    except FileExistsError:
        raise
    except OSError:
        # Some file systems refuse hard links; an exclusive create still never overwrites.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle, open(temp_name, encoding="ascii") as source:
            handle.write(source.read())
            handle.flush()
            os.fsync(handle.fileno())

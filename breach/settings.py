"""Settings of the domain and storage (environment prefix ``BREACH_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from breach.exceptions import ConfigurationError

_PLACEHOLDERS = {"changeme", "change-me", "secret", "xxx", "todo", "placeholder"}


class BreachSettings(BaseSettings):
    """Where data lives and who may decide; read once by the entry point and passed down."""

    model_config = SettingsConfigDict(env_prefix="BREACH_", extra="ignore")

    data_dir: Path = Field(default=Path(".breach"), description="Folder for the embedded database, key file and outputs")
    db_url: str | None = Field(default=None, description="SQLAlchemy URL; default: a SQLite file in data_dir")
    outbox: Path | None = Field(default=None, description="Folder for e-mails (.eml) and letters (PDF) when not sent by SendGrid")
    master_key: SecretStr | None = Field(default=None, description="Base64 32-byte key protecting contact details at rest; "
                                                                   "default: a key file in data_dir")
    audit_key: SecretStr | None = Field(default=None, description="Base64 32-byte key of the audit chain (HMAC); "
                                                                  "default: audit.key in data_dir")
    audit_head_file: Path | None = Field(default=None, description="Append-only record of the audit chain's head outside the database; "
                                                                   "default: audit-head.log in data_dir")
    managers: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated e-mails stored as the managers roster once, while no roster was ever stored (then ignored)")
    controller_file: Path | None = Field(default=None, description="JSON controller profile; default: the bundled example controller")
    batch_size: int = Field(default=1000, ge=1, le=1000, description="People per send batch (SendGrid allows 1,000 personalizations)")

    @field_validator("managers", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip().lower() for item in value.split(",") if item.strip()]
        return [str(item).strip().lower() for item in value] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> BreachSettings:
        for name, value in (("BREACH_MASTER_KEY", self.master_key), ("BREACH_AUDIT_KEY", self.audit_key)):
            if value is not None and value.get_secret_value().strip().lower() in _PLACEHOLDERS:
                raise ConfigurationError(name, "is a placeholder; set a real base64 key or unset it")
        return self

    @property
    def database_url(self) -> str:
        """The configured URL, or the embedded SQLite file."""
        return self.db_url or f"sqlite:///{(self.data_dir / 'breach.db').resolve()}"

    @property
    def outbox_dir(self) -> Path:
        """Folder for outgoing files."""
        return self.outbox or self.data_dir / "outbox"

    @property
    def key_file(self) -> Path:
        """Where the embedded master key lives when none is given in the environment."""
        return self.data_dir / "master.key"

    @property
    def audit_key_file(self) -> Path:
        """Where the audit key lives when none is given in the environment."""
        return self.data_dir / "audit.key"

    @property
    def audit_head_path(self) -> Path:
        """The append-only record of the audit chain's head, outside the database."""
        return self.audit_head_file or self.data_dir / "audit-head.log"

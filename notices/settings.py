"""Settings of the e-mail channel. The SendGrid key is read from ``SENDGRID_API_KEY``."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from breach.exceptions import ConfigurationError


class EmailSettings(BaseSettings):
    """How e-mail leaves: SendGrid when a key is set, otherwise the outbox folder."""

    model_config = SettingsConfigDict(env_prefix="BREACH_", extra="ignore")

    sendgrid_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SENDGRID_API_KEY", "BREACH_SENDGRID_API_KEY"),
        description="SendGrid API key; unset means e-mails are written to the outbox folder",
    )
    sendgrid_host: str | None = Field(default=None, description="API host override, e.g. a local SendGrid-compatible server")
    sendgrid_sandbox: bool = Field(default=False, description="Ask SendGrid to validate but not deliver")
    email_timeout: float = Field(default=30.0, gt=0, description="Seconds before a SendGrid request is given up")

    @model_validator(mode="after")
    def _refuse_placeholder(self) -> EmailSettings:
        key = self.sendgrid_api_key.get_secret_value() if self.sendgrid_api_key else None
        if key is not None and key.strip().lower() in {"", "changeme", "your-key", "sg.xxx", "xxx"}:
            raise ConfigurationError("SENDGRID_API_KEY", "is empty or a placeholder; unset it to use the outbox")
        return self

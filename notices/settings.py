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
    # Reconciliation of a request whose answer was lost (notices/sending/reconcile.py, docs/reliability.md)
    reconcile_wait: float = Field(default=120.0, ge=0, description="Seconds after a lost request within which the Event Webhook "
                                  "and the Email Activity API may still tell; then its batch is uncertain")
    activity_api: bool = Field(default=True, description="Ask SendGrid's Email Activity API (a paid add-on) as the second source")
    activity_index_delay: float = Field(default=60.0, ge=0, description="Seconds before SendGrid's Activity API shows a message it "
                                        "took (not published: an assumption; an empty answer counts only for older requests)")
    activity_per_minute: int = Field(default=6, ge=0, description="Activity API requests per minute, shared by all senders "
                                     "(SendGrid allows 6); 0 = no limit (a stand-in only)")

    @model_validator(mode="after")
    def _refuse_placeholder(self) -> EmailSettings:
        key = self.sendgrid_api_key.get_secret_value() if self.sendgrid_api_key else None
        if key is not None and key.strip().lower() in {"", "changeme", "your-key", "sg.xxx", "xxx"}:
            raise ConfigurationError("SENDGRID_API_KEY", "is empty or a placeholder; unset it to use the outbox")
        return self

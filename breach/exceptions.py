"""One exception tree for the domain.

    BreachError
     ├── InvalidFacts          a facts document is not valid JSON or not valid against the schema
     ├── MissingTranslation    free text (summary, measures, ...) is not given in a language a notice needs
     ├── InvalidPeopleFile     a people file cannot be read at all (missing columns, wrong encoding)
     ├── IncidentNotFound
     ├── InvalidTransition     an incident cannot move to the requested status
     ├── ApprovalRefused       not on the managers roster, the drafter, drafts changed, or no valid code/signature
     ├── NotApproved           a send was asked for before the drafts were approved
     │    └── DraftsTampered   the words about to leave are not the words approved (edited in the database)
     ├── DeadlineMissed        a late notification without reasons for the delay (Art. 33(1))
     ├── AuditChainBroken      the hash-chained audit log was edited, reordered or truncated
     ├── DecryptionFailed      a token cannot be decrypted: unknown key, wrong row, truncated or tampered
     └── ConfigurationError    a setting is missing or unsafe

Each carries its context as attributes; messages never contain personal data of affected people.
"""

from __future__ import annotations

from datetime import datetime


class BreachError(Exception):
    """Base of every error raised by breach-notify's domain."""


class InvalidFacts(BreachError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class MissingTranslation(BreachError):
    """Free-text facts are missing in a language a notice or pack is written in (names fields, never text)."""

    def __init__(self, missing: dict[str, list[str]]) -> None:
        self.missing = missing
        gaps = "; ".join(f"{lang} lacks {', '.join(fields)}" for lang, fields in sorted(missing.items()))
        super().__init__(f"free text missing: {gaps} (add it with `breach translate ID --lang LANG --file FILE`)")


class InvalidPeopleFile(BreachError):
    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.line = line
        super().__init__(message if line is None else f"line {line}: {message}")


class IncidentNotFound(BreachError):
    def __init__(self, incident_id: str) -> None:
        self.incident_id = incident_id
        super().__init__(f"no incident {incident_id!r}")


class InvalidTransition(BreachError):
    def __init__(self, incident_id: str, current: str, requested: str) -> None:
        self.incident_id = incident_id
        self.current = current
        self.requested = requested
        super().__init__(f"incident {incident_id} cannot go from {current} to {requested}")


class ApprovalRefused(BreachError):
    def __init__(self, incident_id: str, reason: str, *, kind: str = "refused") -> None:
        self.incident_id = incident_id
        self.reason = reason
        self.kind = kind  # a stable word for the audit log: not_on_roster, drafter, wrong_code, code_used, ...
        super().__init__(f"approval of {incident_id} refused: {reason}")


class NotApproved(BreachError):
    def __init__(self, incident_id: str, reason: str = "the drafts have not been approved") -> None:
        self.incident_id = incident_id
        self.reason = reason
        super().__init__(f"{incident_id}: nothing sent: {reason}")


class DraftsTampered(NotApproved):
    def __init__(self, incident_id: str, drafts: list[str], *, reason: str = "the drafts changed after approval") -> None:
        self.drafts = drafts
        which = f" ({', '.join(drafts)})" if drafts else ""
        super().__init__(incident_id, f"{reason}{which}; the approval is void")


class DeadlineMissed(BreachError):
    def __init__(self, incident_id: str, deadline: datetime) -> None:
        self.incident_id = incident_id
        self.deadline = deadline
        super().__init__(
            f"{incident_id}: the deadline {deadline.isoformat()} has passed; "
            "a late notification must give the reasons for the delay (Art. 33(1))"
        )


class AuditChainBroken(BreachError):
    def __init__(self, position: int, reason: str) -> None:
        self.position = position
        self.reason = reason
        super().__init__(f"audit log broken at entry {position}: {reason}")


class DecryptionFailed(BreachError):
    """A token could not be decrypted: unknown key, wrong row (aad), truncated or tampered."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"cannot decrypt: {reason}")


class ConfigurationError(BreachError):
    def __init__(self, setting: str, message: str) -> None:
        self.setting = setting
        super().__init__(f"{setting}: {message}")

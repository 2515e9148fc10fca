"""Enumerations stored in the database, used in JSON and reused as template names."""

from enum import StrEnum


class IncidentStatus(StrEnum):
    OPEN = "open"
    ASSESSED = "assessed"
    DRAFTED = "drafted"
    APPROVED = "approved"
    SENDING = "sending"
    NOTIFIED = "notified"
    CLOSED = "closed"


class RiskLevel(StrEnum):
    UNLIKELY = "unlikely"
    RISK = "risk"
    HIGH = "high"


class NoticeKind(StrEnum):
    AUTHORITY_REPORT = "authority_report"
    SUBJECT_NOTICE = "subject_notice"
    PUBLIC_NOTICE = "public_notice"


class Channel(StrEnum):
    EMAIL = "email"
    LETTER = "letter"
    FORM = "form"
    WEB = "web"
    NONE = "none"


class Language(StrEnum):
    DA = "da"
    NB = "nb"
    EN = "en"
    NL = "nl"
    EN_US = "en-US"  # American English: the notices US state laws ask for (notices/templates/*/en-US)


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    ACCEPTED = "accepted"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    # SendGrid may or may not have taken it, and neither the Event Webhook nor the Email Activity API
    # could say within the bounded wait: never resent or dropped until the evidence or an operator decides
    UNCERTAIN = "uncertain"


class Obligation(StrEnum):
    AUTHORITY = "authority"
    SUBJECTS = "subjects"
    CONTROLLER = "controller"


class DeadlineState(StrEnum):
    RUNNING = "running"
    MET = "met"
    MISSED = "missed"
    STOPPED_LATE = "stopped_late"
    DONE = "done"  # a duty with no outer limit (US "without unreasonable delay"), recorded when it was done


class ApprovalDecision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"

"""SQLAlchemy 2.0 tables.

Contact details of affected people are stored only as AES-GCM ciphertext (``*_enc`` columns);
de-duplication uses a keyed blind index, so no column here holds a readable e-mail address.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# A naming convention keeps constraint names identical on SQLite and PostgreSQL, which is
# what lets Alembic migrations drop or alter them later without guessing.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}



class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no offset) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware instants only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class IdCounter(Base):
    """Per-year sequence behind incident ids such as BR-2026-0007."""

    __tablename__ = "id_counters"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class IncidentRow(Base):
    __tablename__ = "incidents"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))
    controller_country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))
    aware_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_by: Mapped[str] = mapped_column(String(320))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    approval_flow_run_id: Mapped[str | None] = mapped_column(String(64))
    reasons_for_delay: Mapped[str | None] = mapped_column(Text)

    facts: Mapped[list[FactsRow]] = relationship(lazy="raise", order_by="FactsRow.version")


class FactsRow(Base):
    """Every version of the facts: new facts make a new version, never an overwrite."""

    __tablename__ = "facts"
    __table_args__ = (UniqueConstraint("incident_id", "version"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]]
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(320))


class AssessmentRow(Base):
    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("incident_id", "version"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    facts_version: Mapped[int] = mapped_column(Integer)
    rules_version: Mapped[str] = mapped_column(String(40))
    risk: Mapped[str] = mapped_column(String(20))
    notify_authority: Mapped[bool]
    notify_subjects: Mapped[bool]
    result: Mapped[dict[str, Any]]
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DeadlineRow(Base):
    """One obligation's deadline, an absolute UTC instant persisted when it starts."""

    __tablename__ = "deadlines"
    __table_args__ = (UniqueConstraint("incident_id", "obligation", "party"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    obligation: Mapped[str] = mapped_column(String(40))
    party: Mapped[str] = mapped_column(String(40))
    legal_basis: Mapped[str] = mapped_column(String(200))
    anchor_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    state: Mapped[str] = mapped_column(String(20))
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ReminderRow(Base):
    """A reminder instant; ``raised_at`` is set once, in the same transaction that raises it."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("deadline_id", "lead_minutes"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id"), index=True)
    lead_minutes: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PersonRow(Base):
    __tablename__ = "people"
    # no index on batch_no: the import numbers people, but they are sent in the outbox's batches (migration 0012)
    __table_args__ = (UniqueConstraint("incident_id", "dedup_key"),
                      Index("ix_people_external_key", "external_key"),  # the key alone finds the person (migration 0013)
                      Index("ix_people_incident_language_channel", "incident_id", "language", "channel"))  # counts read the index
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"))
    line: Mapped[int] = mapped_column(Integer)
    batch_no: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(5))
    channel: Mapped[str] = mapped_column(String(10))
    wants_letter: Mapped[bool]
    country: Mapped[str | None] = mapped_column(String(2))
    # Optional columns of the people file (breach.people.flags): the US state or region, and yes/no flags
    # (None: the file does not say). ``notice_variant`` picks the draft of a split notice (US: per state group).
    region: Mapped[str | None] = mapped_column(String(3))
    vulnerable: Mapped[bool | None]
    protected_address: Mapped[bool | None]
    esign_consent: Mapped[bool | None]
    notice_variant: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # Blind index of the controller's customer number, to find one person (`breach letter --person`).
    external_key: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    dedup_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    # AES-GCM ciphertexts bound to this row's dedup key (see breach.people.store).
    contact_enc: Mapped[bytes] = mapped_column(LargeBinary)


class DraftRow(Base):
    __tablename__ = "drafts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(5))
    channel: Mapped[str] = mapped_column(String(10))
    variant: Mapped[str] = mapped_column(String(40), default="", server_default="")
    template_version: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    drafted_by: Mapped[str] = mapped_column(String(320))
    drafted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApprovalRow(Base):
    __tablename__ = "approvals"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(320))
    comment: Mapped[str] = mapped_column(Text, default="")
    drafts_hash: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # How the approver proved who they are: "code" (proof_ref: the approval_codes row id) or
    # "ed25519" (proof_ref: the base64 signature of breach.approval.signatures.approval_message).
    proof: Mapped[str | None] = mapped_column(String(20))
    proof_ref: Mapped[str | None] = mapped_column(Text)


class ManagerRow(Base):
    """One manager on the roster: installation configuration, changed only by `breach roster set` (audited)."""

    __tablename__ = "managers"
    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5))
    public_key: Mapped[str | None] = mapped_column(Text)
    logins: Mapped[list[Any]]
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    added_by: Mapped[str] = mapped_column(String(320))


class ApprovalCodeRow(Base):
    """A one-time approval code, stored only as a keyed hash, bound to incident, manager and drafts' hash."""

    __tablename__ = "approval_codes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    manager: Mapped[str] = mapped_column(String(320))
    drafts_hash: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    wrong_attempts: Mapped[int] = mapped_column(Integer, default=0)


class DeliveryRow(Base):
    """The outbox: one row per (incident, person, draft, channel), written before anything is sent."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("incident_id", "person_id", "draft_id", "channel"),
        Index("ix_deliveries_incident_batch", "incident_id", "channel", "batch_no"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"))
    channel: Mapped[str] = mapped_column(String(10))
    batch_no: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    artifact: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SendBatchRow(Base):
    """A batch's claim: marked in flight (committed) before its request, done after it.

    `claimed_by` names the process that last claimed it (notices.sending.claims), so another sender can
    tell a live sender's batch from a crashed one's.
    """

    __tablename__ = "send_batches"
    __table_args__ = (UniqueConstraint("incident_id", "channel", "batch_no"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"))
    channel: Mapped[str] = mapped_column(String(10))
    batch_no: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    claimed_by: Mapped[str | None] = mapped_column(String(120))


class WebhookRequestRow(Base):
    """A digest of each accepted Event Webhook request (timestamp + body), so a replay is refused.

    Rows older than the accepted timestamp window are pruned: a request that old is refused as stale anyway.
    """

    __tablename__ = "webhook_requests"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class EmailEventRow(Base):
    """Evidence from the signed Event Webhook: SendGrid had this delivery's message under this batch key.

    One row per (delivery, event name), whatever the delivery's state was when the event came (an
    event for a delivery still pending proves that a request whose answer was lost got through).
    Reconciliation reads these first (notices.sending.evidence). No address, no IP: ids and names only.
    """

    __tablename__ = "email_events"
    __table_args__ = (UniqueConstraint("delivery_id", "event"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(BigInteger)
    incident_id: Mapped[str] = mapped_column(String(32))
    batch_key: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RateWindowRow(Base):
    """A provider API's recent calls (epoch seconds) shared by every sending process, and when it last refused us.

    The Email Activity API allows 6 requests per minute per account; the row is write-locked while a
    slot is taken, so processes on several machines stay within it together.
    """

    __tablename__ = "rate_windows"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    calls: Mapped[list[Any]]
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FilingRow(Base):
    """A notification filed with an authority (Art. 33), with the authority's receipt."""

    __tablename__ = "filings"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    authority_code: Mapped[str] = mapped_column(String(40))
    sequence: Mapped[int] = mapped_column(Integer)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    filed_by: Mapped[str] = mapped_column(String(320))
    receipt_name: Mapped[str] = mapped_column(String(300))
    receipt_sha256: Mapped[str] = mapped_column(String(64))
    receipt: Mapped[bytes] = mapped_column(LargeBinary)
    authority_reference: Mapped[str | None] = mapped_column(String(200))
    late: Mapped[bool]


class ExportRow(Base):
    __tablename__ = "exports"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    incident_id: Mapped[str | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    path: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditHead(Base):
    """The single row holding the chain's tip; locked while appending so the chain stays linear."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    # Entries from keyed_from on are HMACs under the audit key named by key_id (breach.audit); older ones plain SHA-256.
    keyed_from: Mapped[int | None] = mapped_column(Integer)
    key_id: Mapped[str | None] = mapped_column(String(16))


class AuditEventRow(Base):
    """Append-only, hash-chained record of everything decided (Art. 33(5)). Details hold no personal data."""

    __tablename__ = "audit_events"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    incident_id: Mapped[str | None] = mapped_column(String(32), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(60))
    details: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

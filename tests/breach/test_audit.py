import pytest
from sqlalchemy import delete, select, update

from breach import audit
from breach.exceptions import AuditChainBroken
from breach.store.tables import AuditEventRow, AuditHead

pytestmark = pytest.mark.integration


def _chain(session, now, n=4):
    for i in range(n):
        audit.record(session=session, action="test.event", actor="tester@example.com", at=now, incident_id="BR-TEST", details={"i": i})
    session.flush()


def _seqs(session):
    return list(session.execute(select(AuditEventRow.seq).order_by(AuditEventRow.seq)).scalars())


def test_intact_chain_verifies(session, now):
    _chain(session, now)
    report = audit.verify(session=session)
    assert report.entries == len(_seqs(session)) and report.entries >= 4


def test_edited_entry_is_reported_with_its_position(session, now):
    _chain(session, now)
    target = _seqs(session)[-2]
    session.execute(update(AuditEventRow).where(AuditEventRow.seq == target).values(details={"i": 99}))
    session.expire_all()
    with pytest.raises(AuditChainBroken) as info:
        audit.verify(session=session)
    assert info.value.position == target and "changed" in info.value.reason


def test_deleted_entry_is_reported(session, now):
    _chain(session, now)
    target = _seqs(session)[-3]
    session.execute(delete(AuditEventRow).where(AuditEventRow.seq == target))
    session.expire_all()
    with pytest.raises(AuditChainBroken) as info:
        audit.verify(session=session)
    assert info.value.position == target


def test_truncated_tail_is_reported(session, now):
    _chain(session, now)
    last = _seqs(session)[-1]
    session.execute(delete(AuditEventRow).where(AuditEventRow.seq == last))
    session.expire_all()
    with pytest.raises(AuditChainBroken, match="removed from the end"):
        audit.verify(session=session)


def test_reordered_entries_are_reported(session, now):
    _chain(session, now)
    a, b = _seqs(session)[-2:]
    rows = {r.seq: r for r in session.execute(select(AuditEventRow).where(AuditEventRow.seq.in_([a, b]))).scalars()}
    fields = ("details", "prev_hash", "hash")
    va, vb = ({f: getattr(rows[a], f) for f in fields}, {f: getattr(rows[b], f) for f in fields})
    session.execute(update(AuditEventRow).where(AuditEventRow.seq == a).values(**vb))
    session.execute(update(AuditEventRow).where(AuditEventRow.seq == b).values(**va))
    session.expire_all()
    with pytest.raises(AuditChainBroken) as info:
        audit.verify(session=session)
    assert info.value.position == a


def test_head_tracks_the_last_entry(session, now):
    _chain(session, now, n=2)
    head = session.get(AuditHead, 1)
    assert head.seq == _seqs(session)[-1]

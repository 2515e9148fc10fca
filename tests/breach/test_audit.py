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


def test_an_entry_beyond_the_head_is_reported(session, now):
    """An entry written without moving the head (straight into the table) is not taken for a concurrent writer's:
    no committed head reaches it."""
    _chain(session, now)
    head = session.get(AuditHead, 1)
    seq, prev = head.seq, head.hash
    key = audit._key_for(seq + 1, head=head, seal=audit._seal(session))  # even with the key, when the head is not moved
    digest = audit.entry_hash(seq=seq + 1, at=now, actor="intruder@example.com", action="notices.approved", incident_id="BR-TEST",
                              details={}, prev_hash=prev, key=key)
    session.add(AuditEventRow(seq=seq + 1, incident_id="BR-TEST", at=now, actor="intruder@example.com", action="notices.approved",
                              details={}, prev_hash=prev, hash=digest))
    session.flush()
    with pytest.raises(AuditChainBroken, match="beyond the chain's head"):
        audit.verify(session=session)


def test_entries_committed_after_the_head_was_read_are_a_concurrent_writers(now):
    """verify_rows on rows that go on past the head it was given: fine when a newer committed head covers them, damage
    when none does; the head file's records beyond the rows likewise."""
    rows, prev = [], audit.GENESIS
    for seq in (1, 2, 3):
        digest = audit.entry_hash(seq=seq, at=now, actor="a@example.com", action="t", incident_id=None, details={}, prev_hash=prev,
                                  key=None)
        rows.append(AuditEventRow(seq=seq, incident_id=None, at=now, actor="a@example.com", action="t", details={}, prev_hash=prev,
                                  hash=digest))
        prev = digest
    head = AuditHead(id=1, seq=2, hash=rows[1].hash, keyed_from=None, key_id=None)
    assert audit.verify_rows(rows, head=head, committed_seq=lambda: 3).entries == 3
    with pytest.raises(AuditChainBroken, match="beyond the chain's head"):
        audit.verify_rows(rows, head=head, committed_seq=lambda: 2)
    anchor = {"seq": 4, "hash": "f" * 64, "keyed_from": None, "key_id": None}
    full = AuditHead(id=1, seq=3, hash=rows[2].hash, keyed_from=None, key_id=None)
    assert audit.verify_rows(rows, head=full, heads=[anchor], committed_seq=lambda: 4).entries == 3
    with pytest.raises(AuditChainBroken, match="rolled back or entries were removed"):
        audit.verify_rows(rows, head=full, heads=[anchor], committed_seq=lambda: 3)
    wrong = AuditHead(id=1, seq=2, hash="e" * 64, keyed_from=None, key_id=None)
    with pytest.raises(AuditChainBroken, match="removed from the end"):
        audit.verify_rows(rows, head=wrong, committed_seq=lambda: 3)

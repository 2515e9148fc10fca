"""Whether a batch's claimant may still be sending: a live process, a dead or zombie one, another machine."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from notices.sending import claims

pytestmark = [pytest.mark.unit, pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")]
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def test_a_live_process_holds_its_claim_until_it_dies_even_before_it_is_reaped():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        owner = claims._owner_of(proc.pid)
        assert owner.split("/")[2] == str(proc.pid) and owner != claims.current_owner()
        assert claims.holder_alive(owner, claimed_at=NOW, now=NOW + timedelta(hours=5))  # alive: no lease applies
        proc.kill()
        for _ in range(200):  # killed, not yet waited for: a zombie still has a /proc entry
            if claims._start_time(proc.pid) is None:
                break
            time.sleep(0.01)
        assert not claims.holder_alive(owner, claimed_at=NOW, now=NOW)
    finally:
        proc.kill()
        proc.wait()
    assert not claims.holder_alive(owner, claimed_at=NOW, now=NOW)


def test_a_reused_process_id_or_a_restarted_machine_does_not_keep_a_claim_alive():
    host, boot, pid, started = claims.current_owner().split("/")
    assert not claims.holder_alive(f"{host}/{boot}/{pid}/{int(started) + 1}", claimed_at=NOW, now=NOW)  # same pid, other process
    other_boot = "0" * 8 if boot != "0" * 8 else "1" * 8
    assert not claims.holder_alive(f"{host}/{other_boot}/{pid}/{started}", claimed_at=NOW, now=NOW)


def test_this_process_never_waits_for_its_own_earlier_claim():
    assert not claims.holder_alive(claims.current_owner(), claimed_at=NOW, now=NOW)


def test_a_claim_from_another_machine_holds_for_its_lease_only():
    owner = "sender-2.example.org/1a2b3c4d/4242/99999"
    assert claims.holder_alive(owner, claimed_at=NOW, now=NOW + claims.LEASE - timedelta(seconds=1))
    assert not claims.holder_alive(owner, claimed_at=NOW, now=NOW + claims.LEASE)
    assert not claims.holder_alive(owner, claimed_at=None, now=NOW)


@pytest.mark.parametrize("owner", [None, "", "no-slashes", "a/b"])
def test_a_missing_or_unreadable_owner_counts_as_gone(owner):
    assert not claims.holder_alive(owner, claimed_at=NOW, now=NOW)

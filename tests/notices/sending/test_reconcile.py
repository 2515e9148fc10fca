"""Every branch of the lookup of a request whose answer was lost (notices.sending.reconcile.look_up), with fake sources."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pytest

from notices.email.activity import ActivityAnswer, ActivityOutcome
from notices.sending.evidence import Slot
from notices.sending.reconcile import Finding, Policy, Sources, Verdict, look_up

pytestmark = pytest.mark.unit

SENT = 1_000_000.0  # when the request left (epoch seconds)
POLICY = Policy(wait=120.0, index_delay=60.0, poll=2.0, activity=True, activity_per_minute=6)


@dataclass
class Fake:
    """Both sources of one request of 100 people, recording what was asked."""

    shown: int = 0
    answer: ActivityAnswer | None = None
    slot: Slot = field(default_factory=lambda: Slot(0.0))
    asked: int = 0
    slots_taken: int = 0
    refusals: int = 0

    def sources(self) -> Sources:
        def activity() -> ActivityAnswer:
            self.asked += 1
            assert self.answer is not None, "the Activity API was asked when it should not have been"
            return self.answer

        def take_slot() -> Slot:
            self.slots_taken += 1
            return self.slot

        def refused() -> None:
            self.refusals += 1

        return Sources(webhook_seen=lambda: self.shown, activity=activity if self.answer is not None else None,
                       take_slot=take_slot, refused=refused)


def find(fake: Fake, *, age: float, policy: Policy = POLICY, final: bool = False) -> Finding:
    return look_up(size=100, sent_at=SENT, now=SENT + age, policy=policy, sources=fake.sources(), final=final)


def test_the_webhook_showing_everyone_accepts_the_request_without_asking_the_activity_api():
    fake = Fake(shown=100, answer=ActivityAnswer(ActivityOutcome.NONE))
    finding = find(fake, age=90)
    assert finding.verdict == Verdict.ACCEPTED and finding.source == "webhook" and "100 of the request's 100" in finding.note
    assert fake.asked == 0 and fake.slots_taken == 0


def test_the_webhook_showing_some_accepts_the_whole_request_because_sendgrid_takes_a_request_whole():
    fake = Fake(shown=3, answer=ActivityAnswer(ActivityOutcome.NONE))
    finding = find(fake, age=5)
    assert finding.verdict == Verdict.ACCEPTED and finding.source == "webhook" and "3 of the request's 100" in finding.note
    assert fake.asked == 0


def test_webhook_silence_alone_never_decides_it_waits_and_polls():
    fake = Fake(shown=0)  # no Activity API configured
    finding = find(fake, age=10)
    assert finding.verdict == Verdict.UNKNOWN and finding.retry_at == SENT + 10 + POLICY.poll
    assert "Event Webhook showed none" in finding.note and "not used" in finding.note


def test_the_activity_api_showing_a_message_accepts_the_request():
    fake = Fake(answer=ActivityAnswer(ActivityOutcome.FOUND, messages=1, detail="200"))
    finding = find(fake, age=61)
    assert finding.verdict == Verdict.ACCEPTED and finding.source == "activity" and fake.asked == 1 and fake.slots_taken == 1


def test_an_empty_activity_answer_after_the_indexing_delay_means_not_accepted():
    fake = Fake(answer=ActivityAnswer(ActivityOutcome.NONE, detail="200"))
    finding = find(fake, age=61)
    assert finding.verdict == Verdict.NOT_ACCEPTED and finding.source == "activity" and "indexing delay 60 s" in finding.note


def test_before_the_indexing_delay_the_activity_api_is_not_asked_at_all():
    fake = Fake(answer=ActivityAnswer(ActivityOutcome.NONE))  # would wrongly say "not accepted" if asked
    finding = find(fake, age=30)
    assert finding.verdict == Verdict.UNKNOWN and finding.retry_at is not None
    assert fake.asked == 0 and fake.slots_taken == 0 and "messages show after 60 s" in finding.note


def test_a_refusal_is_remembered_and_the_lookup_keeps_waiting_for_the_webhook():
    fake = Fake(answer=ActivityAnswer(ActivityOutcome.REFUSED, detail="400 authorization required"))
    finding = find(fake, age=70)
    assert finding.verdict == Verdict.UNKNOWN and finding.retry_at is not None
    assert fake.refusals == 1 and "refused: 400 authorization required" in finding.note


def test_a_refusal_remembered_by_another_process_costs_no_request():
    fake = Fake(answer=ActivityAnswer(ActivityOutcome.FOUND, messages=1), slot=Slot(math.inf, refused=True))
    finding = find(fake, age=70)
    assert finding.verdict == Verdict.UNKNOWN and fake.asked == 0 and "refused within the last hour" in finding.note


def test_sendgrid_rate_limiting_the_activity_api_keeps_the_lookup_waiting():
    fake = Fake(answer=ActivityAnswer(ActivityOutcome.RATE_LIMITED, retry_at=SENT + 100, detail="429 too many requests"))
    finding = find(fake, age=70)
    assert finding.verdict == Verdict.UNKNOWN and finding.retry_at == SENT + 70 + POLICY.poll and "rate-limited" in finding.note


def test_the_shared_budget_used_up_means_no_request_now():
    fake = Fake(answer=ActivityAnswer(ActivityOutcome.FOUND, messages=1), slot=Slot(25.0))
    finding = find(fake, age=70)
    assert finding.verdict == Verdict.UNKNOWN and fake.asked == 0 and "next slot in 25 s" in finding.note


def test_an_activity_error_is_no_answer():
    fake = Fake(answer=ActivityAnswer(ActivityOutcome.ERROR, detail="no answer (TimeoutError)"))
    finding = find(fake, age=70)
    assert finding.verdict == Verdict.UNKNOWN and finding.retry_at is not None and "TimeoutError" in finding.note


def test_both_silent_until_the_end_of_the_wait_is_uncertain():
    fake = Fake(answer=ActivityAnswer(ActivityOutcome.REFUSED, detail="400 authorization required"))
    finding = find(fake, age=120)
    assert finding.verdict == Verdict.UNKNOWN and finding.retry_at is None  # final: the batch becomes uncertain
    assert "nothing told within 120 s" in finding.note


def test_the_last_poll_never_goes_past_the_end_of_the_wait():
    finding = find(Fake(), age=119.5)
    assert finding.retry_at == SENT + 120


def test_a_recheck_of_an_uncertain_request_is_final_at_once_but_still_reads_new_evidence():
    assert find(Fake(), age=5, final=True).retry_at is None
    assert find(Fake(shown=1), age=5, final=True).verdict == Verdict.ACCEPTED


def test_the_activity_api_switched_off_is_never_asked():
    fake = Fake(answer=ActivityAnswer(ActivityOutcome.FOUND, messages=1))
    finding = find(fake, age=200, policy=Policy(activity=False))
    assert finding.verdict == Verdict.UNKNOWN and finding.retry_at is None and fake.asked == 0

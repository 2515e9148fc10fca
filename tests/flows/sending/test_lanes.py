"""Lanes: a bounded number of batch attempts at once, retries served before batches not yet tried."""

from __future__ import annotations

import threading
import time

import pytest

from flows.sending.lanes import Lanes


def _wait_for(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.005)


def test_no_more_than_count_holders_at_once_and_everyone_gets_a_turn():
    lanes, lock = Lanes(3), threading.Lock()
    inside, most, done = [0], [0], []

    def work(n: int) -> None:
        with lanes.held():
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.01)
            with lock:
                inside[0] -= 1
                done.append(n)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert most[0] == 3 and sorted(done) == list(range(30)) and lanes.waiting() == 0


def test_a_retry_goes_before_batches_not_yet_tried_and_equals_keep_their_order():
    lanes, order = Lanes(1), []
    holding, release = threading.Event(), threading.Event()

    def holder() -> None:
        with lanes.held():
            holding.set()
            release.wait(5)

    def waiter(name: str, priority: int) -> None:
        with lanes.held(priority):
            order.append(name)

    first = threading.Thread(target=holder)
    first.start()
    assert holding.wait(5)
    threads = []
    for n, (name, priority) in enumerate([("fresh-1", 0), ("fresh-2", 0), ("retry-1", -1), ("retry-3", -3), ("fresh-3", 0)]):
        threads.append(threading.Thread(target=waiter, args=(name, priority)))
        threads[-1].start()
        _wait_for(lambda n=n: lanes.waiting() == n + 1)
    release.set()
    for t in [first, *threads]:
        t.join(5)
    assert order == ["retry-3", "retry-1", "fresh-1", "fresh-2", "fresh-3"]


def test_a_lane_is_given_back_when_the_holder_fails():
    lanes = Lanes(1)
    with pytest.raises(RuntimeError):
        with lanes.held():
            raise RuntimeError("refused")
    with lanes.held():  # would block forever if the lane were lost
        assert lanes.waiting() == 0


def test_at_least_one_lane():
    with pytest.raises(ValueError, match="at least 1"):
        Lanes(0)


@pytest.mark.parametrize("parts", [1, 2, 3, 5, 16, 40])
def test_the_parts_of_a_fanned_out_send_share_its_lanes(parts: int) -> None:
    """The provider sees about as many requests at once from a send over several workers as from one process."""
    from flows.fanout import part_lanes
    from flows.send import SEND_LANES

    shares = [part_lanes(parts) for _ in range(parts)]
    assert part_lanes(1) == SEND_LANES
    assert all(share >= 1 for share in shares)
    assert sum(shares) >= SEND_LANES  # nobody's share leaves lanes unused
    assert sum(shares) - SEND_LANES < parts or all(share == 1 for share in shares)  # at most one lane over per part

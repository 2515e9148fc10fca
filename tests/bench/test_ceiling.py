"""The ceiling posts the flow's kind of request (1,000 people of one language each) from several processes."""

from __future__ import annotations

import orjson
import pytest

from bench import _common as c
from bench.ceiling import Draft, build_bodies, post_bodies
from tests.support.sendgrid.server import SendGridTestServer

pytestmark = pytest.mark.unit

DRAFTS = [Draft(language, f"Subject {language}", "Dear -recipient_name_text-, text", "<p>Dear -recipient_name_html-</p>")
          for language in ("da", "nb", "en")]


def test_bodies_hold_one_language_and_at_most_1000_people_and_every_body_is_accepted():
    bodies = build_bodies(people=2500, drafts=DRAFTS, from_email="dpo@example.org", from_name="Example DPO")
    parsed = [orjson.loads(b) for b in bodies]
    assert sum(len(b["personalizations"]) for b in parsed) == 2500
    assert all(len(b["personalizations"]) <= 1000 for b in parsed) and len(parsed) <= 2500 // 1000 + 3
    assert all(b["subject"] in {d.subject for d in DRAFTS} for b in parsed)
    with SendGridTestServer(api_key=c.API_KEY) as server:
        result = post_bodies(server.host, bodies, processes=3)
        stats = server.stats()
    assert result["requests"] == len(bodies) and result["seconds"] > 0
    assert (stats["requests"], stats["recipients"], stats["unique"], stats["refused"]) == (len(bodies), 2500, 2500, 0)


def test_a_refused_body_fails_the_ceiling():
    bad = orjson.dumps({"personalizations": [], "from": {"email": "dpo@example.org"}})
    with SendGridTestServer(api_key=c.API_KEY) as server, pytest.raises(RuntimeError, match="did not accept"):
        post_bodies(server.host, [bad], processes=1)

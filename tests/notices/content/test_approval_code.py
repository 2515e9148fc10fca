"""The approval-code e-mail: in the manager's language, the code in the body only, its expiry in the controller's zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from breach.approval.codes import IssuedCode
from breach.approval.roster import RosterEntry
from breach.controller import load_profile
from flows.runtime import EXAMPLES
from notices.content.approval_code import code_email

pytestmark = pytest.mark.unit
ISSUED = IssuedCode(code="12345678", code_id=7, expires_at=datetime(2026, 11, 21, 10, 30, tzinfo=UTC))
HASH = "ab" * 32


@pytest.mark.parametrize(("language", "words", "until"), [
    ("da", ("Din engangskode til godkendelse", "kan bruges én gang", "Læs alle udkast"),
     "lørdag d. 21. november 2026 kl. 11.30 (dansk tid)"),
    ("nb", ("Din engangskode for godkjenning", "kan brukes én gang", "Les alle utkastene"),
     "lørdag 21. november 2026 kl. 11.30 (dansk tid)"),
    ("en", ("Your one-time approval code", "it can be used once", "Read every draft"), "Saturday 21 November 2026, 11:30 (Danish time)"),
])
def test_the_code_e_mail_speaks_the_managers_language(language, words, until):
    batch = code_email(incident_id="BR-2026-0007", manager=RosterEntry(email="ceo@example.com", language=language), issued=ISSUED,
                       drafts_hash=HASH, controller=load_profile(EXAMPLES / "controller.json"))
    assert batch.recipients[0].email == "ceo@example.com" and batch.recipients[0].delivery_id == "code-7"
    assert "1234 5678" in batch.text and "1234" not in batch.subject and "BR-2026-0007" in batch.subject
    for word in words:
        assert word in batch.text
    assert until in batch.text and HASH[:16] in batch.text and "ceo@example.com" in batch.text
    assert "{{" not in batch.text and "\n\n\n" not in batch.text

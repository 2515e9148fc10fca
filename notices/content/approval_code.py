"""The e-mail that carries a one-time approval code to a manager, in the language of their roster entry.

It leaves through the same e-mail channel as the notices (SendGrid, or .eml files when no key is
set), as a batch of one. The code is in the body only, never in the subject (lock screens show
subjects).
"""

from __future__ import annotations

from datetime import datetime

from breach import instants
from breach.approval.codes import IssuedCode
from breach.approval.roster import RosterEntry
from breach.controller import ControllerProfile
from notices.content.render import ENVIRONMENT
from notices.email.message import EmailBatch, Recipient

LANGUAGES = ("da", "nb", "en")


def batch_key(code_id: int) -> str:
    """The batch key (and .eml name) of one code's e-mail."""
    return f"approval-code-{code_id}"


def code_email(*, incident_id: str, manager: RosterEntry, issued: IssuedCode, drafts_hash: str,
               controller: ControllerProfile) -> EmailBatch:
    """One e-mail to one manager holding their code, when it expires and which drafts it is for."""
    language = manager.language if manager.language in LANGUAGES else "en"
    context = {"incident_id": incident_id, "code": issued.shown, "manager": manager.email, "c": controller,
               "drafts_hash": drafts_hash[:16], "valid_until": _until(issued.expires_at, controller.timezone, language)}
    subject = ENVIRONMENT.get_template(f"approval_code/{language}/email.subject.j2").render(context)
    text = ENVIRONMENT.get_template(f"approval_code/{language}/email.txt.j2").render(context)
    recipient = Recipient(delivery_id=f"code-{issued.code_id}", email=manager.email, name=manager.name or "")
    return EmailBatch(incident_id=incident_id, batch_key=batch_key(issued.code_id), subject=" ".join(subject.split()),
                      text=text.strip() + "\n", html=None, from_email=controller.sender_email, from_name=controller.name,
                      recipients=[recipient])


def _until(moment: datetime, zone: str, language: str) -> str:
    return instants.local_text(moment, tz=zone, language=language)

"""Publish the approved Art. 34(3)(c) public notices as static HTML files, one per language.

The page is exactly the approved draft's HTML (autoescaped when it was rendered), so what is
published is what the manager approved; nothing is written before that approval.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from breach.approval.decisions import current_drafts, require_approved
from breach.enums import Channel, NoticeKind
from notices.output import ExportedFile, remember_export

KIND = "public_notice"  # export kinds are "public_notice/<lang>", one per page


def public_notice_path(out_dir: Path, incident_id: str, language: str, variant: str = "") -> Path:
    """Where an incident's public notice in one language is written: <out_dir>/<id>/public/<lang>.html
    (<lang>-<variant>.html for one group of a split notice, e.g. the US website notice of Massachusetts)."""
    return Path(out_dir) / incident_id / "public" / f"{language}{'-' + variant if variant else ''}.html"


def export_public_notices(*, session: Session, incident_id: str, out_dir: Path, actor: str, now: datetime) -> list[ExportedFile]:
    """Write the approved public notices (NotApproved before approval); unchanged files are not re-recorded."""
    drafts = [d for d in current_drafts(session=session, incident_id=incident_id)
              if d.kind == NoticeKind.PUBLIC_NOTICE.value and d.channel == Channel.WEB.value]
    if not drafts:
        return []
    require_approved(session=session, incident_id=incident_id)
    files = []
    for draft in drafts:
        path = public_notice_path(out_dir, incident_id, draft.language, draft.variant)
        content = draft.html or ""
        if path.is_file() and path.read_text(encoding="utf-8") == content:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".html.tmp")
        tmp.write_text(content, encoding="utf-8")
        os.replace(tmp, path)
        kind = f"{KIND}/{draft.language}" + (f"/{draft.variant}" if draft.variant else "")
        files.append(remember_export(session=session, incident_id=incident_id, kind=kind, path=path, actor=actor, now=now))
    return files

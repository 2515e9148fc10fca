"""Supplementary reports (Art. 33(4)): what changed since the last filing, answer by answer.

"Where, and in so far as, it is not possible to provide the information at the same time, the
information may be provided in phases without undue further delay." A supplementary report is
numbered per authority, names the filing it follows, and lists every form answer that differs
from what that filing said, plus the facts fields that changed. Built from data only (no clock).
"""

from __future__ import annotations

from typing import Any

from notices.output import markdown_text
from notices.params import load_table
from notices.report.pack import format_answer

# Facts fields that are free text typed by responders or bookkeeping; the answers diff covers their effect.
_FACTS_SKIP = frozenset({"notes"})


def _answers(pack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{s}.{f}": field for s, sec in pack["sections"].items() for f, field in sec["fields"].items()}


def build_followup(*, previous: dict[str, Any], current: dict[str, Any], number: int, since: str,
                   facts_versions: dict[str, int | None], facts_before: dict[str, Any], facts_after: dict[str, Any],
                   people_counts: dict[str, int]) -> dict[str, Any]:
    """The supplementary report: header of the current pack, changed answers, changed facts, counts now."""
    before, after = _answers(previous), _answers(current)
    changes = [{"field": key, "question": field["question"], "before": before[key]["answer"], "after": field["answer"]}
               for key, field in after.items() if key in before and before[key]["answer"] != field["answer"]]
    facts_changed = sorted(k for k in set(facts_before) | set(facts_after)
                           if k not in _FACTS_SKIP and facts_before.get(k) != facts_after.get(k))
    header = {k: current[k] for k in ("kind", "pack_version", "language", "incident_id", "controller_name", "authority",
                                      "deadline", "deadline_text", "form")}
    header["authority_reference"] = _reference(current)
    title = load_table("filing_form")["values"]["followup_title"].get(current["language"], "Supplementary report no. {n}")
    return {
        **header,
        "kind": "supplementary_report",
        "title": title.format(n=number),
        "followup_number": number,
        "since_filing": since,
        "facts_versions": facts_versions,
        "facts_changed": facts_changed,
        "people_counts": dict(sorted(people_counts.items())),
        "changes": changes,
        "missing": current["missing"],
        "sections": current["sections"],
    }


def _reference(pack: dict[str, Any]) -> str | None:
    """The authority's case number as the pack answers it (Danish layout or a form's previous-filings answer)."""
    field = pack["sections"].get("notification", {}).get("fields", {}).get("authority_reference")
    return field["answer"] if field else None


def followup_markdown(report: dict[str, Any]) -> str:
    """The supplementary report as Markdown: what changed first (before -> now), then the facts fields changed."""
    lang = report["language"]
    words = load_table("filing_form")["values"]
    authority = markdown_text((report.get("authority") or {}).get("name", ""))
    out = [f"# {report['title']}", "", f"- **{report['incident_id']}** \u00b7 {authority}"]
    if report.get("authority_reference"):
        label = load_table("filing_form_more")["sections"]["notification"]["authority_reference"][lang]
        out.append(f"- {label}: {markdown_text(str(report['authority_reference']))}")
    out += [f"- {words['followup_since'][lang]}: {report['since_filing']}", ""]
    if not report["changes"]:
        out += [words["followup_none"][lang], ""]
    for change in report["changes"]:
        out += [f"**{change['question']}** (`{change['field']}`)", "",
                f"- {words['before'][lang]}: {markdown_text(format_answer(change['before'], lang).replace(chr(10), '; '))}",
                f"- {words['after'][lang]}: {markdown_text(format_answer(change['after'], lang).replace(chr(10), '; '))}", ""]
    if report["facts_changed"]:
        out += ["facts: " + ", ".join(report["facts_changed"]), ""]
    return "\n".join(out).rstrip() + "\n"

"""Render a notice from its params: one sandboxed Jinja environment, templates found by name.

Templates live in ``notices/templates/<kind>/<language>/<channel>.<part>.j2`` where ``kind`` is a
``NoticeKind`` value and ``part`` is ``subject``, ``txt`` or ``html`` (html is optional: letters
have none). Every file starts with a ``{# version: N #}`` header; the recorded template version
is the highest header in the language folder plus a digest of its sources, so an edit that
forgets to bump the header still changes the version stored with each draft.

The recipient's name is never rendered by Jinja: templates hold the literal tags below and
``personalize`` substitutes them afterwards (SendGrid substitutions use the same tags), so a
name like ``{{ 7*7 }}`` stays text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import cache, lru_cache
from html import escape
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field

from breach.approval.integrity import content_hash
from breach.enums import Channel, NoticeKind
from notices.params import NAME_TAG_HTML, NAME_TAG_TEXT, PARAMS_BY_KIND, AuthorityNoticeParams, NoticeParams, SubjectNoticeParams
from notices.report.pack import build_filing_pack, format_answer

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
CHANNELS: dict[NoticeKind, tuple[Channel, ...]] = {
    NoticeKind.SUBJECT_NOTICE: (Channel.EMAIL, Channel.LETTER),
    NoticeKind.AUTHORITY_REPORT: (Channel.FORM, Channel.EMAIL),
    NoticeKind.PUBLIC_NOTICE: (Channel.WEB,),
}
REQUIRED_PARTS = ("subject", "txt")
__all__ = ["NAME_TAG_HTML", "NAME_TAG_TEXT", "RenderedNotice", "content_hash", "personalize", "render", "template_version"]
# Used when a person's name is unknown, so the greeting still reads as a sentence.
FALLBACK_NAMES = {"da": "modtager", "nb": "mottaker", "en": "recipient", "nl": "heer/mevrouw", "en-US": "Sir or Madam"}
_VERSION_HEADER = re.compile(r"\{#\s*version:\s*(\d+)\s*#\}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")

ENVIRONMENT = SandboxedEnvironment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENVIRONMENT.filters["answer"] = format_answer


def marked_html(text: str) -> Markup:
    """Plain notice text with '## ' headings and '- ' bullets as HTML (escaped), for e-mail bodies built from one text."""
    out: list[str] = []
    in_list = False
    for line in text.strip().split("\n"):
        if line.startswith("- ") != in_list:
            out.append("<ul style=\"margin:0 0 8px 0;padding-left:22px;\">" if not in_list else "</ul>")
            in_list = not in_list
        if line.startswith("## "):
            out.append(f'<h2 style="font-size:17px;margin:20px 0 6px;">{escape(line[3:])}</h2>')
        elif line.startswith("- "):
            out.append(f"<li>{escape(line[2:])}</li>")
        elif line.strip():
            out.append(f'<p style="margin:0 0 8px 0;">{escape(line)}</p>')
    out.append("</ul>" if in_list else "")
    return Markup("\n".join(part for part in out if part))


ENVIRONMENT.filters["marked_html"] = marked_html
ENVIRONMENT.globals.update(NAME_TAG_TEXT=NAME_TAG_TEXT, NAME_TAG_HTML=NAME_TAG_HTML)


class RenderedNotice(BaseModel):
    """A rendered draft: what is approved, stored with its template version and content hash."""

    model_config = ConfigDict(frozen=True)

    subject: str
    text: str
    html: str | None = None
    template_version: str
    content_hash: str
    fallback_name: str = ""
    variant: str = Field(default="", description="The group of people this draft is for when a notice is split (US state groups)")


def _subject_context(params: SubjectNoticeParams) -> dict[str, Any]:
    """Template variables for a notice to people affected."""
    return {"p": params, "c": params.controller}


def _authority_context(params: AuthorityNoticeParams) -> dict[str, Any]:
    """Template variables for an authority report: the params and the filing pack built from them."""
    return {"p": params, "c": params.controller, "pack": build_filing_pack(params)}


_CONTEXT: dict[NoticeKind, Callable[[Any], dict[str, Any]]] = {
    NoticeKind.SUBJECT_NOTICE: _subject_context,
    NoticeKind.AUTHORITY_REPORT: _authority_context,
    NoticeKind.PUBLIC_NOTICE: _subject_context,
}


def template_name(kind: NoticeKind, language: str, channel: Channel, part: str) -> str:
    """The template file for one part of a notice, relative to ``notices/templates``."""
    return f"{NoticeKind(kind).value}/{language}/{Channel(channel).value}.{part}.j2"


@lru_cache(maxsize=1)
def _known_templates() -> frozenset[str]:
    """Every template file name the loader can find."""
    return frozenset(ENVIRONMENT.list_templates())


@cache
def template_version(kind: NoticeKind, language: str) -> str:
    """The version of a kind's templates in one language, e.g. 'subject_notice/da@1+3f2a9c1d'."""
    prefixes = (f"{kind}/{language}/", f"{kind}/_", "_")
    names = sorted(name for name in _known_templates() if name.startswith(prefixes))
    sources = [(TEMPLATES_DIR / name).read_text(encoding="utf-8") for name in names]
    versions = [int(m.group(1)) for source in sources for m in [_VERSION_HEADER.search(source)] if m]
    digest = hashlib.sha256("\x00".join(names + sources).encode("utf-8")).hexdigest()[:8]
    return f"{kind}/{language}@{max(versions, default=0)}+{digest}"


def render(kind: NoticeKind, params: NoticeParams, *, channel: Channel) -> RenderedNotice:
    """Render one notice kind for one channel in the params' language."""
    kind, channel = NoticeKind(kind), Channel(channel)
    if not isinstance(params, PARAMS_BY_KIND[kind]):
        raise TypeError(f"{kind} needs {PARAMS_BY_KIND[kind].__name__}, not {type(params).__name__}")
    if channel not in CHANNELS[kind]:
        raise ValueError(f"{kind} has no {channel} templates; channels: {[c.value for c in CHANNELS[kind]]}")
    language = params.language
    context = _CONTEXT[kind](params)
    parts = {
        part: ENVIRONMENT.get_template(name).render(context)
        for part in ("subject", "txt", "html")
        if (name := template_name(kind, language, channel, part)) in _known_templates() or part in REQUIRED_PARTS
    }
    subject = " ".join(parts["subject"].split())
    text = parts["txt"].strip() + "\n"
    html = parts.get("html")
    return RenderedNotice(
        subject=subject,
        text=text,
        html=html,
        template_version=template_version(kind, language),
        content_hash=content_hash(subject, text, html),
        fallback_name=FALLBACK_NAMES[language],
    )


def clean_name(name: str | None) -> str:
    """A name made safe for one line: control characters and line breaks become single spaces."""
    return " ".join(_CONTROL.sub(" ", name or "").split())


def personalize(rendered: RenderedNotice, name: str | None, *, fallback: str | None = None) -> RenderedNotice:
    """Put a person's name where the tags are; the content hash stays the approved draft's.

    Args:
        fallback: used when the name is blank; defaults to the notice's ``fallback_name``.
    """
    text_name = clean_name(name) or clean_name(fallback) or rendered.fallback_name
    html = rendered.html.replace(NAME_TAG_HTML, escape(text_name, quote=True)) if rendered.html else rendered.html
    return rendered.model_copy(
        update={
            "subject": rendered.subject.replace(NAME_TAG_TEXT, text_name),
            "text": rendered.text.replace(NAME_TAG_TEXT, text_name),
            "html": html,
        }
    )

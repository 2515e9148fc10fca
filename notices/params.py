"""One params model per NoticeKind (anchor: fides ``*BodyParams``); formatting helpers live on the models.

Inputs are plain data (the facts document and the assessment dict of ASSESSMENT.md), so the
words in ``notices/`` do not depend on how ``breach/`` stores an incident. What each kind of
personal data means for a person (label, likely consequences, advice) is a data table,
``notices/data/categories.json``, in Danish, Norwegian (bokmål) and English.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from breach.controller import ControllerProfile
from breach.enums import NoticeKind
from breach.instants import clock_time, parse_instant, zone_words
from breach.texts import FreeText, text_in

DATA_DIR = Path(__file__).parent / "data"
LanguageCode = Literal["da", "nb", "en", "nl", "en-US"]
# The recipient's name is never rendered: notices hold these tags and the name is put in afterwards
# (notices.content.render.personalize, SendGrid substitutions); shared here by rendering, e-mail and exports.
NAME_TAG_TEXT = "-recipient_name_text-"
NAME_TAG_HTML = "-recipient_name_html-"
LOCALES: dict[str, str] = {"da": "da_DK", "nb": "nb_NO", "en": "en_GB", "nl": "nl_NL", "en-US": "en_US"}
# The data tables (categories, filing form words) are per language; American English reads the English rows.
TABLE_LANGUAGE = {"en-US": "en"}
_AT = {"da": "{date} {time} ({zone})", "nb": "{date} {time} ({zone})", "en": "{date} at {time} ({zone})",
       "nl": "{date} om {time} ({zone})", "en-US": "{date} at {time} ({zone})"}
# Aggravating facts that put the data in criminals' hands: the advice adds a warning for the months ahead.
CIRCULATING = frozenset({"offered_for_sale", "published", "misused"})


@cache
def load_table(name: str) -> dict[str, Any]:
    """Read a JSON data table from ``notices/data`` once."""
    return json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))


def table_language(language: str) -> str:
    """The language whose rows of the data tables a notice in ``language`` reads (en-US reads en)."""
    return TABLE_LANGUAGE.get(language, language)


def localized(row: dict[str, Any], language: str) -> Any:
    """A table row's words in ``language``: its own variant where the table has one (en-US spelling), else the
    variant it reads (``table_language``)."""
    return row[language] if language in row else row[table_language(language)]


def format_instant(moment: datetime | str, *, tz: str, language: str) -> str:
    """An instant as local date and time, e.g. '24. november 2026 kl. 14.05 (dansk tid)'."""
    instant = parse_instant(moment) if isinstance(moment, str) else moment
    local = instant.astimezone(ZoneInfo(tz))
    date = format_date(local.date(), "long", locale=LOCALES[language])
    time = clock_time(instant, tz=tz, language=language)
    return _AT[language].format(date=date, time=time, zone=zone_words(instant, tz=tz, language=language))


def format_day(moment: datetime | str, *, tz: str, language: str) -> str:
    """The local date of an instant in words, e.g. '20. november 2026'."""
    instant = parse_instant(moment) if isinstance(moment, str) else moment
    return format_date(instant.astimezone(ZoneInfo(tz)).date(), "long", locale=LOCALES[language])


def aggravating_sentences(items: Iterable[dict[str, Any]], details: list[str | None], *, audience: str, tz: str,
                          language: str) -> list[str]:
    """One sentence per aggravating fact (standard wording for its kind, dated) followed by its detail, if any."""
    words, lang = load_table("notice_words"), table_language(language)
    out = []
    for item, detail in zip(items, details, strict=True):
        at = item.get("at")
        when = words["on_date"][lang].format(date=format_day(at, tz=tz, language=language)) if at else ""
        text = words["aggravating"][item["kind"]][audience][lang].format(when=when)
        out.append(" ".join(part for part in (text, detail) if part))
    return [line for line in out if line]


def format_number(value: int, *, language: str) -> str:
    """A count with the language's digit grouping, e.g. '1.200' (da) or '1,200' (en)."""
    return format_decimal(value, locale=LOCALES[language])


def category_labels(categories: Iterable[str], language: str) -> list[str]:
    """The plain-language names of data categories, in the order given."""
    table = load_table("categories")["categories"]
    return [localized(table[key]["labels"], language) for key in categories]


def _ranked(categories: Iterable[str], column: str, language: str, fallback: str, texts: str = "") -> list[str]:
    """Texts from ``column`` (consequences or advice) owed by the categories, once each, in rank order.

    The fallback (a generic sentence) is shown only when nothing more specific applies.
    """
    data = load_table("categories")
    wanted = {key for category in categories for key in data["categories"][category][column]}
    ranked = [key for key in data[column] if key in wanted and key != fallback] or [fallback]
    return [localized(data[texts or column][key], language) for key in ranked]


def consequences_for(categories: Iterable[str], language: str) -> list[str]:
    """Likely consequences for a person whose data of these categories was breached."""
    return _ranked(categories, "consequences", language, fallback="disclosure")


def report_consequences_for(categories: Iterable[str], language: str) -> list[str]:
    """Likely consequences for the people concerned, worded for the supervisory authority."""
    return _ranked(categories, "consequences", language, fallback="disclosure", texts="consequences_report")


def advice_for(categories: Iterable[str], language: str) -> list[str]:
    """Concrete steps a person can take, derived from the breached data categories."""
    return _ranked(categories, "advice", language, fallback="general")


def _known_categories(values: list[str]) -> list[str]:
    """Refuse a data category the table has no words for (a new schema value needs a table row)."""
    unknown = [value for value in values if value not in load_table("categories")["categories"]]
    if unknown:
        raise ValueError(f"no notice text for data categories {unknown}; add them to notices/data/categories.json")
    return values


class SubjectNoticeParams(BaseModel):
    """Art. 34(2): what a person affected by a high-risk breach must be told, in plain language."""

    model_config = ConfigDict(frozen=True)

    incident_id: str
    controller: ControllerProfile
    language: LanguageCode
    summary: str = Field(min_length=1, description="What happened, in plain words for the people affected")
    data_categories: list[str] = Field(description="facts.data_categories")
    occurred_at: AwareDatetime | None = None
    aware_at: AwareDatetime | None = None
    measures_taken: list[str] = Field(default_factory=list)
    measures_proposed: list[str] = Field(default_factory=list)
    likely_consequences: list[str] = Field(default_factory=list, description="The responder's own words, in this language")
    aggravating: list[str] = Field(default_factory=list, description="Sentences on facts that raise the risk, in this language")
    circulating: bool = Field(default=False, description="The data is in criminals' hands (offered for sale, published, misused)")
    credentials_reset: bool | None = None
    breach_types: list[str] = Field(default_factory=lambda: ["confidentiality"], description="facts.breach_types")
    risk: Literal["unlikely", "risk", "high"] = "high"

    @field_validator("data_categories")
    @classmethod
    def _categories_have_words(cls, value: list[str]) -> list[str]:
        return _known_categories(value)

    @classmethod
    def from_facts(cls, document: dict[str, Any], *, incident_id: str, controller: ControllerProfile, language: str,
                   risk: str) -> SubjectNoticeParams:
        """Params from a facts document, its free text in ``language`` (MissingTranslation when not given)."""
        text = text_in(document, language, default_language=controller.default_language)
        items = list(document.get("aggravating_facts") or [])
        return cls(
            incident_id=incident_id, controller=controller, language=language, summary=text.summary,
            data_categories=document.get("data_categories", []), occurred_at=document.get("occurred_at"),
            aware_at=document.get("aware_at"), measures_taken=text.measures_taken, measures_proposed=text.measures_proposed,
            likely_consequences=text.likely_consequences, credentials_reset=document.get("credentials_reset"), risk=risk,
            breach_types=list(document.get("breach_types") or ["confidentiality"]),
            aggravating=aggravating_sentences(items, text.aggravating_details, audience="subject", tz=controller.timezone,
                                              language=language),
            circulating=any(item.get("kind") in CIRCULATING for item in items),
        )

    def category_labels(self) -> list[str]:
        """The breached kinds of data, named for a lay reader."""
        return category_labels(self.data_categories, self.language)

    def disclosed(self) -> bool:
        """Whether others may have seen the data (a confidentiality breach), not only lost or changed it."""
        return "confidentiality" in self.breach_types

    def consequences(self) -> list[str]:
        """Art. 34(2) with 33(3)(c): the likely consequences of the breach for the person (disclosure
        consequences only when the data may have been seen)."""
        if not self.disclosed():
            return [load_table("notice_words")["availability"]["consequence"][table_language(self.language)], *self.likely_consequences]
        return consequences_for(self.data_categories, self.language) + list(self.likely_consequences)

    def advice(self) -> list[str]:
        """Concrete steps the person can take; password advice fits a reset already done, and data
        in criminals' hands adds a warning."""
        words, table, lang = load_table("notice_words")["advice"], load_table("categories")["advice"], table_language(self.language)
        if not self.disclosed():
            return [load_table("notice_words")["availability"]["advice"][lang]]
        reset = {table["change_password"][lang]: words["change_password_reset"][lang]} if self.credentials_reset else {}
        out = [reset.get(item, item) for item in advice_for(self.data_categories, self.language)]
        return out + ([words["data_circulating"][lang]] if self.circulating else [])

    def proposed_intro(self) -> str:
        """The lead-in to measures proposed, e.g. 'Det vil vi også gøre:'."""
        return str(load_table("notice_words")["proposed_intro"][table_language(self.language)])

    def signature(self) -> list[str]:
        """The closing lines: the signatory's name and title (when the profile names one), then the controller."""
        c = self.controller
        title = (c.signatory_title.get(self.language) or c.signatory_title.get(table_language(self.language))) if c.signatory_name else None
        return [line for line in (c.signatory_name, title, c.name) if line]

    def risk_text(self) -> str:
        """One sentence saying how serious we think the breach is for the person."""
        return localized(load_table("categories")["risk"][self.risk], self.language)

    def when(self, moment: datetime) -> str:
        """An instant in the controller's time zone and the notice's language."""
        return format_instant(moment, tz=self.controller.timezone, language=self.language)


class PublicNoticeParams(SubjectNoticeParams):
    """Art. 34(3)(c): a public communication that informs the people "in an equally effective manner"
    when telling each of them would take disproportionate effort; the same Art. 34(2) content, addressed to all."""


class AuthorityNoticeParams(BaseModel):
    """Art. 33(3): what the supervisory authority must be told; see ``notices.report.pack``."""

    model_config = ConfigDict(frozen=True)

    incident_id: str
    controller: ControllerProfile
    facts: dict[str, Any] = Field(description="The validated facts document (schema field names)")
    assessment: dict[str, Any] = Field(description="The assessment dict of ASSESSMENT.md")
    people_counts: dict[str, int] = Field(default_factory=dict, description="People to be told, by channel")
    notified_at: AwareDatetime | None = None
    reasons_for_delay: str | None = None
    audience: dict[str, Any] | None = Field(default=None, description="Who is told and why (breach.people.audience), counts only")
    language: LanguageCode = "da"
    as_of: AwareDatetime | None = Field(default=None, description="When the pack is made; before filing, lateness is judged then")
    people_told: dict[str, Any] = Field(default_factory=dict,
                                        description="When and how people were told: accepted deliveries by channel, first and last")
    authority_reference: str | None = Field(default=None, description="The authority's case number from an earlier filing")
    home_country: str | None = Field(default=None, description="The country of the authority this pack is for (others are abroad)")

    @field_validator("language")
    @classmethod
    def _authority_english(cls, value: str) -> str:
        # Reports go to European authorities: American English is written as the English report.
        return table_language(value)

    @field_validator("facts")
    @classmethod
    def _categories_have_words(cls, facts: dict[str, Any]) -> dict[str, Any]:
        _known_categories(list(facts.get("data_categories", [])))
        return facts

    def instant(self, key: str) -> datetime | None:
        """A facts date-time (ISO string) as an aware UTC datetime, or None."""
        value = self.facts.get(key)
        return parse_instant(value) if isinstance(value, str) else value

    def deadline(self) -> datetime | None:
        """Art. 33(1): the assessment's authority deadline (aware_at + 72 h), or None."""
        value = self.assessment.get("authority_deadline")
        return parse_instant(value) if value else None

    def is_late(self) -> bool:
        """True when the notification is (or, not filed yet, would now be) made after the 72-hour deadline (Art. 33(1))."""
        deadline, when = self.deadline(), self.notified_at or self.as_of
        return bool(deadline and when and when > deadline)

    def free_text(self) -> FreeText:
        """The facts' free text in the pack's language (MissingTranslation names what is not given)."""
        return text_in(self.facts, self.language, default_language=self.controller.default_language)

    def when(self, moment: datetime | str | None) -> str | None:
        """An instant in the controller's time zone and the report's language, or None."""
        if moment is None:
            return None
        return format_instant(moment, tz=self.controller.timezone, language=self.language)

    def category_labels(self) -> list[str]:
        """The breached kinds of data, named in the report's language."""
        return category_labels(self.facts.get("data_categories", []), self.language)

    def consequences(self) -> list[str]:
        """Art. 33(3)(c): likely consequences, derived from the data categories."""
        return report_consequences_for(self.facts.get("data_categories", []), self.language)


NoticeParams = SubjectNoticeParams | AuthorityNoticeParams  # a public notice's params are a subject notice's
PARAMS_BY_KIND: dict[NoticeKind, type[NoticeParams]] = {
    NoticeKind.SUBJECT_NOTICE: SubjectNoticeParams,
    NoticeKind.AUTHORITY_REPORT: AuthorityNoticeParams,
    NoticeKind.PUBLIC_NOTICE: PublicNoticeParams,
}

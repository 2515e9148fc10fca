"""A person's own list of breached data: the shared draft names every category; a person is not told
about contact data we never held for them (no "E-mail address" in a letter to someone without one).

The draft lists each category as one bullet (``- Label`` in text, ``<li>Label</li>`` in HTML); what
a person lacks is known from the people file: no e-mail address, no postal address. Only those
two are dropped: the people file holds the contact data we send with, so its gaps are real gaps,
while a blank phone column says nothing about what the breached system held.
"""

from __future__ import annotations

from functools import lru_cache

from notices.email.message import OWN_POSTAL_HTML, OWN_POSTAL_TEXT
from notices.params import load_table, table_language

CONTACT_CATEGORIES = ("email", "postal_address")


def absent_contact_data(*, email: str | None, address: list[str] | None) -> set[str]:
    """The contact categories a person has none of in the people file."""
    absent = set()
    if not email:
        absent.add("email")
    if not [line for line in address or [] if line.strip()]:
        absent.add("postal_address")
    return absent


def category_line(category: str, language: str, *, html: bool = False) -> str:
    """The draft's bullet for one category, as rendered: '- E-mailadresse\\n' or '<li>E-mailadresse</li>\\n'."""
    label = load_table("categories")["categories"][category]["labels"][table_language(language)]
    return f"<li>{label}</li>\n" if html else f"- {label}\n"


def own_data_only(text: str, language: str, *, absent: set[str], html: bool = False) -> str:
    """The text without the bullets of contact categories the person has none of."""
    for category in sorted(absent & set(CONTACT_CATEGORIES)):
        text = text.replace(category_line(category, language, html=html), "")
    return text


def own_data_tags(text: str, html: str | None, language: str) -> tuple[str, str | None]:
    """The e-mail draft with its postal-address bullet replaced by a per-person tag (see ``own_data_values``)."""
    line, item = category_line("postal_address", language), category_line("postal_address", language, html=True)
    return text.replace(line, OWN_POSTAL_TEXT), (html.replace(item, OWN_POSTAL_HTML) if html else html)


@lru_cache(maxsize=64)
def _values(language: str, has_address: bool) -> dict[str, str]:
    if not has_address:
        return {OWN_POSTAL_TEXT: "", OWN_POSTAL_HTML: ""}
    line, item = category_line("postal_address", language), category_line("postal_address", language, html=True)
    return {OWN_POSTAL_TEXT: line, OWN_POSTAL_HTML: item}


def own_data_values(language: str, *, has_address: bool) -> dict[str, str]:
    """One e-mail recipient's substitutions (like the name, filled in per person): the postal-address bullet
    where they have a postal address, else nothing. E-mail recipients all have an e-mail address."""
    return _values(language, has_address)

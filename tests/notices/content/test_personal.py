"""A person's own list of breached data: no 'E-mail address' for someone who has none."""

from __future__ import annotations

import pytest

from breach.enums import Channel, NoticeKind
from notices.content.personal import absent_contact_data, category_line, own_data_only, own_data_tags
from notices.content.render import render
from notices.email.message import OWN_POSTAL_HTML, OWN_POSTAL_TEXT
from tests.notices.content.test_render import subject_params

pytestmark = pytest.mark.unit


def test_a_letter_to_someone_without_an_e_mail_address_does_not_list_one() -> None:
    text = render(NoticeKind.SUBJECT_NOTICE, subject_params("da", data_categories=["name", "email", "postal_address"]),
                  channel=Channel.LETTER).text
    absent = absent_contact_data(email=None, address=["Nordlysvej 4", "8000 Aarhus C"])
    assert absent == {"email"}
    own = own_data_only(text, "da", absent=absent)
    assert "- E-mailadresse\n" in text and "- E-mailadresse\n" not in own
    assert "- Navn\n" in own and "- Postadresse\n" in own and own.count("\n") == text.count("\n") - 1


def test_an_e_mail_draft_carries_a_per_person_tag_for_the_postal_address() -> None:
    rendered = render(NoticeKind.SUBJECT_NOTICE, subject_params("nb", data_categories=["name", "email", "postal_address"]),
                      channel=Channel.EMAIL)
    text, html = own_data_tags(rendered.text, rendered.html, "nb")
    assert OWN_POSTAL_TEXT in text and "- Postadresse\n" not in text
    assert html is not None and OWN_POSTAL_HTML in html and "<li>Postadresse</li>" not in html
    assert "- E-postadresse\n" in text  # everyone on the e-mail channel has one


def test_american_english_reads_the_english_labels() -> None:
    assert category_line("postal_address", "en-US") == "- Postal address\n"

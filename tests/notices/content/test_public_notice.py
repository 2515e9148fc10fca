"""Art. 34(3)(c) public communication: a static page per language, drafted, approved, then exported."""

from __future__ import annotations

import pytest

from breach.approval import decisions as approval
from breach.controller import load_profile
from breach.enums import Channel, NoticeKind
from breach.exceptions import ApprovalRefused, NotApproved
from breach.keys.cipher import MultiKeyCipher
from breach.people.store import import_people
from flows.runtime import EXAMPLES
from notices.content.drafting import draft_notices
from notices.content.public_notice import export_public_notices, public_notice_path
from notices.content.render import NAME_TAG_HTML, NAME_TAG_TEXT, render
from notices.params import PublicNoticeParams
from tests.factories import approve, make_incident, set_roster, write_people_csv
from tests.notices.content.test_render import controller, subject_params

MANAGER, RESPONDER = "manager@example.com", "responder@example.com"
HEADINGS = {"en": ["What happened?", "What this may mean for you", "What we have done", "What you can do", "Questions?"],
            "da": ["Hvad er der sket?", "Hvad kan det betyde for dig?", "Hvad har vi gjort?", "Hvad kan du selv gøre?",
                   "Har du spørgsmål?"],
            "nb": ["Hva har skjedd?", "Hva kan dette bety for deg?", "Hva har vi gjort?", "Hva kan du gjøre selv?", "Har du spørsmål?"],
            "nl": ["Wat is er gebeurd?", "Wat kan dit voor u betekenen?", "Wat hebben wij gedaan?", "Wat kunt u zelf doen?",
                   "Heeft u vragen?"]}


def public(language: str = "en", **overrides) -> PublicNoticeParams:
    return PublicNoticeParams(**subject_params(language, **overrides).model_dump())


@pytest.mark.unit
@pytest.mark.parametrize("language", ["da", "nb", "en", "nl"])
def test_public_page_holds_the_art_34_2_content_in_its_language(language: str) -> None:
    params = public(language)
    page = render(NoticeKind.PUBLIC_NOTICE, params, channel=Channel.WEB)
    assert page.html.lstrip().startswith("<!DOCTYPE html>") and f'<html lang="{language}">' in page.html
    for heading in HEADINGS[language]:
        assert heading in page.html and heading in page.text
    for advice in params.advice():
        assert advice in page.text
    assert params.controller.contact_email in page.html and "BR-2026-0007" in page.html
    assert NAME_TAG_HTML not in page.html and NAME_TAG_TEXT not in page.text  # addressed to everyone, not a person
    assert "<script" not in page.html and "http" not in page.html.split("<body>")[0].replace("http-equiv", "")


@pytest.mark.unit
def test_public_page_escapes_markup_from_facts_and_profile() -> None:
    params = PublicNoticeParams(**{**subject_params("en", summary="<script>alert(1)</script> {{ 7*7 }}").model_dump(),
                                   "controller": controller(name="Evil <b>Co</b>")})
    page = render(NoticeKind.PUBLIC_NOTICE, params, channel=Channel.WEB)
    assert "<script>alert" not in page.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.html
    assert "Evil &lt;b&gt;Co&lt;/b&gt;" in page.html and "<b>Co</b>" not in page.html
    assert "{{ 7*7 }}" in page.text and "49" not in page.text


@pytest.mark.integration
def test_unreachable_people_get_public_notices_that_export_only_after_approval(session, now, tmp_path) -> None:
    incident_id = make_incident(session=session, now=now, reference=f"PUB-{tmp_path.name}", subjects_reachable=False)
    people = write_people_csv(tmp_path / "people.csv", [["Nora Nord", "nb", "", "", "", "", "", "NO"]])
    import_people(session=session, incident_id=incident_id, path=people, cipher=MultiKeyCipher.from_master_keys([b"p" * 32]),
                  batch_size=1000, actor=RESPONDER, now=now)
    profile = load_profile(EXAMPLES / "controller.json")
    rows = draft_notices(session=session, incident_id=incident_id, controller=profile, actor=RESPONDER, now=now)
    public_rows = {r.language: r for r in rows if r.kind == "public_notice"}
    assert set(public_rows) == {"nb", profile.default_language} and all(r.channel == "web" for r in public_rows.values())
    assert not [r for r in rows if r.kind == "subject_notice"]  # nobody is told individually (Art. 34(3)(c))
    out = tmp_path / "exports"
    with pytest.raises(NotApproved):
        export_public_notices(session=session, incident_id=incident_id, out_dir=out, actor=RESPONDER, now=now)
    assert not out.exists()
    set_roster(session=session, now=now, managers=[MANAGER])
    approve(session=session, incident_id=incident_id, now=now, actor=MANAGER)
    files = export_public_notices(session=session, incident_id=incident_id, out_dir=out, actor=RESPONDER, now=now)
    assert sorted(f.path for f in files) == sorted(public_notice_path(out, incident_id, lang) for lang in public_rows)
    assert sorted(f.kind for f in files) == sorted(f"public_notice/{lang}" for lang in public_rows)
    for lang, row in public_rows.items():
        assert public_notice_path(out, incident_id, lang).read_text(encoding="utf-8") == row.html
    assert export_public_notices(session=session, incident_id=incident_id, out_dir=out, actor=RESPONDER, now=now) == []


@pytest.mark.integration
def test_reachable_people_get_no_public_notice(session, now, tmp_path) -> None:
    incident_id = make_incident(session=session, now=now, reference=f"NOPUB-{tmp_path.name}")
    rows = draft_notices(session=session, incident_id=incident_id, controller=load_profile(EXAMPLES / "controller.json"),
                         actor=RESPONDER, now=now)
    assert rows and not [r for r in rows if r.kind == "public_notice"]


@pytest.mark.integration
def test_drafts_of_every_kind_pass_the_check_and_can_be_approved_and_gaps_block_it(session, now, tmp_path) -> None:
    """Authority pack, notices by e-mail and letter, and a public notice for the one person we cannot reach."""
    incident_id = make_incident(session=session, now=now, reference=f"ALL-{tmp_path.name}")
    rows = [["Nora Nord", "nb", "nora@example.com", "", "", "", "", "NO"],
            ["Søren Lund", "da", "", "letter", "Nordlysvej 4", "8000", "Aarhus C", "DK"],
            ["Anne Ukendt", "da", "", "", "", "", "", "DK"]]
    import_people(session=session, incident_id=incident_id, path=write_people_csv(tmp_path / "people.csv", rows),
                  cipher=MultiKeyCipher.from_master_keys([b"p" * 32]), batch_size=1000, actor=RESPONDER, now=now)
    profile = load_profile(EXAMPLES / "controller.json")
    drafts = draft_notices(session=session, incident_id=incident_id, controller=profile, actor=RESPONDER, now=now)
    kinds = {(d.kind, d.language, d.channel) for d in drafts}
    assert {("authority_report", "da", "form"), ("subject_notice", "nb", "email"), ("subject_notice", "da", "letter"),
            ("public_notice", "da", "web")} <= kinds
    set_roster(session=session, now=now, managers=[MANAGER])
    # the check was recorded for exactly these drafts, whatever their order
    approve(session=session, incident_id=incident_id, now=now, comment="")
    approval.require_approved(session=session, incident_id=incident_id)


@pytest.mark.integration
def test_a_language_without_free_text_is_not_drafted_and_approval_is_refused(session, now, tmp_path) -> None:
    incident_id = make_incident(session=session, now=now, reference=f"GAP-{tmp_path.name}", translations={})  # English text only
    rows = [["Nora Nord", "nb", "nora@example.com", "", "", "", "", "NO"],
            ["Amelia Ashworth", "en", "amelia@example.com", "", "", "", "", "GB"]]
    import_people(session=session, incident_id=incident_id, path=write_people_csv(tmp_path / "people.csv", rows),
                  cipher=MultiKeyCipher.from_master_keys([b"p" * 32]), batch_size=1000, actor=RESPONDER, now=now)
    profile = load_profile(EXAMPLES / "controller.json")
    drafts = draft_notices(session=session, incident_id=incident_id, controller=profile, actor=RESPONDER, now=now)
    assert {(d.kind, d.language) for d in drafts} == {("subject_notice", "en")}  # no Danish pack, no Norwegian notice
    from notices.content.drafting import check_outcome, translation_gaps

    gaps = translation_gaps(session=session, incident_id=incident_id, controller=profile)
    assert gaps == {"da": ["summary", "measures_taken"], "nb": ["summary", "measures_taken"]}
    assert check_outcome(session=session, incident_id=incident_id)["missing_translations"] == gaps
    set_roster(session=session, now=now, managers=[MANAGER])
    with pytest.raises(ApprovalRefused, match="da lacks summary, measures_taken; nb lacks summary, measures_taken"):
        approve(session=session, incident_id=incident_id, now=now, comment="")

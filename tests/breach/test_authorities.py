"""The authorities table: complete for the EEA and the UK, exact for Denmark and Norway."""

from __future__ import annotations

import pytest

from breach.authorities import EEA_COUNTRIES, all_authorities, authorities_for, get_authority, lead_authority
from breach.facts import load_facts

pytestmark = pytest.mark.unit

BASE = {"summary": "x", "breach_types": ["confidentiality"], "data_categories": ["name"]}


def test_every_eea_country_and_the_uk_has_an_authority():
    codes = {a.code for a in all_authorities()}
    assert EEA_COUNTRIES | {"GB"} <= codes


def test_every_entry_has_name_country_and_language():
    for authority in all_authorities():
        assert authority.name and authority.country == authority.code
        assert len(authority.language) == 2


def test_denmark():
    dk = get_authority("DK")
    assert dk.name == "Datatilsynet"
    assert dk.address_lines == ["Carl Jacobsens Vej 35", "2500 Valby"]
    assert dk.email == "dt@datatilsynet.dk"
    assert dk.phone == "+45 33 19 32 00"
    assert dk.channel == "form" and "virk.dk" in dk.form_url
    assert dk.language == "da"
    assert dk.last_verified is not None


def test_norway():
    no = get_authority("NO")
    assert no.name == "Datatilsynet"
    assert no.address_lines == ["Postboks 458 Sentrum", "0105 Oslo"]
    assert no.email == "postkasse@datatilsynet.no"
    assert no.phone == "+47 22 39 69 00"
    assert no.channel == "form" and set(no.fallback_channels) == {"email", "letter"}
    assert "Altinn" in no.note
    assert no.language == "nb"
    assert no.last_verified is not None


@pytest.mark.parametrize(("given", "code"), [("dk", "DK"), ("EL", "GR"), ("UK", "GB"), ("US", None), (None, None), ("", None)])
def test_get_authority(given, code):
    found = get_authority(given)
    assert (found.code if found else None) == code


def test_lead_authority_is_the_controllers_country():
    assert lead_authority(load_facts({**BASE, "controller": {"country": "NO"}})).code == "NO"
    assert lead_authority(load_facts(BASE)) is None
    assert lead_authority(load_facts({**BASE, "controller": {"name": "Acme"}})) is None


def test_established_controller_owes_only_its_lead_authority():
    facts = load_facts({**BASE, "controller": {"country": "DK"}, "subjects_countries": ["NO", "SE"]})
    assert [a.code for a in authorities_for(facts)] == ["DK"]


def test_controller_outside_the_eea_owes_every_country_of_the_people():
    facts = load_facts({**BASE, "controller": {"country": "US", "established_in_eea": False}, "subjects_countries": ["NO", "DK", "ZZ"]})
    assert [a.code for a in authorities_for(facts)] == ["NO", "DK"]

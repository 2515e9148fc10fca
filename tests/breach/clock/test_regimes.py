"""Each regime's timeline from the bundled rules file, and rules versions switching by date."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from breach.assess import assess
from breach.clock import regimes
from breach.facts import load_facts
from tests.factories import facts_doc

pytestmark = pytest.mark.unit

CPH = ZoneInfo("Europe/Copenhagen")
AWARE = datetime(2026, 11, 20, 9, 30, tzinfo=CPH)  # 08:30 UTC
DETECTED = datetime(2026, 11, 20, 8, 0, tzinfo=CPH)


def _obligations(reports=None, rules=None, as_of=AWARE, **overrides):
    facts = load_facts(facts_doc(**overrides))
    return {o.id: o for o in regimes.obligations_for(facts, assess(facts).to_contract(), as_of=as_of, reports=reports or {},
                                                    rules=rules)}


def _utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_bundled_rules_validate_and_the_omnibus_is_a_proposal_not_in_force():
    rules = regimes.bundled_rules()
    omnibus = [v for v in rules.regimes if v.version == "gdpr-digital-omnibus"]
    assert omnibus and omnibus[0].status == "proposal" and omnibus[0].effective_from is None
    in_force = [v.version for v in regimes.versions_in_force(rules, as_of=date(2040, 1, 1))]
    assert in_force == ["gdpr-2016", "nis2-2022", "dora-2022", "eprivacy-611-2013"]
    assert [v.version for v in regimes.versions_in_force(rules, as_of=date(2024, 1, 1))] == ["gdpr-2016", "eprivacy-611-2013"]


def test_gdpr_controller_authority_72_hours_and_subjects_without_undue_delay():
    found = _obligations()
    assert set(found) == {"gdpr.authority", "gdpr.subjects"}
    authority = found["gdpr.authority"]
    assert authority.due_at == _utc(2026, 11, 23, 8, 30) and authority.party == "authority"
    assert "Art. 33(1)" in authority.legal_basis and authority.anchor == "aware_at"
    subjects = found["gdpr.subjects"]
    assert subjects.due_at is None and "without undue delay" in subjects.reason and "Art. 34(1)" in subjects.legal_basis


def test_low_risk_breach_owes_no_gdpr_authority_notification():
    found = _obligations(encryption="strong_key_safe", exfiltration="none", recipient="none", accessed="no_evidence",
                         malicious=False, cause="human_error", subjects_affected=3)
    assert "gdpr.authority" not in found and "gdpr.subjects" not in found


def test_gdpr_processor_hours_come_from_the_dpa_or_the_default():
    own = _obligations(role="processor", controller={"name": "Kunde A/S", "country": "DK", "dpa_hours": 12})
    assert set(own) == {"gdpr.processor"}
    assert own["gdpr.processor"].due_at == _utc(2026, 11, 20, 20, 30) and own["gdpr.processor"].party == "controller"
    default = _obligations(role="processor")
    assert default["gdpr.processor"].due_at == _utc(2026, 11, 21, 8, 30)  # rules file default: 24 h
    assert "Art. 33(2)" in default["gdpr.processor"].legal_basis


def test_nis2_early_warning_notification_and_final_report_one_month_after_the_notification():
    found = _obligations(regimes={"nis2_entity": "important"})
    assert found["nis2.early_warning"].due_at == _utc(2026, 11, 21, 8, 30)
    assert found["nis2.incident_notification"].due_at == _utc(2026, 11, 23, 8, 30)
    final = found["nis2.final_report"]
    assert final.due_at is None and "nis2.incident_notification" in final.reason
    notified = datetime(2026, 11, 22, 15, 10, tzinfo=CPH)
    later = _obligations(reports={"nis2.incident_notification": notified}, regimes={"nis2_entity": "essential"})
    # one calendar month on the Copenhagen wall clock: 22 December, 15:10 local
    assert later["nis2.final_report"].due_at == datetime(2026, 12, 22, 15, 10, tzinfo=CPH)
    assert later["nis2.final_report"].party == "csirt" and "23(4)(d)" in later["nis2.final_report"].legal_basis


def test_no_nis2_for_an_entity_outside_its_scope():
    assert not any(k.startswith("nis2.") for k in _obligations(regimes={"nis2_entity": None}))


def test_dora_initial_is_4_hours_after_classification_capped_at_24_hours_after_awareness():
    early = _obligations(regimes={"dora_financial_entity": True, "classified_major_at": "2026-11-20T11:00:00+01:00"})
    assert early["dora.initial"].due_at == _utc(2026, 11, 20, 14, 0)  # 4 h after classification
    late = _obligations(regimes={"dora_financial_entity": True, "classified_major_at": "2026-11-21T07:00:00+01:00"})
    assert late["dora.initial"].due_at == _utc(2026, 11, 21, 8, 30)  # 24 h after awareness comes first
    unclassified = _obligations(regimes={"dora_financial_entity": True})
    assert unclassified["dora.initial"].due_at is None and "classified_major_at" in unclassified["dora.initial"].reason
    assert early["dora.initial"].party == "competent_authority"


def test_dora_later_reports_are_computed_from_what_actually_happened():
    initial = datetime(2026, 11, 20, 13, 45, tzinfo=UTC)
    flags = {"dora_financial_entity": True, "classified_major_at": "2026-11-20T11:00:00+01:00"}
    step1 = _obligations(reports={"dora.initial": initial}, regimes=flags)
    assert step1["dora.intermediate"].due_at == initial + timedelta(hours=72)
    assert step1["dora.final"].due_at is None
    intermediate = datetime(2027, 1, 31, 10, 0, tzinfo=CPH)  # the latest updated intermediate report
    step2 = _obligations(reports={"dora.initial": initial, "dora.intermediate": intermediate}, regimes=flags)
    assert step2["dora.final"].due_at == datetime(2027, 2, 28, 10, 0, tzinfo=CPH)  # month end, same local time


def test_eprivacy_24_hours_from_detection():
    found = _obligations(regimes={"electronic_communications_provider": True}, detected_at=DETECTED.isoformat())
    assert found["eprivacy.authority"].due_at == _utc(2026, 11, 21, 7, 0)
    assert found["eprivacy.authority"].anchor == "detected_at" and "611/2013" in found["eprivacy.authority"].legal_basis
    undetected = _obligations(regimes={"electronic_communications_provider": True})
    assert undetected["eprivacy.authority"].due_at is None and "detected_at" in undetected["eprivacy.authority"].reason


def test_aware_at_unknown_gives_no_due_but_a_reason():
    doc = facts_doc()
    del doc["aware_at"]
    facts = load_facts(doc)
    [authority] = [o for o in regimes.obligations_for(facts, assess(facts).to_contract(), as_of=AWARE) if o.id == "gdpr.authority"]
    assert authority.due_at is None and authority.reason == "aware_at is not known"


def _adopted_omnibus_rules(effective: str) -> dict:
    """A test-only rules file: the Omnibus adopted from ``effective``, the old GDPR rules ending the same day."""
    data = json.loads(regimes.resources.files("breach").joinpath("data/regimes.json").read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    for version in data["regimes"]:
        if version["version"] == "gdpr-2016":
            version["effective_to"] = effective
        if version["version"] == "gdpr-digital-omnibus":
            version["status"], version["effective_from"] = "adopted", effective
    return data


def test_adopting_the_omnibus_is_a_dated_data_change(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(_adopted_omnibus_rules("2028-01-01")), encoding="utf-8")
    rules = regimes.load_rules(path)
    before = _obligations(rules=rules)
    assert before["gdpr.authority"].due_at == _utc(2026, 11, 23, 8, 30) and before["gdpr.authority"].version == "gdpr-2016"
    after = _obligations(rules=rules, as_of=date(2028, 1, 1))
    assert after["gdpr.authority"].due_at == _utc(2026, 11, 24, 8, 30)  # 96 hours
    assert after["gdpr.authority"].version == "gdpr-digital-omnibus"
    # under the Omnibus only a high-risk breach is notified to the authority
    medium = {"encryption": "none", "exfiltration": "likely", "recipient": "unknown", "malicious": False, "cause": "human_error",
                  "data_categories": ["name", "email"], "subjects_affected": 5, "accessed": "likely"}
    facts = load_facts(facts_doc(**medium))
    assert assess(facts).to_contract()["risk"] == "risk"
    assert "gdpr.authority" in _obligations(rules=rules, **medium)
    assert "gdpr.authority" not in _obligations(rules=rules, as_of=date(2028, 1, 1), **medium)


def test_a_later_version_wins_when_two_apply():
    data = _adopted_omnibus_rules("2028-01-01")
    for version in data["regimes"]:
        version["effective_to"] = None  # forgot to close the old version: the later-dated one still wins
    rules = regimes.load_rules(data)
    assert [v.version for v in regimes.versions_in_force(rules, as_of=date(2029, 6, 1))][0] == "gdpr-digital-omnibus"


@pytest.mark.parametrize("change, message", [
    (lambda o: o.update(duration="72 hours"), "ISO 8601"),
    (lambda o: o.update(anchor="noticed_at"), "unknown anchor"),
    (lambda o: o.update(target="asap"), "exactly one of duration and target"),
    (lambda o: o.update(party="police"), "party"),
    (lambda o: o.update(duration="default:nowhere"), "no default named"),
])
def test_a_broken_rules_file_is_refused_with_a_reason(change, message):
    data = copy.deepcopy(_adopted_omnibus_rules("2028-01-01"))
    change(data["regimes"][0]["obligations"][0])
    with pytest.raises(ValidationError, match=message):
        regimes.load_rules(data)


def test_conditions_match_values_and_lists():
    data = {"role": "controller", "regimes": {"nis2_entity": "important"}, "assessment": {"notify_authority": True}}
    assert regimes.applies({"role": "controller", "assessment.notify_authority": True}, data)
    assert regimes.applies({"regimes.nis2_entity": ["essential", "important"]}, data)
    assert not regimes.applies({"regimes.nis2_entity": ["essential"]}, data)
    assert not regimes.applies({"assessment.missing.deeper": True}, data)

"""`breach demo`: the whole workflow on the bundled example, in Prefect's local ephemeral mode."""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flows.cli.console import console, listener, stop_progress, table
from flows.progress import subscribe
from flows.runtime import EXAMPLES, runtime

DEMO_MANAGER = "manager@example.com"
MARKER = ".breach-demo"
# The bundled examples: folder under breach/examples ("" is the Danish one at its top) and what it is.
DEMO_EXAMPLES = {
    "dk": ("", "a fictional Danish controller, 1,000 people"),
    "nl": ("nl", "a fictional Dutch controller (Autoriteit Persoonsgegevens), 200 people"),
    "us": ("us", "a fictional US controller, people in California, Massachusetts, New York and Texas"),
}
# Written into the folder the demo ran from: the next `breach status/export/...` there finds the demo's data
# (flows.cli.main.remembered_data_dir) without BREACH_DATA_DIR.
POINTER = Path(".breach-demo-dir")
_CODE_LINE = re.compile(r"^\s+(\d{4} \d{4})\s*$", re.M)


def example_dir(example: str) -> Path:
    """The folder of a bundled example (facts.json, people.csv, controller.json); SystemExit for an unknown one."""
    if example not in DEMO_EXAMPLES:
        raise SystemExit(f"unknown example {example!r}; choose one of {', '.join(DEMO_EXAMPLES)}")
    return EXAMPLES / DEMO_EXAMPLES[example][0]


def _prepare(data_dir: Path, folder: Path) -> None:
    if data_dir.exists():
        if not (data_dir / MARKER).exists():
            raise SystemExit(f"{data_dir} exists and is not a demo folder; choose another --data-dir")
        shutil.rmtree(data_dir)
    data_dir.mkdir(mode=0o700, parents=True)
    (data_dir / MARKER).write_text("created by `breach demo`; deleted and re-created on each run\n")
    os.environ.pop("BREACH_DB_URL", None)
    os.environ.pop("BREACH_OUTBOX", None)
    os.environ.pop("BREACH_CONTROLLER_FILE", None)
    os.environ.update({"BREACH_DATA_DIR": str(data_dir.resolve()), "BREACH_MANAGERS": DEMO_MANAGER})
    if folder != EXAMPLES:
        os.environ["BREACH_CONTROLLER_FILE"] = str(folder / "controller.json")
    POINTER.write_text(str(data_dir.resolve()) + "\n", encoding="utf-8")
    runtime.cache_clear()


def shift_instants(value: Any, shift: timedelta, key: str = "") -> Any:
    """Every instant of a facts document (keys ending in ``_at``, or ``at``, at any depth) moved by ``shift``.

    Free text holds no dates (the demo's texts say "25 minutes after", never a day), so nothing a
    person reads can disagree with the moved instants.
    """
    if isinstance(value, dict):
        return {k: shift_instants(v, shift, k) for k, v in value.items()}
    if isinstance(value, list):
        return [shift_instants(v, shift, key) for v in value]
    if isinstance(value, str) and (key == "at" or key.endswith("_at")):
        return (datetime.fromisoformat(value) + shift).isoformat()
    return value


def _facts_as_of_now(data_dir: Path, folder: Path) -> Path:
    """The example facts with their instants moved so that awareness was three hours ago."""
    from breach import instants

    document = json.loads((folder / "facts.json").read_text(encoding="utf-8"))
    aware = instants.parse_instant(document["aware_at"])
    shift = instants.utcnow().replace(second=0, microsecond=0) - timedelta(hours=3) - aware
    document = shift_instants(document, shift)
    path = data_dir / "facts.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _approve_when_paused(step: str, fields: dict[str, Any]) -> None:
    if step == "awaiting_approval":
        threading.Thread(target=_demo_manager, args=(fields["incident_id"], fields["flow_run_id"]), daemon=True).start()


def _demo_manager(incident_id: str, run_id: str) -> None:
    from breach.approval.decisions import Proof
    from flows.resume import submit_decision, wait_until_paused

    wait_until_paused(run_id)
    rt = runtime()
    code, path = code_from_outbox(rt.settings.outbox_dir, incident_id)
    console.print(f"  [magenta]demo:[/] the one-time code e-mailed to [bold]{DEMO_MANAGER}[/] is in {path}; approving with it "
                  f"(in a real incident the manager enters it in the Prefect UI's approval form, or runs "
                  f"`breach approve {incident_id} --as EMAIL --code CODE`)", soft_wrap=True)
    submit_decision(rt, incident_id=incident_id, approver=DEMO_MANAGER, reject=False, comment="demo approval", proof=Proof("code", code))


def code_from_outbox(outbox: Path, incident_id: str) -> tuple[str, Path]:
    """The newest approval code e-mailed for an incident when no SendGrid key is set, and the .eml it is in."""
    from email import policy
    from email.parser import BytesParser

    from flows.runtime import CODES_FOLDER

    folder = outbox / CODES_FOLDER / incident_id / "email"
    newest = max(folder.glob("code-*.eml"), key=lambda p: int(p.stem.removeprefix("code-")), default=None)
    if newest is None:
        raise FileNotFoundError(f"no approval code e-mail in {folder}")
    with newest.open("rb") as fh:
        body = BytesParser(policy=policy.default).parse(fh).get_body(preferencelist=("plain",))
    match = _CODE_LINE.search(body.get_content() if body is not None else "")
    if match is None:
        raise ValueError(f"{newest} holds no approval code")
    return match.group(1).replace(" ", ""), newest


def run_demo(data_dir: Path, example: str = "dk") -> dict[str, Any]:
    """Run breach-response on a bundled example's facts and people; print where every output is."""
    from breach.facts import load_facts
    from flows.breach_response import breach_response

    folder = example_dir(example)
    _prepare(data_dir, folder)
    console.print(f"[bold]breach-notify demo[/]: {DEMO_EXAMPLES[example][1]}, {folder / 'people.csv'}; outputs in {data_dir}/\n")
    unsubscribe = [subscribe(listener), subscribe(_approve_when_paused)]
    try:
        result = breach_response(load_facts(_facts_as_of_now(data_dir, folder)), str(folder / "people.csv"))
        if not isinstance(result, dict):  # the bundled facts are valid: a failed state here is a defect
            raise RuntimeError(f"breach-response ended in {result.type.value}: {result.message}")
    finally:
        for undo in unsubscribe:
            undo()
        stop_progress()
    _summary(result, data_dir)
    return result


def _summary(result: dict[str, Any], data_dir: Path) -> None:
    from breach.people.store import channel_counts
    from notices.sending.outbox import delivery_counts

    rt = runtime()
    incident_id = result["incident_id"]
    with rt.sessions() as session:
        deliveries = delivery_counts(session=session, incident_id=incident_id)
        people = channel_counts(session=session, incident_id=incident_id)
    eml = len(list((rt.settings.outbox_dir / incident_id / "email").glob("*.eml")))
    pdfs = sorted((rt.settings.outbox_dir / incident_id / "letters").glob("*.pdf"))
    rows = [["people imported", sum(people.values())], ["e-mails written to the outbox (.eml)", eml],
            ["letters (PDF)", sum(deliveries.get("letter", {}).values())],
            ["no usable channel (told by the public notice)", people.get("none", 0)]]
    console.print(table(f"Summary of {incident_id}", ["what", "count"], rows))
    console.print(f"  e-mails:  {rt.settings.outbox_dir / incident_id / 'email'}/")
    for pdf in pdfs:
        console.print(f"  letters:  {pdf}")
    console.print(f"  exports:  {rt.settings.data_dir / 'exports'}/ (listed under 8. above)")
    if rt.controller.us is not None:
        console.print(f"\nNext, in this folder: [bold]breach status {incident_id}[/] shows what is left; for each US filing made "
                      f"(codes in the index): [bold]breach filed {incident_id} --authority US-CA-AG --receipt RECEIPT.pdf[/] "
                      f"(with BREACH_CONTROLLER_FILE={os.environ.get('BREACH_CONTROLLER_FILE')}; the demo's data folder {data_dir} "
                      f"is remembered in {POINTER})", soft_wrap=True)
        return
    where = _filing_place()
    console.print(f"\nNext, in this folder: [bold]breach status {incident_id}[/]; once the form is submitted{where}: "
                  f"[bold]breach filed {incident_id} --receipt RECEIPT.pdf[/] (the demo's data folder {data_dir} is remembered "
                  f"in {POINTER}; BREACH_DATA_DIR overrides it)", soft_wrap=True)


def _filing_place() -> str:
    """' on <form page>' when the controller's lead authority has a notification form on file."""
    from breach.authorities import get_authority

    found = get_authority(runtime().controller.country)
    return f" on {found.form_url}" if found and found.form_url else ""

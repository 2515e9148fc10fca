"""`breach demo`: the whole workflow on the bundled example, in Prefect's local ephemeral mode."""

from __future__ import annotations

import json
import os
import shutil
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flows.cli.console import console, export_lines, listener, stop_progress, table
from flows.progress import subscribe
from flows.runtime import EXAMPLES, runtime

DEMO_RESPONDER = "responder@example.com"
DEMO_MANAGER = "manager@example.com"
MARKER = ".breach-demo"
# The bundled examples: folder under breach/examples ("" is the Danish one at its top) and what it is.
DEMO_EXAMPLES = {
    "dk": ("", "a fictional Danish controller, 1,000 people"),
    "nl": ("nl", "a fictional Dutch controller (Autoriteit Persoonsgegevens), 200 people"),
    "us": ("us", "a fictional US controller, people in California, Massachusetts, New York and Texas"),
}


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
    os.environ.update({"BREACH_DATA_DIR": str(data_dir.resolve()), "BREACH_MANAGERS": DEMO_MANAGER, "BREACH_ACTOR": DEMO_RESPONDER})
    if folder != EXAMPLES:
        os.environ["BREACH_CONTROLLER_FILE"] = str(folder / "controller.json")
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
    from flows.resume import submit_decision, wait_until_paused

    wait_until_paused(run_id)
    console.print(f"  [magenta]demo:[/] approving as [bold]{DEMO_MANAGER}[/], the configured demo manager "
                  f"(in a real incident a manager runs `breach approve {incident_id} --as EMAIL` or uses the Prefect UI)")
    submit_decision(runtime(), incident_id=incident_id, approver=DEMO_MANAGER, reject=False, comment="demo approval")


def run_demo(data_dir: Path, example: str = "dk") -> dict[str, Any]:
    """Run breach-response on a bundled example's facts and people; print where every output is."""
    from flows.breach_response import breach_response

    folder = example_dir(example)
    _prepare(data_dir, folder)
    console.print(f"[bold]breach-notify demo[/]: {DEMO_EXAMPLES[example][1]}, {folder / 'people.csv'}; outputs in {data_dir}/\n")
    unsubscribe = [subscribe(listener), subscribe(_approve_when_paused)]
    try:
        result = breach_response(str(_facts_as_of_now(data_dir, folder)), str(folder / "people.csv"))
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
    for line in export_lines(result.get("exports") or {}):
        console.print(line)
    if rt.controller.us is not None:
        console.print(f"\nNext, for each US filing made (codes in the index): [bold]breach filed {incident_id} --authority US-CA-AG "
                      f"--receipt RECEIPT.pdf[/]; [bold]breach status {incident_id}[/] shows what is left (with BREACH_DATA_DIR={data_dir} "
                      f"BREACH_CONTROLLER_FILE={os.environ.get('BREACH_CONTROLLER_FILE')})")
        return
    where = _filing_place()
    console.print(f"\nNext, once the form is submitted{where}: [bold]breach filed {incident_id} --receipt RECEIPT.pdf[/] "
                  f"(with BREACH_DATA_DIR={data_dir})")


def _filing_place() -> str:
    """' on <form page>' when the controller's lead authority has a notification form on file."""
    from breach.authorities import get_authority

    found = get_authority(runtime().controller.country)
    return f" on {found.form_url}" if found and found.form_url else ""

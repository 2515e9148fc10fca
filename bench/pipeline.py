"""Benchmark the whole response: a file of N affected people to the last notice accepted, letters included.

    .venv/bin/python bench/pipeline.py --people 1000000

Writes a realistic people file (bench/_people.py: names, e-mail for most, addresses, da/nb/en, one
in ten asking for a letter, duplicates and bad rows), then runs the real `breach-response` flow in
this process against a temporary Prefect server and the local SendGrid stand-in: open, assess,
clock, import, draft, approval (the demo manager approves as soon as the run pauses, as
`breach demo` does), send (e-mail through the official client to the stand-in; letters as PDF),
export. Stage boundaries are the flow's own progress events (ids and counts only).

Beside the stages, from the same run: the import's ceilings (bench/import.py: csv module read,
AES-GCM of the same contact details, bulk insert of the same rows with the same driver) and the
letters' ceiling (bench/letters.py: the same number of letters rendered with nothing else to do);
the e-mail ceiling (the parallel bare send, bench/ceiling.py) when that module is there.

Prints JSON: per stage seconds, rate, peak memory (PSS of this process and its children, sampled) and the
ratio to each of its ceilings (``ratio_to_ceiling.<stage>.<ceiling>``); the total from the file to the last
notice, the goal (<= 120 s) and whether it is met; the peak memory of the whole run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _common as c
from bench._memory import MemorySampler
from bench._people import write_people_file

GOAL_SECONDS = 120.0
STAGES = ("open", "assess", "import", "clock", "draft", "approval", "outbox", "email", "letters", "export")  # the flow's order
_EVENT_STAGE = {"opened": "open", "assessed": "assess", "clock": "clock", "imported": "import", "drafted": "draft",
                "approval": "approval", "outbox": "outbox", "exported": "export"}


class Marks:
    """When each stage ended (progress events), how much it handled, and the demo manager's approval."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.count: dict[str, int] = {"email": 0, "letters": 0}
        self.lock = threading.Lock()

    def __call__(self, step: str, fields: dict[str, Any]) -> None:
        now = time.perf_counter()
        with self.lock:
            if step in _EVENT_STAGE:
                self.at[_EVENT_STAGE[step]] = now
            if step == "imported":
                self.count["import"], self.count["imported"] = fields["counts"]["rows"], fields["counts"]["imported"]
            elif step == "outbox":
                self.count["outbox"] = fields["deliveries"]
            elif step == "batch_sent":
                stage = "email" if fields["channel"] == "email" else "letters"
                self.at[stage] = now
                self.count[stage] += fields["sent"]
            elif step == "awaiting_approval":
                threading.Thread(target=_approve, args=(fields["incident_id"], fields["flow_run_id"]), daemon=True).start()


def _approve(incident_id: str, run_id: str) -> None:
    from breach.approval.decisions import Proof
    from flows.resume import submit_decision, wait_until_paused
    from flows.runtime import runtime
    wait_until_paused(run_id)
    submit_decision(runtime(), incident_id=incident_id, approver=c.MANAGER, reject=False, comment="benchmark: demo approval",
                    proof=Proof("code", c.approval_code(incident_id)))


def _settings_from_environment() -> None:
    """Prefect reads its settings once, at import: read them again (PREFECT_API_URL of the temporary server)."""
    from prefect.context import refresh_global_settings_context
    refresh_global_settings_context()


def _facts(root: Path) -> Path:
    """The example facts with a fresh reference, awareness three hours ago."""
    from datetime import datetime, timedelta

    from breach import instants
    document = json.loads((c.REPO / "breach" / "examples" / "facts.json").read_text(encoding="utf-8"))
    document["reference"] = f"BENCH-PIPELINE-{time.time_ns()}"
    shift = instants.utcnow().replace(microsecond=0) - timedelta(hours=3) - instants.parse_instant(document["aware_at"])
    for key in ("occurred_at", "detected_at", "aware_at"):
        if document.get(key):
            document[key] = (datetime.fromisoformat(document[key]) + shift).isoformat()
    path = root / "facts.json"
    root.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def run_pipeline(people_path: Path, root: Path, host: str) -> dict[str, Any]:
    """One breach-response run, timed stage by stage."""
    from breach.facts import load_facts
    from flows.breach_response import breach_response
    from flows.progress import subscribe
    from flows.runtime import runtime
    c.setup_env(root, host=host, timeout=30)
    _settings_from_environment()
    runtime.cache_clear()
    facts = _facts(root)
    marks = Marks()
    unsubscribe = subscribe(marks)
    with MemorySampler() as rss:
        started = time.perf_counter()
        try:
            result = breach_response(load_facts(facts), str(people_path))  # the flow takes the facts themselves
        finally:
            unsubscribe()
        ended = time.perf_counter()
    stages: dict[str, Any] = dict.fromkeys(STAGES)
    last = started
    for end, stage in sorted((at, stage) for stage, at in marks.at.items() if stage in STAGES):  # as they ended
        begin = marks.at.get("outbox", last) if stage in ("email", "letters") else last  # e-mail and letters side by side
        handled = marks.count.get(stage)
        stages[stage] = {"seconds": round(end - begin, 2), "handled": handled,
                         "per_second": round(handled / (end - begin)) if handled else None, "peak_memory_mb": rss.peak(begin, end)}
        last = max(last, end)
    last_notice = max(marks.at.get("email", 0.0), marks.at.get("letters", 0.0))
    return {"incident_id": result["incident_id"], "decision": result["decision"], "stages": stages,
            "to_last_notice_seconds": round(last_notice - started, 2) if last_notice else None, "total_seconds": round(ended - started, 2),
            "deliveries": (result.get("sent") or {}).get("deliveries"), "peak_memory_mb": rss.peak(started, ended)}


def ceilings(people_path: Path, root: Path, host: str, people: int, letters: int) -> dict[str, Any]:
    """Each stage's ceiling on this machine, measured now (the import's in child processes, as bench/import.py does)."""
    root.mkdir(parents=True, exist_ok=True)
    importer = importlib.import_module("bench.import")
    sample = min(people, importer.CEILING_SAMPLE)
    out: dict[str, Any] = {}
    for step in ("csv_read", "aes_gcm", "bulk_insert"):
        url = f"sqlite:///{root / f'ceiling-{step}.db'}"
        out[step] = round(importer.measure(step, people_path, url, root, sample)["rows_per_second"])
    letters_bench = importlib.import_module("bench.letters")
    n = max(1000, min(letters, 100_000))
    # the reportlab route of bench/letters.py on every core, its warm-up (imports, fonts) excluded
    out["letters"] = round(n / letters_bench.run_route("reportlab", n, os.cpu_count() or 1, letters_bench.BATCH)["seconds"])
    try:
        ceiling = importlib.import_module("bench.ceiling")
    except ImportError:
        out["email"] = None
        out["email_note"] = "bench/ceiling.py (the parallel bare send of the sending benchmark) is not in this checkout"
    else:
        out["email"] = _email_ceiling(ceiling, host, min(people, 200_000))
    return out


def _email_ceiling(ceiling: Any, host: str, people: int) -> int:
    """The parallel bare send: the same kind of bodies POSTed by as many processes as the flow has lanes."""
    from breach.controller import load_profile
    from flows.send import SEND_LANES
    profile = load_profile(c.REPO / "breach" / "examples" / "controller.json")
    text = "Dear -recipient_name_text-,\n" + "We write about a breach. " * 60
    html = "<p>Dear -recipient_name_html-,</p>" + "<p>We write about a breach.</p>" * 60
    drafts = [ceiling.Draft(language, "A breach of your data", text, html) for language in ("da", "nb", "en")]
    bodies = ceiling.build_bodies(people=people, drafts=drafts, from_email=profile.sender_email, from_name=profile.name)
    return round(people / ceiling.post_bodies(host, bodies, processes=SEND_LANES)["seconds"])


def ratios(run: dict[str, Any], ceiling: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Each stage's rate over each of its ceilings: stage -> ceiling -> ratio."""
    def ratio(stage: str, key: str) -> float | None:
        rate = (run["stages"].get(stage) or {}).get("per_second")
        return round(rate / ceiling[key], 3) if rate and ceiling.get(key) else None
    pairs = {"import": {"csv_read": "csv_read", "aes_gcm": "aes_gcm", "bulk_insert": "bulk_insert"},
             "email": {"parallel_bare_send": "email"}, "letters": {"letters_alone": "letters"}}
    return {stage: {name: ratio(stage, key) for name, key in ceilings_of.items()} for stage, ceilings_of in pairs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--file", type=Path, help="an existing people file instead of a generated one")
    parser.add_argument("--skip-ceilings", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (people file, databases, letters)")
    args = parser.parse_args()
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    root = c.temp_root("bench-pipeline-")
    people_path = args.file or write_people_file(root / f"people-{args.people}.csv", args.people)
    file_mb = round(people_path.stat().st_size / 1e6, 1)
    runs, limits = [], []
    try:
        with c.sendgrid_server() as host, c.prefect_api():
            for i in range(args.runs):
                if not args.skip_ceilings:
                    limits.append(ceilings(people_path, root / f"ceilings-{i}", host, args.people, args.people // 8))
                runs.append(run_pipeline(people_path, root / f"run-{i}", host))
                print(json.dumps({"run": i, "to_last_notice_seconds": runs[-1]["to_last_notice_seconds"]}), file=sys.stderr)
            stats = c.server_stats(host)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    seconds = c.median([r["to_last_notice_seconds"] for r in runs if r["to_last_notice_seconds"]])
    # the stages and ratios shown are the median run's (by its total), beside the ceilings measured just before it
    middle = sorted(range(len(runs)), key=lambda i: runs[i]["to_last_notice_seconds"] or float("inf"))[len(runs) // 2]
    print(json.dumps({
        "people": args.people, "runs": args.runs, "cpus": os.cpu_count(), "file_mb": file_mb,
        "to_last_notice_seconds": round(seconds, 2), "to_last_notice_each": [r["to_last_notice_seconds"] for r in runs],
        "goal_seconds": GOAL_SECONDS, "met": seconds <= GOAL_SECONDS, "stages": runs[middle]["stages"],
        "peak_memory_mb": max((r["peak_memory_mb"] for r in runs if r["peak_memory_mb"] is not None), default=None),
        "ceilings": limits[middle] if limits else None,
        "ratio_to_ceiling": ratios(runs[middle], limits[middle]) if limits else None,
        "standin_duplicates": stats["duplicates"], "runs_each": runs,
    }, indent=2, default=str))


if __name__ == "__main__":
    main()

"""What the SendGrid stand-in costs per 1,000-person /v3/mail/send request.

    .venv/bin/python bench/sendgrid_server_cost.py --runs 7 --requests 40 [--code-root /path/to/other/checkout]

Builds a realistic body (1,000 personalizations of invented Danish/Norwegian/English people, two content
blocks of ~3 KB, per-person custom_args and name substitutions), serialised the way the official client
does it (`json.dumps`, ASCII escapes), and prints JSON with medians over `--runs` runs, in ms per request
(in-process figures are CPU time of this process, round_trip is wall-clock time):

- baseline_orjson_loads: orjson.loads of the same bytes (a same-run yardstick for this machine's speed)
- limit_problems: the cross-field rules of LIMITS.md on the parsed body
- check: `SendGridTestServer._check(raw)`, the whole server-side decision (UTF-8, JSON, schema, limits)
- round_trip: POST over loopback with a plain http.client connection to the stand-in in its own process
- server_cpu: CPU seconds (user + system) the stand-in's process spent per request during the round trips
- *_ratio: each figure divided by the baseline
- growth (with --people N): N people in 1,000-person requests (other addresses in each) posted one after
  another to a fresh stand-in; the stand-in's own CPU per request (its handler threads, from its stats)
  and the wall-clock rate (median request) over the first 20 requests (20,000 people) and the last 20
  (after N - 20,000 people), their ratio, and whether the last is within 10% of the first

On a shared machine CPU times swell with other load; compare runs through the ratios, or run the code before
and after a change back to back with --code-root.
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import _common as c  # noqa: E402 - after the sys.path line, so the script runs from anywhere
from bench._common import API_KEY  # noqa: E402 - after the sys.path line, so the script runs from anywhere

FIRST = ["Søren", "Mette", "Jørgen", "Åse", "Bjørn", "Frøya", "Håkon", "Øyvind", "Solveig", "Torbjørn", "Ærle",
         "Ingrid", "Kasper", "Åsmund", "Amelia", "Oliver", "Niamh", "Priya"]
LAST = ["Nørgaard", "Kjær", "Møller", "Sørensen", "Bæk", "Østergaard", "Frølund", "Sæther", "Ødegård", "Bråten",
        "Løkken", "Grønli", "Kvåle", "O'Donnell", "Lindqvist-Hale", "Hartley"]
_ASCII = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "'": "", " ": "."})


def realistic_body(people: int = 1000, seed: int = 2026) -> dict[str, Any]:
    """A /v3/mail/send body shaped like notices.email.message.sendgrid_body builds it."""
    rng = random.Random(seed)
    personalizations = []
    for n in range(people):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{first} {last}"
        local = f"{first}.{last}".lower().translate(_ASCII)
        personalizations.append({
            "to": [{"email": f"{local}.{n}@example.com", "name": name}],
            "substitutions": {"-recipient_name_text-": name, "-recipient_name_html-": html.escape(name, quote=True)},
            "custom_args": {"delivery_id": f"BR-2026-0001-email-{n:07d}"},
        })
    text = "Kære -recipient_name_text-,\n\n" + "Vi skriver for at fortælle dig om et brud på persondatasikkerheden. " * 45
    body_html = ("<p>Kære -recipient_name_html-,</p>"
                 + "<p>Vi skriver for at fortælle dig om et brud på persondatasikkerheden.</p>" * 40)
    return {
        "personalizations": personalizations,
        "from": {"email": "dpo@example.org", "name": "Aero Kommune DPO"},
        "subject": "Vigtigt: et brud på sikkerheden omkring dine personoplysninger",
        "content": [{"type": "text/plain", "value": text}, {"type": "text/html", "value": body_html}],
        "custom_args": {"incident_id": "BR-2026-0001", "batch_key": "BR-2026-0001:email:0"},
    }


def per_call_ms(fn: Any, repeat: int, clock: Any = time.process_time) -> float:
    """Mean ms of `repeat` calls (one run); CPU time by default, so other work on the machine counts less."""
    started = clock()
    for _ in range(repeat):
        fn()
    return (clock() - started) * 1000 / repeat


_cpu_seconds = c.cpu_seconds


def growth(raw: bytes, people: int, code_root: Path, window: int = 20) -> dict[str, Any]:
    """The stand-in's CPU per request and rate over the first and the last `window` requests of `people` people."""
    requests = max(2 * window, people // 1000)
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json", "Accept": "application/json"}
    with c.sendgrid_process(cwd=code_root) as (host, _proc):
        port = int(host.rsplit(":", 1)[1])
        walls: list[float] = []
        for n in range(requests):
            body = raw.replace(b"@example.com", f".r{n}@example.com".encode())  # nobody twice
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("POST", "/v3/mail/send", body=body, headers={**headers, "Content-Length": str(len(body))})
            response = conn.getresponse()
            response.read()
            conn.close()
            walls.append(time.perf_counter() - started)
            if response.status != 202:
                raise RuntimeError(f"the stand-in answered {response.status}")
        time.sleep(0.2)
        stats = c.server_stats(host)
    cpu = stats["cpu_ms_per_request"]
    first, last = statistics.median(walls[:window]), statistics.median(walls[-window:])
    rate_ratio = round(cpu["first"] / cpu["last"], 3)  # requests per CPU-second, last window against the first
    return {"people": stats["recipients"], "requests": stats["requests"], "unique": stats["unique"], "window_requests": window,
            "server_cpu_ms_first": cpu["first"], "server_cpu_ms_last": cpu["last"], "server_cpu_ms_median": cpu["median"],
            "per_second_first": round(1000 / first), "per_second_last": round(1000 / last), "wall_rate_ratio": round(first / last, 3),
            "rate_ratio": rate_ratio, "within_10_percent": abs(1 - rate_ratio) <= 0.10}


def round_trips(raw: bytes, runs: int, requests: int, code_root: Path) -> tuple[list[float], list[float]]:
    """(ms per round trip, server CPU ms per request) for each run, against the stand-in in its own process."""
    with c.sendgrid_process(cwd=code_root) as (host, proc):
        port = int(host.rsplit(":", 1)[1])
        headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json",
                   "Accept": "application/json", "Content-Length": str(len(raw))}

        def post() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", "/v3/mail/send", body=raw, headers=headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status != 202:
                raise RuntimeError(f"the stand-in answered {response.status}")

        for _ in range(3):  # warm-up: imports, first-use caches
            post()
        trip, cpu = [], []
        for _ in range(runs):
            before = _cpu_seconds(proc.pid)
            trip.append(per_call_ms(post, requests, time.perf_counter))  # wall clock
            time.sleep(0.05)  # let the handler thread finish its bookkeeping after the reply
            cpu.append((_cpu_seconds(proc.pid) - before) * 1000 / requests)
        return trip, cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=40, help="calls per run for the in-process figures")
    parser.add_argument("--requests", type=int, default=40, help="POSTs per run for the round-trip figures")
    parser.add_argument("--people", type=int, default=0, help="also post this many people and compare the first and last 20,000")
    parser.add_argument("--code-root", type=Path, default=REPO,
                        help="a checkout whose tests/support to measure (e.g. an older copy, for before/after)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.code_root))
    from tests.support.sendgrid import limits
    from tests.support.sendgrid.server import SendGridTestServer

    body = realistic_body()
    raw = json.dumps(body).encode("utf-8")  # what python_http_client sends: ASCII escapes, ", " separators
    parsed = orjson.loads(raw)
    server = SendGridTestServer(api_key=API_KEY, keep_bodies=False)
    status, _ = server._check(raw)
    if status != 200 or limits.limit_problems(parsed):
        raise RuntimeError("the benchmark body is refused")

    figures: dict[str, list[float]] = {"baseline_orjson_loads": [], "limit_problems": [], "check": []}
    for _ in range(args.runs):
        figures["baseline_orjson_loads"].append(per_call_ms(lambda: orjson.loads(raw), args.repeat))
        figures["limit_problems"].append(per_call_ms(lambda: limits.limit_problems(parsed), args.repeat))
        figures["check"].append(per_call_ms(lambda: server._check(raw), args.repeat))
    figures["round_trip"], figures["server_cpu"] = round_trips(raw, args.runs, args.requests, args.code_root)

    medians = {name: round(statistics.median(values), 3) for name, values in figures.items()}
    base = medians["baseline_orjson_loads"]
    out: dict[str, Any] = {"benchmark": "stand_in", "code_root": str(args.code_root), "body_bytes": len(raw),
                           "personalizations": len(body["personalizations"]),
                           "runs": args.runs, "unit": "ms per request (median of runs)", **medians}
    out.update({f"{name}_ratio": round(medians[name] / base, 2) for name in figures if name != "baseline_orjson_loads"})
    if args.people:
        out["growth"] = growth(raw, args.people, args.code_root)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()

"""The machine's ceiling for the send flow's work: the same requests to the same stand-in, from the same
number of processes, with nothing else to do (no database, no decryption, no Prefect).

The bodies are built before the clock starts, the way the flow builds them (`sendgrid_body` of one
1,000-person batch per request, a batch holding one draft's language, orjson-encoded) from invented
people and the incident's own drafts. Then `processes` forked processes (the flow's lanes) POST them
with a plain `http.client` connection each, as fast as the stand-in answers; the clock runs from the
moment every process is ready to the last answer.

    from bench.ceiling import Draft, build_bodies, post_bodies
    bodies = build_bodies(people=100_000, drafts=drafts, from_email="dpo@example.org", from_name="DPO")
    post_bodies(host, bodies, processes=16)   # {"seconds": ..., "requests": ..., "per_second": ...}
"""

from __future__ import annotations

import http.client
import multiprocessing
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bench import _common as c

BATCH = 1000


@dataclass(frozen=True)
class Draft:
    """What one language's notice says (the drafts' subject and bodies)."""

    language: str
    subject: str
    text: str
    html: str | None


def incident_drafts(incident_id: str) -> list[Draft]:
    """The approved round's e-mail drafts of an incident (one per language)."""
    from sqlalchemy import select

    from breach.store.tables import DraftRow
    from flows.runtime import runtime
    with runtime().sessions() as session:
        rows = session.execute(select(DraftRow).where(DraftRow.incident_id == incident_id, DraftRow.channel == "email")
                               .order_by(DraftRow.round.desc(), DraftRow.id)).scalars().all()
        latest = max(r.round for r in rows)
        return [Draft(r.language, r.subject, r.text, r.html) for r in rows if r.round == latest]


def build_bodies(*, people: int, drafts: Iterable[Draft], from_email: str, from_name: str, seed: int = 99) -> list[bytes]:
    """One encoded /v3/mail/send body per 1,000 invented people of one language, as the flow sends them."""
    from notices.email.message import EmailBatch, Recipient, sendgrid_body
    from notices.email.sendgrid import encode_body
    by_language = {d.language: d for d in drafts}
    groups: dict[str, list[Any]] = {}
    for i, (name, email, language, _country) in enumerate(c.synthetic_people(people, seed=seed)):
        groups.setdefault(language if language in by_language else next(iter(by_language)), []).append((i, name, email))
    bodies = []
    for language, members in groups.items():
        draft = by_language[language]
        for start in range(0, len(members), BATCH):
            recipients = [Recipient.model_construct(delivery_id=str(i), email=email, name=name)
                          for i, name, email in members[start:start + BATCH]]
            batch = EmailBatch.model_construct(incident_id="BR-CEILING", batch_key=f"ceiling:{language}:{start}", subject=draft.subject,
                                               text=draft.text, html=draft.html, from_email=from_email, from_name=from_name,
                                               recipients=recipients, sandbox=False)
            bodies.append(encode_body(sendgrid_body(batch)).encode("utf-8"))
    return bodies


def _poster(port: int, bodies: list[bytes], ready: Any, results: Any) -> None:
    """One lane: wait for the start, POST each body on a fresh connection (the stand-in closes each), report."""
    headers = {"Authorization": f"Bearer {c.API_KEY}", "Content-Type": "application/json; charset=utf-8",
               "Accept": "application/json", "User-Agent": "ceiling"}
    statuses: dict[int, int] = {}
    cpu = time.process_time()
    ready.wait()
    for body in bodies:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("POST", "/v3/mail/send", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        statuses[response.status] = statuses.get(response.status, 0) + 1
    results.put((time.perf_counter(), statuses, time.process_time() - cpu))


def post_bodies(host: str, bodies: list[bytes], *, processes: int) -> dict[str, Any]:
    """POST every body from `processes` forked processes at once; seconds from all ready to the last answer."""
    port = urlsplit(host).port or 80
    context = multiprocessing.get_context("fork")
    ready, results = context.Barrier(processes + 1), context.Queue()
    workers = [context.Process(target=_poster, args=(port, bodies[w::processes], ready, results), daemon=True)
               for w in range(processes)]
    for worker in workers:
        worker.start()
    ready.wait()
    started = time.perf_counter()
    finished, statuses, client_cpu = started, {}, 0.0
    for _ in workers:
        done_at, counts, cpu = results.get(timeout=600)
        finished = max(finished, done_at)
        client_cpu += cpu
        for status, n in counts.items():
            statuses[status] = statuses.get(status, 0) + n
    for worker in workers:
        worker.join()
    if set(statuses) != {202}:
        raise RuntimeError(f"the stand-in did not accept every ceiling request: {statuses}")
    seconds = finished - started
    return {"seconds": seconds, "requests": len(bodies), "client_cpu_ms_per_request": client_cpu * 1000 / max(1, len(bodies))}

"""The CPU a personalised send cannot avoid for one 1,000-person request, beyond what the ceiling does.

    .venv/bin/python bench/send_floor.py --runs 30

bench/send.py compares the send flow with a ceiling that POSTs pre-built bodies (bench/ceiling.py):
no database, no decryption, no body to build. Whatever the flow's database and orchestration cost,
each request still needs the steps below, all of them the send path's own code (notices/sending/
batches.py, notices/email): this benchmark times them alone, in one process, with nothing else to do.

- ``decrypt``: open 1,000 sealed contacts (AES-GCM, the AAD of breach.people.store) and read their JSON:
  ``batches.open_email_rows``, what ``batches._load_email`` does with the rows it read;
- ``recipients``: ``batches._recipients`` (address checks, duplicates in the batch, own-data values);
- ``body``: ``batches._email_batch`` + ``sendgrid_body`` + ``encode_body``: the request body, encoded.

The contacts are invented (bench/_common.synthetic_people) and sealed as an import seals them; the
draft is an invented Danish notice of about the length of the example incident's. Prints JSON: the
median CPU milliseconds of each step per request over ``--runs`` repetitions, their sum, and the body size.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _common as c

PEOPLE = 1000  # one request: SendGrid's personalizations limit, the flow's batch
INCIDENT = "BR-FLOOR"
PARAGRAPH = ("Vi skriver til dig, fordi vi har haft et brud på persondatasikkerheden, som kan berøre dine oplysninger. "
             "Her forklarer vi, hvad der er sket, hvad vi har gjort, og hvad du selv kan gøre. ")


def _cpu_ms(step: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.process_time()
        step()
        times.append(time.process_time() - started)
    return round(statistics.median(times) * 1000, 3)


def measure(runs: int) -> dict[str, Any]:
    from breach.controller import load_profile
    from breach.keys.cipher import MultiKeyCipher
    from breach.people.rows import _identity_key
    from breach.people.store import _aad, contact_json
    from flows.runtime import EXAMPLES
    from notices.email.message import sendgrid_body
    from notices.email.sendgrid import encode_body
    from notices.sending.batches import _email_batch, _recipients, open_email_rows

    cipher = MultiKeyCipher.from_master_keys([bytes(range(32))])
    sealed = []
    for i, (name, email, _language, country) in enumerate(c.synthetic_people(PEOPLE)):
        fields = {"name": name, "email": email, "phone": None, "external_id": f"C-{i}", "address_line1": None,
                  "address_line2": None, "postal_code": None, "city": None, "country": country}
        key = _identity_key(email, name, None, None, cipher.index_key)
        sealed.append((i + 1, 1, key, cipher.encrypt(contact_json(fields), aad=_aad(INCIDENT, key)), "pending"))
    text = "Kære -name-,\n\n" + "\n\n".join([PARAGRAPH * 3] * 8)
    draft = SimpleNamespace(id=1, language="da", subject="Brud på persondatasikkerheden hos os", text=text,
                            html="".join(f"<p>{PARAGRAPH * 3}</p>" for _ in range(8)))
    controller = load_profile(EXAMPLES / "controller.json")

    def decrypt() -> list[tuple[int, int, str, str | None, bool]]:
        return open_email_rows(sealed, incident_id=INCIDENT, cipher=cipher)[0]

    people = decrypt()
    groups, rejected = _recipients(people, {1: draft})  # type: ignore[dict-item]  # a draft's fields, not its row
    if rejected or len(groups[1]) != PEOPLE:
        raise SystemExit(f"the invented people did not all pass: {sum(map(len, rejected.values()))} set aside")

    def body() -> str:
        batch = _email_batch(incident_id=INCIDENT, batch_no=1, draft=draft, controller=controller,  # type: ignore[arg-type]
                             recipients=groups[1], sandbox=False)
        return encode_body(sendgrid_body(batch))

    steps = {"decrypt": _cpu_ms(decrypt, runs), "recipients": _cpu_ms(lambda: _recipients(people, {1: draft}), runs),  # type: ignore[dict-item]
             "body": _cpu_ms(body, runs)}
    return {"people_per_request": PEOPLE, "runs": runs, "cpu_ms_per_request": steps,
            "total_cpu_ms_per_request": round(sum(steps.values()), 3), "body_kb": round(len(body().encode()) / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    print(json.dumps(measure(args.runs), indent=2))


if __name__ == "__main__":
    main()

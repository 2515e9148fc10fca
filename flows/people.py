"""Import the people affected by an incident from a CSV or JSONL file at a location the worker can read.

The location is a path on the worker, a ``file://`` URL, or any URL of a filesystem fsspec (which
Prefect ships with) can open, e.g. ``s3://bucket/people.csv`` with s3fs installed. Only the location
crosses Prefect, never the people: a remote file is copied into a private temporary file in the
data folder, imported, and deleted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from breach import instants
from breach.clock.us import duties as us_clocks
from breach.exceptions import InvalidPeopleFile
from breach.incidents import service as incidents
from breach.people.importer import check_people_file
from breach.people.store import import_people as store_people
from breach.people.store import refresh_statistics as refresh_people_statistics
from flows.case_file import refresh_case_file
from flows.progress import emit
from flows.runtime import runtime


def _scheme(location: str) -> str:
    scheme = urlsplit(location).scheme
    return scheme if len(scheme) > 1 else ""  # "C:\\people.csv" is a path, not a URL


@contextlib.contextmanager
def readable_copy(location: str, *, folder: Path) -> Iterator[Path]:
    """A local path for ``location``: itself for a path or ``file://`` URL, else a private copy fetched with fsspec."""
    scheme = _scheme(location)
    if scheme == "":
        yield Path(location)
        return
    if scheme == "file":
        yield Path(unquote(urlsplit(location).path))
        return
    name = PurePosixPath(urlsplit(location).path).name or "people"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = Path(tempfile.mkdtemp(dir=folder, prefix=".people-"))  # mode 0700; the copy keeps the file's own name
    copy = private / name
    try:
        with os.fdopen(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            _fetch(location, scheme, name, out)
        yield copy
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _fetch(location: str, scheme: str, name: str, out: Any) -> None:
    import fsspec

    try:
        with fsspec.open(location, "rb") as source:
            shutil.copyfileobj(source, out, length=1 << 20)
    except ImportError as exc:  # the scheme's filesystem package is not installed on this worker
        raise InvalidPeopleFile(f"{scheme}:// locations need a package this worker lacks: {exc}") from exc
    except (FileNotFoundError, ValueError) as exc:  # no such object; or an unknown protocol
        raise InvalidPeopleFile(f"{name}: cannot read it from {scheme}:// ({type(exc).__name__})") from exc


@task(persist_result=False, cache_policy=NO_CACHE)
def import_file(incident_id: str, people_path: str) -> dict[str, Any]:
    """Stream the file into the incident in one transaction; the people's countries can change the Art. 3 verdict
    (a controller outside the EEA/UK), so the incident is assessed again; returns counts only."""
    rt = runtime()
    with readable_copy(people_path, folder=rt.settings.data_dir / "tmp") as path, rt.sessions.begin() as session:
        result = store_people(session=session, incident_id=incident_id, path=path, cipher=rt.cipher,
                              batch_size=rt.settings.batch_size, actor=rt.actor, now=instants.utcnow(),
                              default_country=rt.controller.country,
                              progress=lambda n: emit("import_progress", incident_id=incident_id, rows=n))
        before = incidents.latest_assessment(session=session, incident_id=incident_id)
        after = incidents.assess_incident(session=session, incident_id=incident_id, actor=rt.actor, now=instants.utcnow())
        reassessed = before is not None and after.version != before.version  # Art. 3: the file named new countries
        verdict = dict(after.result, version=after.version)
        if rt.controller.us is not None:  # US duties count residents per state: their clocks start once people are known
            us_clocks.start_us_clocks(session=session, incident_id=incident_id, profile=rt.controller.us, actor=rt.actor,
                                      now=instants.utcnow())
    if not result.skipped_same_file:
        refresh_people_statistics(rt.sessions)
    counts = result.report.as_counts()
    emit("imported", incident_id=incident_id, counts=counts, skipped=result.skipped_same_file,
         problems=[(p.line, p.column, p.code, p.message) for p in result.problems[:20]])
    if reassessed:
        emit("reassessed", incident_id=incident_id, verdict=verdict)
    compact = {k: verdict[k] for k in ("risk", "notify_authority", "notify_subjects", "version")} if reassessed else None
    return {**counts, "skipped_same_file": result.skipped_same_file, "reassessed": compact}


@task(persist_result=False, cache_policy=NO_CACHE)
def check_people(people_path: str) -> list[str]:
    """Refuse a people file that cannot be imported at all; returns the unknown columns it will ignore (names only)."""
    if _scheme(people_path) not in ("", "file"):
        return []  # a file elsewhere (s3://, ...) is fetched and checked once, as it is imported
    with readable_copy(people_path, folder=runtime().settings.data_dir / "tmp") as path:
        ignored = check_people_file(path)
    if ignored:
        emit("people_columns_ignored", columns=ignored)
    return ignored


@flow(name="import-people")
def import_people(incident_id: str, people_path: str) -> dict[str, Any]:
    """Import affected people; bad rows are reported by line, good rows are kept.

    Args:
        incident_id: the incident, e.g. BR-2026-0001
        people_path: where the worker reads the CSV or JSONL file: a path, a file:// URL, or an fsspec URL
            such as s3://bucket/people.csv
    """
    counts = import_file(incident_id, people_path)
    refresh_case_file(incident_id)
    return counts

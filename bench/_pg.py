"""Throw-away PostgreSQL databases for the benchmarks: the server on 127.0.0.1:5432 (started with
.ci/start-postgres.sh when none answers), one fresh database per use, dropped afterwards."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qtc", sql], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def ensure_server() -> None:
    """A PostgreSQL server on 127.0.0.1:5432 (the script (re)creates breach_test, so it runs only when none answers)."""
    if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]).returncode != 0:
        subprocess.run(["bash", str(REPO / ".ci" / "start-postgres.sh")], check=True, stdout=subprocess.DEVNULL)


@contextmanager
def database(name: str) -> Iterator[str]:
    """A fresh database called ``name``; yields its psycopg URL and drops it at exit."""
    ensure_server()
    _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _psql(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with suppress(subprocess.CalledProcessError):
            _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

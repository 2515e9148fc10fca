"""What a database error may say: never the values of its statement (a summary, a name), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from breach.exceptions import BreachError
from breach.plausible import typed_text

pytestmark = pytest.mark.integration
SECRET = "Kari Secret-Person's diagnosis"
INSERT = text("INSERT INTO incidents (id, status, summary, role, timezone, opened_by, opened_at, updated_at) "
              "VALUES (:id, 'open', :summary, 'controller', 'UTC', 'x', '2026-01-01', '2026-01-01')")


def test_an_integrity_error_hides_the_statement_values(session) -> None:
    with pytest.raises(IntegrityError) as caught:
        session.execute(INSERT, [{"id": "BR-ERR-1", "summary": SECRET}, {"id": "BR-ERR-1", "summary": SECRET}])
    assert "Kari" not in str(caught.value) and "hidden" in str(caught.value)


def test_a_nul_character_never_reaches_the_message(session) -> None:
    """PostgreSQL refuses NUL in text (the issue's leak); SQLite stores it. Either way no value is in any message."""
    try:
        with session.begin_nested():
            session.execute(INSERT, {"id": "BR-ERR-2", "summary": SECRET + "\x00"})
    except DBAPIError as exc:
        assert session.get_bind().dialect.name == "postgresql"
        assert "Kari" not in str(exc) and "hidden" in str(exc)


@pytest.mark.parametrize("value", ["a\x00b", "a\x1bb", "x" * 2001])
def test_typed_text_with_control_characters_or_too_long_is_refused_without_echo(value: str) -> None:
    with pytest.raises(BreachError) as caught:
        typed_text("the comment", value)
    assert value not in str(caught.value)


def test_typed_text_keeps_line_breaks_and_tabs() -> None:
    assert typed_text("the comment", "first line\n\tsecond") == "first line\n\tsecond"

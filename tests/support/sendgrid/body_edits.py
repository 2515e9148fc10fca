"""Edits of a SendGrid request body by dotted path ("personalizations.0.to.0.name"), for parametrised tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Edit = Callable[[dict[str, Any]], None]


def _node(body: dict[str, Any], parts: list[str]) -> Any:
    node: Any = body
    for part in parts:
        node = node[int(part)] if part.isdigit() else node[part]
    return node


def set_at(path: str, value: Any) -> Edit:
    """Set the value at `path` (list indexes as digits)."""
    *parents, last = path.split(".")
    return lambda body: _node(body, parents).__setitem__(int(last) if last.isdigit() else last, value)


def drop(key: str) -> Edit:
    """Remove a top-level key."""
    return lambda body: body.pop(key)

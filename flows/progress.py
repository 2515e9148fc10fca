"""In-process progress hooks: the CLI subscribes to show steps as they happen.

Only ids, counts and verdicts pass through here (never people), and a worker process with no
subscriber simply drops them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Listener = Callable[[str, dict[str, Any]], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> Callable[[], None]:
    """Register a listener; returns the function that removes it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


def emit(step: str, **fields: Any) -> None:
    """Tell every listener that ``step`` happened."""
    for listener in list(_listeners):
        listener(step, fields)


def clear() -> None:
    """Forget every listener (a forked sending process must not drive its parent's console)."""
    _listeners.clear()

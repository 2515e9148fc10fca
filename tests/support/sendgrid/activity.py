"""The stand-in's Email Activity API (``GET /v3/messages``), modelled on what the real one does.

What is modelled, and where it comes from:

- The operation: ``query`` (required; here ``unique_args['key']="value"`` on a message-level custom
  arg) and ``limit`` (1..1000, default 10; no page cursor: an answer is the first ``limit``
  messages, one per personalization) — twilio/sendgrid-oai ``spec/yaml/tsg_email_activity_v3.yaml``
  (ListMessage). The answer carries only the documented fields (``from_email``, ``msg_id``,
  ``subject``, ``to_email``, ``status``, ``opens_count``, ``clicks_count``, ``last_event_time``):
  custom args are not in it.
- Without the paid Email Activity add-on the API answers ``400 {"errors":[{"message":"authorization
  required"}]}`` (observed: sendgrid/sendgrid-csharp#689, sendgrid/sendgrid-nodejs#1003 and #1152;
  the docs: "You must purchase additional email activity history to gain access").
- 6 requests per minute, then ``429 {"errors":[{"message":"too many requests"}]}`` (the Email
  Activity API reference, "Rate limits"); here a sliding minute with X-RateLimit-* headers.
- An indexing delay: a message shows only ``index_delay`` seconds after it was accepted. SendGrid
  does not publish it, so it is a parameter.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ADDON_MISSING = {"errors": [{"message": "authorization required"}]}
TOO_MANY = {"errors": [{"message": "too many requests"}]}
_QUERY = re.compile(r"^\s*\(?\s*unique_args\['([^']+)'\]\s*=\s*\"([^\"]*)\"\s*\)?\s*$")


@dataclass(frozen=True)
class _Request:
    """One accepted mail-send request, kept compactly: its recipients' addresses in one string."""

    at: float
    message_id: str
    from_email: str
    subject: str
    to: str  # "\n"-joined, one per personalization


class ActivityFeed:
    """Messages indexed by message-level custom arg, shown after `index_delay` seconds, `per_minute` queries a minute."""

    def __init__(self, *, addon: bool = True, index_delay: float = 0.0, per_minute: int | None = 6, window: float = 60.0) -> None:
        self.addon, self.index_delay, self.per_minute, self.window = addon, index_delay, per_minute, window
        self._lock = threading.Lock()
        self._by_arg: dict[tuple[str, str], list[_Request]] = {}
        self._calls: deque[float] = deque()
        self.counts = {"asked": 0, "answered": 0, "refused": 0, "rate_limited": 0, "bad_query": 0}

    def record(self, *, message_id: str, from_email: str, subject: str, args: dict[str, Any], to: list[str], at: float) -> None:
        """Index an accepted request under each of its message-level custom args."""
        request = _Request(at, message_id, from_email, subject, "\n".join(to))
        with self._lock:
            for key, value in args.items():
                self._by_arg.setdefault((str(key), str(value)), []).append(request)

    def taken(self, key: str, value: str) -> int:
        """People SendGrid took under this custom arg, indexed or not (what an operator would find in the console)."""
        with self._lock:
            return sum(r.to.count("\n") + 1 for r in self._by_arg.get((key, value), ()))

    def _rate(self, now: float) -> tuple[bool, dict[str, str]]:
        """Count this request in the sliding minute; (allowed, X-RateLimit-* headers)."""
        limit = self.per_minute
        with self._lock:
            while self._calls and now - self._calls[0] >= self.window:
                self._calls.popleft()
            allowed = limit is None or len(self._calls) < limit
            if allowed:
                self._calls.append(now)
            reset = (self._calls[0] + self.window) if self._calls else now
            used = len(self._calls)
        shown = limit if limit is not None else 10_000
        return allowed, {"X-RateLimit-Limit": str(shown), "X-RateLimit-Remaining": str(max(0, shown - used)),
                         "X-RateLimit-Reset": str(math.ceil(reset))}

    def answer(self, query: str | None, limit: str | None, now: float | None = None) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(status, body, headers) for one ``GET /v3/messages`` of an authenticated caller."""
        now = time.time() if now is None else now
        self.counts["asked"] += 1
        if not self.addon:
            self.counts["refused"] += 1
            return 400, ADDON_MISSING, {}
        allowed, headers = self._rate(now)
        if not allowed:
            self.counts["rate_limited"] += 1
            return 429, TOO_MANY, headers
        match = _QUERY.match(query or "")
        try:
            size = 10 if limit is None else int(limit)
        except ValueError:
            size = 0
        if match is None or not 1 <= size <= 1000:
            self.counts["bad_query"] += 1
            field = "query" if match is None else "limit"
            return 400, {"errors": [{"message": f"invalid syntax: {field}"}]}, headers
        self.counts["answered"] += 1
        return 200, {"messages": self._messages(match.group(1), match.group(2), size, now)}, headers

    def _messages(self, key: str, value: str, size: int, now: float) -> list[dict[str, Any]]:
        with self._lock:
            visible = [r for r in self._by_arg.get((key, value), ()) if now - r.at >= self.index_delay]
        out: list[dict[str, Any]] = []
        for r in visible:
            when = datetime.fromtimestamp(r.at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            for n, email in enumerate(r.to.split("\n")):
                out.append({"from_email": r.from_email, "msg_id": f"{r.message_id}.filter0001.{n}.0", "subject": r.subject,
                            "to_email": email, "status": "processing", "opens_count": 0, "clicks_count": 0, "last_event_time": when})
                if len(out) >= size:
                    return out
        return out

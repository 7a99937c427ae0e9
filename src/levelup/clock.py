"""Process-wide time helpers shared by every layer."""

from __future__ import annotations

import datetime as dt
from typing import Any


def utc_now() -> dt.datetime:
    """Naive UTC, the convention of every TIMESTAMP column."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def parse_timestamp(value: Any) -> dt.datetime | None:
    """An ISO-8601 timestamp as an aware datetime (one without an offset is UTC), or None
    when `value` is not one.

    The API writes "...Z" with up to 7 fraction digits; `fromisoformat` reads both since
    Python 3.11 (digits past the sixth are dropped). Callers that accept padded text
    strip it first: extraction does not.
    """
    try:
        parsed = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)

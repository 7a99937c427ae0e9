"""Defensive parsing of the numbers and durations found in match JSON.

The API is not always tidy: numbers arrive as ints, integral floats, numeric
strings, nulls, and now and then garbage. A bad value must never sink a whole
match, and never be stored as a plausible-looking number: it becomes NULL and a
warning naming the match and the field is logged. Warnings never change the
exit status; the sync report counts them.
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

log = logging.getLogger("levelup.values")

# DuckDB INTEGER bounds: anything outside cannot be stored in the columns.
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1

# No match lasts a week, custom games left running included: a longer duration
# ("P400D") is garbage, and stored as seconds it would dominate every average.
MAX_DURATION_SECONDS = 7 * 86_400.0

_DURATION_RE = re.compile(
    r"^P(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def json_object(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one: a part of a document that is
    missing or of another type reads as absent."""
    return value if isinstance(value, dict) else {}


def _warn(match_id: str, field: str, value: Any, why: str) -> None:
    log.warning("match %s: field %s has %s value %r; stored as NULL", match_id, field, why, value)


def parse_number(value: Any, match_id: str, field: str) -> float | None:
    """Return a finite float from a JSON number or numeric string, else None.

    Booleans are rejected although Python treats them as ints: a `true` where a
    count belongs is a schema change upstream, not the number 1.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        _warn(match_id, field, value, "a boolean")
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            _warn(match_id, field, value, "a non-numeric")
            return None
    else:
        _warn(match_id, field, value, "a non-numeric")
        return None
    if not math.isfinite(number):
        _warn(match_id, field, value, "a non-finite")
        return None
    return number


def parse_int(value: Any, match_id: str, field: str, *, count: bool = False) -> int | None:
    """Parse an integer; `count=True` also rejects negatives (shots, kills, damage...).

    Integral floats such as 12.0 are accepted, fractional ones are not: a count
    of 12.5 means the field changed meaning and must not be silently rounded.
    """
    if type(value) is int:  # the common case, kept cheap on the hot path
        number: float | int = value
    else:
        parsed = parse_number(value, match_id, field)
        if parsed is None:
            return None
        if not parsed.is_integer():
            _warn(match_id, field, value, "a fractional")
            return None
        number = int(parsed)
    if number < INT_MIN or number > INT_MAX:
        _warn(match_id, field, value, "an out-of-range")
        return None
    if count and number < 0:
        _warn(match_id, field, value, "a negative")
        return None
    return int(number)


def parse_float(
    value: Any, match_id: str, field: str, *, non_negative: bool = False
) -> float | None:
    """Parse a float (KDA, accuracy); `non_negative` for quantities that cannot be < 0."""
    if type(value) is float:
        number: float | None = value if math.isfinite(value) else None
        if number is None:
            _warn(match_id, field, value, "a non-finite")
            return None
    else:
        number = parse_number(value, match_id, field)
        if number is None:
            return None
    if non_negative and number < 0:
        _warn(match_id, field, value, "a negative")
        return None
    return number


def iso_duration_seconds(text: str) -> float | None:
    """Seconds of an ISO-8601 duration text ("PT9M9.4211615S"), None when it is not one."""
    text = text.strip()
    match = _DURATION_RE.match(text)
    if match is None or text in ("P", "PT"):
        return None
    days, hours, minutes, seconds = match.groups()
    # Absent parts are skipped rather than added as 0.0: every part is >= 0,
    # so the sum (in the same order) is the same float, for less work.
    total = 0.0
    if days is not None:
        total += float(days) * 86400
    if hours is not None:
        total += float(hours) * 3600
    if minutes is not None:
        total += float(minutes) * 60
    if seconds is not None:
        total += float(seconds)
    return total


# Valid duration texts already converted. A match repeats its players'
# TimePlayed, and lives are timed to a tenth of a second, so most durations of a
# history were seen before, and a lookup costs less than the regex.
_DURATIONS: dict[str, float] = {}
_DURATIONS_MAX = 8192


def parse_duration(value: Any, match_id: str, field: str) -> float | None:
    """Seconds from an ISO-8601 duration ("PT9M9.4211615S"); plain numbers are seconds.
    More than `MAX_DURATION_SECONDS` is NULL with a warning."""
    if value is None:
        return None
    if isinstance(value, str):
        known = _DURATIONS.get(value)
        if known is not None:
            return known
        total = iso_duration_seconds(value)
        if total is None:
            _warn(match_id, field, value, "an unparseable duration")
            return None
        if total > MAX_DURATION_SECONDS:
            _warn(match_id, field, value, "an out-of-range (over a week) duration")
            return None
        if len(_DURATIONS) >= _DURATIONS_MAX:
            _DURATIONS.clear()
        _DURATIONS[value] = total
        return total
    seconds = parse_float(value, match_id, field, non_negative=True)
    if seconds is not None and seconds > MAX_DURATION_SECONDS:
        _warn(match_id, field, value, "an out-of-range (over a week) duration")
        return None
    return seconds


def parse_bool(value: Any, match_id: str, field: str) -> bool | None:
    """Accept real JSON booleans only; anything else is NULL with a warning."""
    if value is None or isinstance(value, bool):
        return value
    _warn(match_id, field, value, "a non-boolean")
    return None


def parse_str(value: Any, match_id: str = "?", field: str = "?") -> str | None:
    """Identifiers and names are text (a whole number is accepted as its digits);
    empty strings carry no information. An object, a list or a boolean is NULL
    with a warning: stored as Python text ("{'x': 1}") it would look like an id."""
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if type(value) is int:
        return str(value)
    _warn(match_id, field, value, "a non-text")
    return None

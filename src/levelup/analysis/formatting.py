"""How figures read, the same in the terminal and on the page.

Every formatter takes None (a figure that cannot be computed: nothing fired,
no decided match, no death) and shows it as "n/a", never as 0.
"""

from __future__ import annotations

import datetime as dt
import re

NA = "n/a"

NULL_LABELS = {
    "not_backfilled": "not yet backfilled",
    "not_provided": "not provided by the API",
}

# Tiers in order, with the CSR each starts at; Onyx has no sub-tiers.
TIERS: tuple[tuple[str, int], ...] = (
    ("Bronze", 0),
    ("Silver", 300),
    ("Gold", 600),
    ("Platinum", 900),
    ("Diamond", 1200),
    ("Onyx", 1500),
)


def fmt_pct(value: float | None) -> str:
    """A percentage with two decimals; "n/a" when there is nothing to divide by."""
    return NA if value is None else f"{value:.2f}%"


def fmt_pct1(value: float | None) -> str:
    return NA if value is None else f"{value:.1f}%"


def fmt_delta(value: float | None) -> str:
    return "" if value is None else f"{value:+.2f} pts"


def fmt_int(value: int | float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def fmt_signed(value: int | float | None) -> str:
    return "" if value is None else f"{value:+,.0f}"


def fmt_ratio(value: float | None) -> str:
    """K/D and the like: two decimals."""
    return NA if value is None else f"{value:.2f}"


def fmt_float1(value: float | None) -> str:
    return NA if value is None else f"{value:,.1f}"


def fmt_signed1(value: float | None) -> str:
    return NA if value is None else f"{value:+,.1f}"


def fmt_duration(seconds: float | None) -> str:
    """12h 05m, 7m 31s, 48s."""
    if seconds is None:
        return NA
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours:,}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def fmt_datetime(value: str | dt.datetime | None) -> str:
    """ "2025-03-01 12:27" from an ISO string or a datetime."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value[:16].replace("T", " ")


def csr_value(value: int | None) -> int | None:
    """A CSR, or None for the API's "no CSR" (-1, or NULL once stored): 0 is a real CSR."""
    return value if value is not None and value >= 0 else None


def tier_label(tier: str | None, sub_tier: int | None, csr: int | None = None) -> str:
    """ "Diamond 4" from the API's tier and 0-based sub-tier; Onyx shows its CSR instead."""
    if not tier:
        return "unranked"
    if tier == "Onyx":
        return "Onyx" if csr is None else f"Onyx {csr}"
    if sub_tier is None:
        return tier
    return f"{tier} {sub_tier + 1}"


def tier_of(csr: float) -> str:
    """The tier a CSR value lies in (for the bands behind the CSR chart)."""
    name = TIERS[0][0]
    for tier, start in TIERS:
        if csr >= start:
            name = tier
    return name


# The API's ZonesStats are shared by every zone mode but named after Strongholds
# (StrongholdOccupationTime...): in King of the Hill they count the hill, elsewhere a zone.
ZONE_WORDS = {11: "Stronghold", 13: "Hill"}  # game variant category -> what the zone is
ZONE_STAT_PREFIX = "Stronghold"


def humanize_stat(name: str, category: int | None = None) -> str:
    """ "TimeAsSkullCarrier" -> "Time as skull carrier"; a zone stat is named for the
    mode played (`category`): "Hill occupation time" in King of the Hill, "Zone ..."
    in other zone modes or when the mode is not known."""
    if name.startswith(ZONE_STAT_PREFIX):
        name = ZONE_WORDS.get(category or 0, "Zone") + name[len(ZONE_STAT_PREFIX) :]
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z]|\d|\b)|[A-Z]?[a-z]+|\d+", name)
    if not words:
        return name
    text = " ".join(words)
    return text[:1].upper() + text[1:].lower()


def is_time_stat(name: str) -> bool:
    """Mode stats whose value is a duration in seconds: the API's duration stats are
    named for it (TimeAsFlagCarrier, LongestTimeAsSkullCarrier, TotalZoneOccupationTime),
    as whole words (TimesRevivedByAlly is a count). The stored value is a plain
    number, so the name is all there is to go by."""
    leaf = name.rsplit(".", 1)[-1]  # a nested field: `Parent.Child`
    return _TIME_WORD.search(leaf) is not None


_TIME_WORD = re.compile(r"(Time|Duration)(?=[A-Z\d]|$)")

"""The history filters (`--match-type`) and how their histories relate.

Below every other module: the sources filter by them, the bookkeeping reasons
about which earlier walks prove what.
"""

from __future__ import annotations

MATCH_TYPES = ("all", "matchmaking", "custom", "local")

# MatchInfo.LifecycleMode values that each history filter keeps (spnkr's LifecycleMode).
LIFECYCLE_BY_MATCH_TYPE: dict[str, frozenset[int] | None] = {
    "all": None,
    "matchmaking": frozenset({3}),
    "custom": frozenset({1}),
    "local": frozenset({7}),
}


# Service record match type -> the `lifecycle_mode` of its matches in match_stats
# (here, below everything, so the report's completeness check needs no sync module).
LIFECYCLE_BY_RECORD_TYPE: dict[str, frozenset[int] | None] = {
    "matchmade": LIFECYCLE_BY_MATCH_TYPE["matchmaking"],
    "custom": LIFECYCLE_BY_MATCH_TYPE["custom"],
    "local": LIFECYCLE_BY_MATCH_TYPE["local"],
}


def narrower_match_types(match_type: str) -> tuple[str, ...]:
    """The filters whose history is part of `match_type`'s (itself included)."""
    return MATCH_TYPES if match_type == "all" else (match_type,)


def covering_match_types(match_type: str) -> tuple[str, ...]:
    """The filters whose history holds all of `match_type`'s (itself included)."""
    return ("all",) if match_type == "all" else (match_type, "all")


def overlapping_match_types(match_type: str) -> tuple[str, ...]:
    """The filters whose history shares matches with `match_type`'s."""
    return MATCH_TYPES if match_type == "all" else (match_type, "all")

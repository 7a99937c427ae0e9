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


def narrower_match_types(match_type: str) -> tuple[str, ...]:
    """The filters whose history is part of `match_type`'s (itself included)."""
    return MATCH_TYPES if match_type == "all" else (match_type,)


def covering_match_types(match_type: str) -> tuple[str, ...]:
    """The filters whose history holds all of `match_type`'s (itself included)."""
    return ("all",) if match_type == "all" else (match_type, "all")


def overlapping_match_types(match_type: str) -> tuple[str, ...]:
    """The filters whose history shares matches with `match_type`'s."""
    return MATCH_TYPES if match_type == "all" else (match_type, "all")

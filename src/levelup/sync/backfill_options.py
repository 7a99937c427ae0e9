"""The backfill's data options, one declarative entry each.

An entry names the registry table it repairs (`levelup.registry`), the
columns it writes (all of them for a detail table, whose rows of a match are
replaced as a whole), which matches it selects when not forced, and which
columns must hold a value for the match to count as "the JSON had a valid
value". Adding an option is adding an entry here (its CLI flags, counter,
dry-run listing and report come for free); the engine in `backfill.py` has no
per-option branch.
"""

from __future__ import annotations

from dataclasses import dataclass

from levelup.registry import (
    PARTICIPANTS_TABLE,
    SKILL_DOCUMENT,
    STATS_DOCUMENT,
    STATS_TABLE,
    TableSpec,
    table_spec,
)

# Every match of the player's database, for the force variants.
ALL_MATCHES_SQL = (
    "SELECT match_id FROM match_stats UNION SELECT DISTINCT match_id FROM match_participants"
)


def _participants_with_null(columns: tuple[str, ...]) -> str:
    nulls = " OR ".join(f"p.{col} IS NULL" for col in columns)
    return (
        f"SELECT DISTINCT p.match_id FROM match_participants AS p WHERE {nulls} "
        f"UNION {_without_rows(PARTICIPANTS_TABLE)}"
    )


def _stats_with_null(columns: tuple[str, ...]) -> str:
    nulls = " OR ".join(f"s.{col} IS NULL" for col in columns)
    return f"SELECT s.match_id FROM match_stats AS s WHERE {nulls}"


def _without_rows(table: str) -> str:
    """Matches of the player that have no row at all in a table."""
    return (
        f"SELECT s.match_id FROM match_stats AS s WHERE NOT EXISTS "
        f'(SELECT 1 FROM "{table}" AS t WHERE t.match_id = s.match_id)'
    )


@dataclass(frozen=True)
class BackfillOption:
    """One `--<name>` / `--force-<name>` pair of the backfill.

    `columns` None means every non-key column of the table (a detail table's
    rows are then replaced per match: rows the JSON no longer has are deleted).
    `value_columns` empty means "the JSON had a value" when the match yields
    at least one row for the table.
    """

    name: str
    help: str
    table: str
    selection_sql: str
    columns: tuple[str, ...] | None = None
    value_columns: tuple[str, ...] = ()
    has_force: bool = True
    listed: bool = True  # False: switched on by another option only
    # What the force variant selects (default: every match of the database).
    force_selection_sql: str | None = None

    @property
    def spec(self) -> TableSpec:
        return table_spec(self.table)

    @property
    def document(self) -> str:
        """The kind of stored document its rows are extracted from ("stats", "skill")."""
        return self.spec.document or STATS_DOCUMENT

    @property
    def written_columns(self) -> tuple[str, ...]:
        if self.columns is not None:
            return self.columns
        return tuple(c for c in self.spec.columns if c not in self.spec.key)

    @property
    def counter(self) -> str:
        return f"{self.name}_updated"

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def force_flag(self) -> str:
        return "--force-" + self.name.replace("_", "-")


_SHOTS = ("shots_fired", "shots_hit")
_KDA = ("kills", "deaths", "assists", "kda")
_SCORES = ("score", "personal_score", "rank")


def _detail(name: str, table: str, help_text: str, *, listed: bool = True) -> BackfillOption:
    return BackfillOption(
        name=name, help=help_text, table=table, selection_sql=_without_rows(table), listed=listed
    )


# Matchmade matches (the only ones with a skill result) without skill rows: their
# stored skill document is re-extracted, or fetched (one call each) when there is none.
_MATCHMADE_WITHOUT_SKILL = (
    "SELECT s.match_id FROM match_stats AS s WHERE s.lifecycle_mode = 3 AND NOT EXISTS "
    "(SELECT 1 FROM match_skill AS t WHERE t.match_id = s.match_id)"
)
# --force-skill: every stored skill document, re-extracted (no API call).
_STORED_SKILL = (
    f"SELECT d.match_id FROM match_documents AS d WHERE d.kind = '{SKILL_DOCUMENT}' "
    "AND d.body IS NOT NULL AND EXISTS (SELECT 1 FROM match_stats AS s "
    "WHERE s.match_id = d.match_id)"
)


def _skill(name: str, table: str, help_text: str, *, listed: bool = True) -> BackfillOption:
    return BackfillOption(
        name=name,
        help=help_text,
        table=table,
        selection_sql=_MATCHMADE_WITHOUT_SKILL,
        force_selection_sql=_STORED_SKILL,
        listed=listed,
    )


OPTIONS: tuple[BackfillOption, ...] = (
    BackfillOption(
        name="shots",
        help="match_stats.shots_fired / shots_hit (and accuracy from them) where NULL",
        table=STATS_TABLE,
        columns=(*_SHOTS, "accuracy"),
        selection_sql=_stats_with_null(_SHOTS),
        value_columns=_SHOTS,
    ),
    BackfillOption(
        name="participants_shots",
        help="match_participants.shots_fired / shots_hit (and accuracy) for every participant",
        table=PARTICIPANTS_TABLE,
        columns=(*_SHOTS, "accuracy"),
        selection_sql=_participants_with_null(_SHOTS),
        value_columns=_SHOTS,
    ),
    BackfillOption(
        name="accuracy",
        help="match_stats.accuracy recomputed from the shots",
        table=STATS_TABLE,
        columns=("accuracy",),
        selection_sql=_stats_with_null(("accuracy",)),
        value_columns=("accuracy",),
    ),
    BackfillOption(
        name="participants_kda",
        help="match_participants kills, deaths, assists, kda",
        table=PARTICIPANTS_TABLE,
        columns=_KDA,
        selection_sql=_participants_with_null(_KDA),
        value_columns=_KDA,
    ),
    BackfillOption(
        name="participants_scores",
        help="match_participants score, personal_score, rank",
        table=PARTICIPANTS_TABLE,
        columns=_SCORES,
        selection_sql=_participants_with_null(_SCORES),
        value_columns=_SCORES,
    ),
    _detail("medals", "match_medals", "match_medals: every player's medals, from the stored JSON"),
    _detail(
        "mode_stats",
        "match_mode_stats",
        "match_mode_stats and match_team_mode_stats: objective stats (flags, zones, skulls...)",
    ),
    _detail(
        "team_mode_stats",
        "match_team_mode_stats",
        "(set by --mode-stats) match_team_mode_stats",
        listed=False,
    ),
    _detail(
        "personal_scores",
        "match_personal_scores",
        "match_personal_scores: how every player's personal score was earned",
    ),
    _detail("teams", "match_teams", "match_teams: the team scoreboard of every match with teams"),
    _skill(
        "skill",
        "match_skill",
        "match_skill, match_team_skill, match_skill_counterfactuals: CSR, MMR and expected "
        "kills/deaths of matchmade matches; fetches the skill document of every stored "
        "matchmade match that has none (one call each); with --force-skill, every stored "
        "skill document is re-extracted too (no API call for those)",
    ),
    _skill("team_skill", "match_team_skill", "(set by --skill) match_team_skill", listed=False),
    _skill(
        "skill_counterfactuals",
        "match_skill_counterfactuals",
        "(set by --skill) match_skill_counterfactuals",
        listed=False,
    ),
    BackfillOption(
        name="reextract",
        help="every table rewritten from the stored match JSON (no API call)",
        table=STATS_TABLE,
        selection_sql="SELECT s.match_id FROM match_stats AS s",
        has_force=False,
    ),
    BackfillOption(
        name="reextract_participants",
        help="(set by --reextract) every participant column rewritten from the match JSON",
        table=PARTICIPANTS_TABLE,
        # Gamertags come from the profile service, not from match JSON.
        columns=tuple(
            c
            for c in table_spec(PARTICIPANTS_TABLE).columns
            if c not in ("match_id", "xuid", "gamertag")
        ),
        selection_sql="SELECT s.match_id FROM match_stats AS s",
        has_force=False,
        listed=False,
    ),
)

OPTIONS_BY_NAME = {option.name: option for option in OPTIONS}

# Options a user names on the command line; the rest are switched on by another.
CLI_OPTIONS = tuple(o for o in OPTIONS if o.listed)

# option -> (implied option, forced): `--reextract` covers every table.
IMPLIED: dict[str, tuple[tuple[str, bool], ...]] = {
    "reextract": (
        ("reextract_participants", False),
        ("medals", True),
        ("mode_stats", True),
        ("team_mode_stats", True),
        ("personal_scores", True),
        ("teams", True),
        ("skill", True),
        ("team_skill", True),
        ("skill_counterfactuals", True),
    ),
    "mode_stats": (("team_mode_stats", False),),
    "skill": (("team_skill", False), ("skill_counterfactuals", False)),
}

"""Every stored data table, declared once.

A `TableSpec` names a table, its primary key, its row dataclass (the columns
and their DuckDB types come from it), the raw document kind its rows are
extracted from, and its extractor. The migrations create tables and add
missing columns from it, the writer builds its bulk statements from it, the
backfill's options point at it, exports and reports list tables from it, and
`docs/data_lineage.md` is generated from it (`python -m levelup.registry`).

Adding a table is one row dataclass in `extract/rows.py`, one extractor, and
one entry in `TABLES`.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, fields
from functools import cached_property
from operator import attrgetter
from typing import Any, Literal

from levelup.extract import children, skill
from levelup.extract import rows as r
from levelup.extract.match import ExtractedMatch, extract_match, match_identity

# The two tables `extract_match` fills: the owner's row per match, and every player's.
STATS_TABLE = "match_stats"
PARTICIPANTS_TABLE = "match_participants"
# Raw documents as received (compact JSON), one per match and kind.
DOCUMENTS_TABLE = "match_documents"
# The sync run that last wrote a row (`sync_runs.run_id`, as dlt's load id): "what
# did run X write" is one query. Rows written by a backfill keep theirs (or NULL).
RUN_COLUMN = "sync_run_id"
DOCUMENT_COLUMNS = {
    "match_id": "VARCHAR",
    "kind": "VARCHAR",
    "body": "VARCHAR",
    "fetched_at": "TIMESTAMP",
    "source": "VARCHAR",
    RUN_COLUMN: "VARCHAR",
}
DOCUMENT_KEY = ("match_id", "kind")
STATS_DOCUMENT = "stats"  # GET halostats /hi/matches/{id}/stats
SKILL_DOCUMENT = "skill"  # GET skill /hi/matches/{id}/skill?players=... (matchmade matches)

# Bookkeeping columns of tables whose rows are updated in place.
TIMESTAMP_COLUMNS = {"created_at": "TIMESTAMP", "updated_at": "TIMESTAMP"}

_SQL_TYPES: dict[Any, str] = {
    str: "VARCHAR",
    int: "INTEGER",
    float: "DOUBLE",
    bool: "BOOLEAN",
    dt.datetime: "TIMESTAMP",
}

# (match document, match id) -> rows as tuples in the column order of the row dataclass.
Extractor = Callable[[dict[str, Any], str], list[tuple[Any, ...]]]


def _as_is(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return row


def _sql_type(annotation: Any) -> str:
    """DuckDB type of a field annotation such as `int | None`."""
    options = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    if len(options) != 1 or options[0] not in _SQL_TYPES:
        raise TypeError(f"no DuckDB type for annotation {annotation!r}")
    return _SQL_TYPES[options[0]]


@dataclass(frozen=True)
class TableSpec:
    """One stored table.

    `write`: "upsert" tables (a row per key, updated in place: only the
    extracted columns change, unknown columns and `created_at` survive);
    "replace" tables hold a match's detail rows, replaced as a whole when the
    match is written again, so rows the JSON no longer has are deleted.
    `select_sql`/`update_sql`/`joins` adjust single columns of the bulk upsert
    (participants take their gamertag from the name cache, and a NULL never
    erases a known name).
    """

    name: str
    row_type: type
    key: tuple[str, ...]
    description: str
    document: str | None = None
    extractor: Extractor | None = None
    write: Literal["upsert", "replace"] = "upsert"
    timestamps: bool = False
    select_sql: Mapping[str, str] = field(default_factory=dict)
    update_sql: Mapping[str, str] = field(default_factory=dict)
    joins: str = ""

    @cached_property
    def columns(self) -> dict[str, str]:
        """Column -> DuckDB type, in table order (bookkeeping timestamps not included)."""
        hints = typing.get_type_hints(self.row_type)
        result = {}
        for f in fields(self.row_type):
            result[f.name] = f.metadata.get("sql") or _sql_type(hints[f.name])
        missing = set(self.key) - set(result)
        if missing:
            raise TypeError(f"{self.name}: key columns {sorted(missing)} are not fields")
        return result

    @cached_property
    def stored_columns(self) -> dict[str, str]:
        """Every column the table has, bookkeeping timestamps included."""
        run = {RUN_COLUMN: "VARCHAR"} if self.document else {}
        return {**self.columns, **(TIMESTAMP_COLUMNS if self.timestamps else {}), **run}

    @cached_property
    def column_docs(self) -> dict[str, str]:
        return {f.name: f.metadata.get("doc", "") for f in fields(self.row_type)}

    @cached_property
    def row_values(self) -> Callable[[Any], tuple]:
        """A row -> tuple in column order.

        An extractor returns tuples already (the row dataclass declares the
        columns; building one per row would cost more than reading the JSON);
        a row dataclass goes through attrgetter, the cheapest conversion.
        """
        if self.extractor is not None:
            return _as_is
        return attrgetter(*self.columns)

    @cached_property
    def polars_schema(self) -> dict[str, Any]:
        """The explicit frame schema for bulk writes: no type inference from data."""
        import polars as pl

        types = {
            "VARCHAR": pl.String(),
            "INTEGER": pl.Int32(),
            "BIGINT": pl.Int64(),
            "DOUBLE": pl.Float64(),
            "BOOLEAN": pl.Boolean(),
            "TIMESTAMP": pl.Datetime("us"),
        }
        return {name: types[sql_type] for name, sql_type in self.columns.items()}

    @property
    def per_match(self) -> bool:
        """Rows belong to a match (exports can filter them by the match's start time)."""
        return "match_id" in self.key


_PARTICIPANT_GAMERTAG = {
    "select_sql": {"gamertag": 'coalesce(f."gamertag", n."gamertag")'},
    "update_sql": {"gamertag": 'coalesce(excluded."gamertag", match_participants."gamertag")'},
    "joins": 'LEFT JOIN player_names AS n ON n."xuid" = f."xuid"',
}

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        STATS_TABLE,
        r.MatchStatsRow,
        ("match_id",),
        "One row per match: the tracked player's view.",
        document=STATS_DOCUMENT,
        timestamps=True,
    ),
    TableSpec(
        PARTICIPANTS_TABLE,
        r.MatchParticipantRow,
        ("match_id", "xuid"),
        "One row per match and player, bots included.",
        document=STATS_DOCUMENT,
        timestamps=True,
        **_PARTICIPANT_GAMERTAG,
    ),
    TableSpec(
        "match_medals",
        r.MatchMedalRow,
        ("match_id", "xuid", "medal_id"),
        "One row per match, player and medal earned.",
        document=STATS_DOCUMENT,
        extractor=children.medals,
        write="replace",
    ),
    TableSpec(
        "match_personal_scores",
        r.MatchPersonalScoreRow,
        ("match_id", "xuid", "score_id"),
        "One row per match, player and kind of personal score (kill, assist, capture...).",
        document=STATS_DOCUMENT,
        extractor=children.personal_scores,
        write="replace",
    ),
    TableSpec(
        "match_mode_stats",
        r.MatchModeStatRow,
        ("match_id", "xuid", "mode", "stat"),
        "One row per match, player and mode statistic (flag captures, skull time...).",
        document=STATS_DOCUMENT,
        extractor=children.mode_stats,
        write="replace",
    ),
    TableSpec(
        "match_team_mode_stats",
        r.MatchTeamModeStatRow,
        ("match_id", "team_id", "mode", "stat"),
        "One row per match, team and mode statistic.",
        document=STATS_DOCUMENT,
        extractor=children.team_mode_stats,
        write="replace",
    ),
    TableSpec(
        "match_teams",
        r.MatchTeamRow,
        ("match_id", "team_id"),
        "One row per match and team: the team scoreboard (none without teams).",
        document=STATS_DOCUMENT,
        extractor=children.teams,
        write="replace",
    ),
    TableSpec(
        "match_skill",
        r.MatchSkillRow,
        ("match_id", "xuid"),
        "One row per matchmade match and human: CSR before and after, team MMR, expected "
        "kills and deaths (from the skill document).",
        document=SKILL_DOCUMENT,
        extractor=skill.match_skill,
        write="replace",
    ),
    TableSpec(
        "match_team_skill",
        r.MatchTeamSkillRow,
        ("match_id", "team_id"),
        "One row per matchmade match and team: the team's MMR.",
        document=SKILL_DOCUMENT,
        extractor=skill.team_skill,
        write="replace",
    ),
    TableSpec(
        "match_skill_counterfactuals",
        r.MatchSkillCounterfactualRow,
        ("match_id", "xuid", "tier"),
        "One row per matchmade match, human and tier: the kills and deaths the matchmaker "
        "expected of a player of that tier (`Self`: of this player).",
        document=SKILL_DOCUMENT,
        extractor=skill.counterfactuals,
        write="replace",
    ),
    TableSpec(
        "csr_snapshots",
        r.CsrSnapshotRow,
        ("xuid", "playlist_id", "fetched_at"),
        "One row per sync and ranked playlist the owner played: the owner's current, season "
        "best and all-time best CSR (a snapshot, not per match).",
    ),
    TableSpec(
        "match_count_snapshots",
        r.MatchCountSnapshotRow,
        ("xuid", "match_type", "fetched_at"),
        "One row per sync and match type: how many matches the API counted for the owner "
        "(a snapshot, compared with the stored matches).",
    ),
    TableSpec(
        "service_record_snapshots",
        r.ServiceRecordSnapshotRow,
        ("xuid", "match_type", "fetched_at"),
        "One row per sync and match type (matchmade, custom, local): the owner's career "
        "totals from the service record (a snapshot, compared with the warehouse's sums).",
    ),
    TableSpec(
        "medal_names",
        r.MedalNameRow,
        ("medal_id",),
        "Medal names and metadata from the medal metadata document.",
    ),
    TableSpec(
        "personal_score_names",
        r.PersonalScoreNameRow,
        ("score_id",),
        "Personal score names, from the names the spnkr SDK knows.",
    ),
    TableSpec(
        "player_names",
        r.PlayerNameRow,
        ("xuid",),
        "Gamertags by xuid, asked once from the profile service.",
    ),
    TableSpec(
        "asset_names",
        r.AssetNameRow,
        ("asset_type", "asset_id", "version_id"),
        "Asset names (maps, playlists, game variants) from the discovery service.",
    ),
)

_BY_NAME = {spec.name: spec for spec in TABLES}


def table_spec(name: str) -> TableSpec:
    """The declaration of one table; KeyError for a name that is not declared."""
    return _BY_NAME[name]


def extracted_from(kind: str) -> tuple[TableSpec, ...]:
    """The tables filled from one document kind, in declaration order."""
    return tuple(spec for spec in TABLES if spec.document == kind)


def detail_tables(kind: str) -> tuple[TableSpec, ...]:
    """The tables of a kind with their own extractor (the core two share `extract_match`)."""
    return tuple(spec for spec in extracted_from(kind) if spec.extractor is not None)


_STATS_DETAILS = detail_tables(STATS_DOCUMENT)


def extract_stats_document(
    doc: dict[str, Any], owner_xuid: str | None, only: Collection[str] | None = None
) -> ExtractedMatch:
    """Every table's rows from one match-stats document, each parsed once; with
    `only`, the tables not named there are skipped (a backfill of some options
    extracts what it writes, nothing more, and warns only about that). Without
    `match_stats` and `match_participants` in `only`, the match has neither
    (`stats` None), but its document is checked all the same.

    Raises:
        MatchDocumentError: the document has no MatchId, StartTime or Players.
    """
    if only is not None and not {STATS_TABLE, PARTICIPANTS_TABLE} & set(only):
        match = ExtractedMatch(match_id=match_identity(doc)[0], stats=None, participants=[])
    else:
        match = extract_match(doc, owner_xuid)
    for spec in _STATS_DETAILS:
        if only is None or spec.name in only:
            match.details[spec.name] = spec.extractor(doc, match.match_id)  # type: ignore[misc]
    return match


def extract_document(kind: str, doc: dict[str, Any], match_id: str) -> dict[str, list[Any]]:
    """The rows of every table filled from one document of a kind other than stats.

    Raises:
        MatchDocumentError: the document does not have the kind's shape.
    """
    if kind == SKILL_DOCUMENT:
        # One pass for the kind's three tables (the same rows as their extractors).
        return skill.extract_all(skill.check_skill_document(doc), match_id)
    return {spec.name: spec.extractor(doc, match_id) for spec in detail_tables(kind)}  # type: ignore[misc]


def lineage_markdown() -> str:
    """The per-table sections of docs/data_lineage.md, generated from the declarations."""
    parts = []
    for spec in TABLES:
        key = ", ".join(spec.key)
        parts.append(f"### `{spec.name}`\n\n{spec.description} Key: ({key}).\n")
        parts.append("| column | type | origin and transformation |\n|---|---|---|")
        for column, sql_type in spec.columns.items():
            doc = spec.column_docs[column].replace("|", "\\|")
            parts.append(f"| {column} | {sql_type} | {doc} |")
        if spec.timestamps:
            parts.append("| created_at, updated_at | TIMESTAMP | when LevelUp first wrote / "
                         "last changed the row |")  # fmt: skip
        if spec.document:
            parts.append(f"| {RUN_COLUMN} | VARCHAR | the sync run that last wrote the row "
                         "(`sync_runs.run_id`); NULL when a backfill wrote it |")  # fmt: skip
        parts.append("")
    return "\n".join(parts)


LINEAGE_BEGIN = "<!-- registry:begin (generated by `python -m levelup.registry`) -->"
LINEAGE_END = "<!-- registry:end -->"


def _write_lineage(path: str) -> None:
    import pathlib

    doc = pathlib.Path(path)
    text = doc.read_text(encoding="utf-8")
    head, _, rest = text.partition(LINEAGE_BEGIN)
    _, _, tail = rest.partition(LINEAGE_END)
    doc.write_text(
        f"{head}{LINEAGE_BEGIN}\n\n{lineage_markdown()}\n{LINEAGE_END}{tail}", encoding="utf-8"
    )


if __name__ == "__main__":
    _write_lineage("docs/data_lineage.md")

"""Accuracy figures of one player, computed in Polars from the stored tables.

Everything here is a pure function from frames to figures: the command loads
the frames (one SQL query per table) and hands them over, so the arithmetic
is tested without a database and the terminal, JSON and HTML outputs all show
the same numbers, taken from the one summary dictionary `build_report` returns.

Rules the figures follow, because averages of percentages lie:
- an accuracy is always sum(shots hit) / sum(shots fired) x 100 over the rows
  concerned, never a mean of per-match percentages;
- nothing fired gives accuracy None ("n/a"), never 0% and never a division error;
- a match whose shots are unknown (NULL) is counted apart, as "not yet
  backfilled", or "not provided by the API" when the backfill recorded that
  the JSON held no valid value, and it takes no part in any accuracy;
- matchmade PvP, matchmade games against bots, PvE (Firefight) and custom games
  are different sports: every breakdown keeps them apart (the `kind` column).

Team roles in the lobby comparison: a participant is a teammate when the match
has teams and their stored team (the API's `LastTeamId`, so a player who
switched teams counts on the team they finished on) is the owner's; an
opponent when it is another team; in matches without teams (Free-for-all,
Infection, where `teams_enabled` is false) everyone else is only "lobby".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from spnkr.models.refdata import GameVariantCategory

# --- game modes -----------------------------------------------------------------------------

# Display names of the categories a player meets; other enum members get a title-cased name.
_DISPLAY_NAMES: dict[int, str] = {
    6: "Slayer",
    7: "Attrition",
    8: "Elimination",
    9: "Fiesta",
    10: "SWAT",
    11: "Strongholds",
    12: "Bastion",
    13: "King of the Hill",
    14: "Total Control",
    15: "Capture the Flag",
    16: "Assault",
    17: "Extraction",
    18: "Oddball",
    19: "Stockpile",
    20: "Juggernaut",
    21: "Regicide",
    22: "Infection",
    23: "Escort",
    24: "Gun Game",
    25: "Grifball",
    26: "Race",
    27: "Prototype",
    39: "Land Grab",
    41: "Minigame",
    42: "Firefight",
}
# Names players use that neither the enum nor the display name spell.
_ALIASES: dict[str, int] = {"koth": 13, "hill": 13, "flag": 15, "ball": 18, "zones": 11}
_NOT_SELECTABLE = {GameVariantCategory.UNKNOWN, GameVariantCategory.NONE}


def describe_scope(summary: dict[str, Any]) -> tuple[str, list[str]]:
    """The player's name and the scope's filters, as both renderings title them."""
    player = summary["player"]
    who = player.get("gamertag") or player.get("xuid") or "unknown player"
    scope = summary["scope"]
    filters = []
    if scope["modes"]:
        filters.append("mode " + ", ".join(scope["modes"]))
    if scope["since"]:
        filters.append(f"since {scope['since']}")
    if scope["last"]:
        filters.append(f"last {scope['last']} matches")
    return str(who), filters


def _squash(name: str) -> str:
    """Case, spaces, dashes and underscores do not matter in a mode name."""
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def _enum_short_name(member: GameVariantCategory) -> str:
    return member.name.removeprefix("MULTIPLAYER_")


def mode_label(category: int | None) -> str:
    """Human name of a game variant category code, tolerant of codes spnkr does not know."""
    if category is None:
        return "Unknown mode"
    if category in _DISPLAY_NAMES:
        return _DISPLAY_NAMES[category]
    try:
        member = GameVariantCategory(category)
    except ValueError:
        return f"Category {category}"
    return _enum_short_name(member).replace("_", " ").title()


def _mode_lookup() -> dict[str, int]:
    lookup: dict[str, int] = {}
    for member in GameVariantCategory:
        if member in _NOT_SELECTABLE:
            continue
        lookup[_squash(_enum_short_name(member))] = int(member)
        lookup[_squash(member.name)] = int(member)
        lookup[_squash(mode_label(int(member)))] = int(member)
    lookup.update(_ALIASES)
    return lookup


_MODE_LOOKUP = _mode_lookup()


def mode_choices() -> list[str]:
    """The multiplayer modes `--mode` accepts, as CamelCase display names.

    The enum spelling is added in parentheses where it differs (CTF). Academy,
    campaign, forge and test categories are accepted too but not listed: no one
    looks for their shooting accuracy there, and they would bury the useful names.
    """
    names = []
    for member in GameVariantCategory:
        if not member.name.startswith("MULTIPLAYER_"):
            continue
        camel = "".join(
            word if word.isupper() else word[:1].upper() + word[1:]
            for word in mode_label(int(member)).split()
        )
        short = _enum_short_name(member)
        if _squash(short) != _squash(camel):
            camel = f"{camel} ({short})"
        names.append(camel)
    return names


def parse_mode(name: str) -> int:
    """Game variant category code of a mode name ("Slayer", "ctf", "KingOfTheHill", "42").

    Raises:
        ValueError: the name is no known mode; the message lists the valid ones.
    """
    text = name.strip()
    if text.isdigit():
        return int(text)
    code = _MODE_LOOKUP.get(_squash(text))
    if code is None:
        raise ValueError(
            f"unknown mode {name!r}; valid names (case-insensitive): "
            + ", ".join(mode_choices())
            + "; or any other GameVariantCategory name of spnkr, or a category number"
        )
    return code


# --- match kinds ----------------------------------------------------------------------------

KINDS: dict[str, str] = {
    "matchmade_pvp": "Matchmade PvP",
    "matchmade_bots": "Matchmade with bots",
    "pve": "PvE (Firefight)",
    "custom_bots": "Custom with bots",
    "custom": "Custom / local",
    "unknown": "Unknown origin",
}
_KIND_ORDER = {kind: index for index, kind in enumerate(KINDS)}

LIFECYCLE_CUSTOM = 1
LIFECYCLE_MATCHMADE = 3
LIFECYCLE_LOCAL = 7
INTERACTION_PVE = 2
CATEGORY_FIREFIGHT = 42

# --- inputs ---------------------------------------------------------------------------------

STATS_NEEDED: dict[str, pl.DataType] = {
    "match_id": pl.String(),
    "start_time": pl.Datetime("us"),
    "lifecycle_mode": pl.Int32(),
    "game_variant_category": pl.Int32(),
    "gameplay_interaction": pl.Int32(),
    "playlist_id": pl.String(),
    "map_id": pl.String(),
    "teams_enabled": pl.Boolean(),
    "team_id": pl.Int32(),
    "shots_fired": pl.Int64(),
    "shots_hit": pl.Int64(),
}
PARTICIPANTS_NEEDED: dict[str, pl.DataType] = {
    "match_id": pl.String(),
    "xuid": pl.String(),
    "is_bot": pl.Boolean(),
    "gamertag": pl.String(),
    "team_id": pl.Int32(),
    "shots_fired": pl.Int64(),
    "shots_hit": pl.Int64(),
}
ASSETS_NEEDED: dict[str, pl.DataType] = {
    "asset_type": pl.String(),
    "asset_id": pl.String(),
    "version_id": pl.String(),
    "public_name": pl.String(),
    "fetched_at": pl.Datetime("us"),
}
NAMES_NEEDED: dict[str, pl.DataType] = {"xuid": pl.String(), "gamertag": pl.String()}


def conform(frame: pl.DataFrame | None, needed: dict[str, pl.DataType]) -> pl.DataFrame:
    """The frame with exactly the needed columns and types; absent ones become NULL.

    An old database may lack columns (or whole tables): the report works on what
    there is, and the caller lists what was missing.
    """
    if frame is None:
        return pl.DataFrame(schema=needed)
    return frame.select(
        [
            pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype).alias(name)
            for name, dtype in needed.items()
        ]
    )


@dataclass
class ReportFrames:
    """Everything the report reads from a player database, as frames.

    Attributes:
        stats: `match_stats`, the owner's row per match (STATS_NEEDED columns).
        participants: `match_participants`, every player of every match.
        not_provided: match ids whose "shots" backfill found no valid value in the JSON.
        assets: `asset_names`, public names of maps and playlists.
        names: `player_names`, the gamertag cache.
        owner_xuid: the tracked player's xuid, to leave their own participant row out.
        missing: "table.column" names the database lacks (old layouts).
    """

    stats: pl.DataFrame
    participants: pl.DataFrame
    not_provided: pl.DataFrame
    assets: pl.DataFrame
    names: pl.DataFrame
    owner_xuid: str | None = None
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Scope:
    """Which matches the report covers.

    `categories` and `since` filter first, then `last` keeps the newest N of
    what is left, so "--last 20 --mode slayer" means the last 20 Slayer matches.
    """

    last: int | None = None
    since: dt.date | None = None
    categories: tuple[int, ...] = ()
    min_shots: int = 20

    def describe(self) -> dict[str, Any]:
        return {
            "last": self.last,
            "since": self.since.isoformat() if self.since else None,
            "modes": [mode_label(code) for code in self.categories],
            "min_shots": self.min_shots,
        }


@dataclass
class AccuracyReport:
    """The figures (`summary`, JSON-ready) and the per-match rows the charts draw."""

    summary: dict[str, Any]
    per_match: pl.DataFrame

    @property
    def empty(self) -> bool:
        return self.summary["matches"] == 0


# --- helpers --------------------------------------------------------------------------------

ROLLING_WINDOW = 10
TREND_WINDOWS = (10, 50)
TOP_MATCHES = 5
TOP_PLAYERS = 10


def percent(hit: int | None, fired: int | None) -> float | None:
    """hits / fired x 100; None when nothing (or an unknown number) was fired."""
    if hit is None or not fired:
        return None
    return hit * 100.0 / fired


def _accuracy_expr(hit: str = "shots_hit", fired: str = "shots_fired") -> pl.Expr:
    return (
        pl.when(pl.col(fired) > 0)
        .then(pl.col(hit).cast(pl.Float64) * 100.0 / pl.col(fired))
        .otherwise(None)
    )


def _iso(value: dt.datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def _shot_totals(frame: pl.DataFrame) -> dict[str, Any]:
    """Sum-based totals of rows whose shots are known (`has_shots`)."""
    known = frame.filter(pl.col("has_shots"))
    fired = int(known["shots_fired"].sum() or 0)
    hit = int(known["shots_hit"].sum() or 0)
    return {
        "matches": known.height,
        "shots_fired": fired,
        "shots_hit": hit,
        "accuracy": percent(hit, fired),
    }


def _asset_names(assets: pl.DataFrame, asset_type: str) -> pl.DataFrame:
    """asset_id -> one public name: the most recently fetched version's name.

    Reports group by asset id, not version: a map keeps its identity across the
    small edits that make new versions.
    """
    return (
        assets.filter((pl.col("asset_type") == asset_type) & pl.col("public_name").is_not_null())
        .sort(["fetched_at", "version_id"], descending=True, nulls_last=True)
        .unique(subset="asset_id", keep="first", maintain_order=True)
        .select(pl.col("asset_id"), pl.col("public_name"))
    )


def infer_owner_xuid(stats: pl.DataFrame, participants: pl.DataFrame) -> str | None:
    """The human seen in the most of the owner's matches, for databases with no owner_xuid.

    Every stored match has the owner's row in `match_participants`, so the owner
    is in all of them; another player can tie only if they played every match too.
    """
    humans = participants.filter(~pl.col("is_bot").fill_null(False)).join(
        stats.select("match_id"), on="match_id", how="semi"
    )
    if humans.is_empty():
        return None
    counts = humans.group_by("xuid").agg(n=pl.len()).sort(["n", "xuid"], descending=[True, False])
    return str(counts["xuid"][0])


# --- the per-match frame --------------------------------------------------------------------


def prepare_matches(frames: ReportFrames) -> pl.DataFrame:
    """One row per stored match with its kind, labels, null reason and accuracy.

    Shots count as known only when both fired and hit are; a half-known pair is
    treated as unknown rather than as a plausible-looking number.
    """
    stats = frames.stats
    participants = frames.participants
    bot_matches = (
        participants.filter(pl.col("is_bot").fill_null(False))
        .select("match_id")
        .unique()
        .with_columns(has_bots=pl.lit(True))
    )
    not_provided = (
        frames.not_provided.select("match_id").unique().with_columns(backfill_no_value=pl.lit(True))
    )
    maps = _asset_names(frames.assets, "maps").rename(
        {"asset_id": "map_id", "public_name": "map_name"}
    )
    playlists = _asset_names(frames.assets, "playlists").rename(
        {"asset_id": "playlist_id", "public_name": "playlist_name"}
    )
    lifecycle = pl.col("lifecycle_mode")
    pve = (pl.col("gameplay_interaction") == INTERACTION_PVE) | (
        pl.col("game_variant_category") == CATEGORY_FIREFIGHT
    )
    custom = lifecycle.is_in([LIFECYCLE_CUSTOM, LIFECYCLE_LOCAL])
    frame = (
        stats.join(bot_matches, on="match_id", how="left")
        .join(not_provided, on="match_id", how="left")
        .join(maps, on="map_id", how="left")
        .join(playlists, on="playlist_id", how="left")
        .with_columns(
            has_bots=pl.col("has_bots").fill_null(False),
            has_shots=pl.col("shots_fired").is_not_null() & pl.col("shots_hit").is_not_null(),
        )
        .with_columns(
            shots_fired=pl.when(pl.col("has_shots")).then(pl.col("shots_fired")),
            shots_hit=pl.when(pl.col("has_shots")).then(pl.col("shots_hit")),
            null_reason=pl.when(pl.col("has_shots"))
            .then(None)
            .when(pl.col("backfill_no_value").fill_null(False))
            .then(pl.lit("not_provided"))
            .otherwise(pl.lit("not_backfilled")),
            kind=pl.when(pve.fill_null(False))
            .then(pl.lit("pve"))
            .when((lifecycle == LIFECYCLE_MATCHMADE) & pl.col("has_bots"))
            .then(pl.lit("matchmade_bots"))
            .when(lifecycle == LIFECYCLE_MATCHMADE)
            .then(pl.lit("matchmade_pvp"))
            .when(custom.fill_null(False) & pl.col("has_bots"))
            .then(pl.lit("custom_bots"))
            .when(custom.fill_null(False))
            .then(pl.lit("custom"))
            .otherwise(pl.lit("unknown")),
            map_label=pl.coalesce(pl.col("map_name"), pl.col("map_id"), pl.lit("(unknown map)")),
            playlist_label=pl.coalesce(
                pl.col("playlist_name"), pl.col("playlist_id"), pl.lit("(no playlist)")
            ),
        )
        .with_columns(accuracy=_accuracy_expr())
        .drop("backfill_no_value")
    )
    # Few distinct categories: name each once instead of once per row.
    codes = frame["game_variant_category"].unique().drop_nulls().to_list()
    frame = frame.with_columns(
        mode=pl.col("game_variant_category")
        .replace_strict(
            {code: mode_label(code) for code in codes}, default=None, return_dtype=pl.String
        )
        .fill_null(mode_label(None))
    )
    return frame.sort(["start_time", "match_id"], nulls_last=False)


def apply_scope(matches: pl.DataFrame, scope: Scope) -> pl.DataFrame:
    """The matches the scope keeps, oldest first."""
    frame = matches
    if scope.categories:
        frame = frame.filter(pl.col("game_variant_category").is_in(list(scope.categories)))
    if scope.since is not None:
        since = dt.datetime.combine(scope.since, dt.time())
        frame = frame.filter(pl.col("start_time") >= since)
    if scope.last is not None:
        frame = frame.tail(scope.last)
    return frame


# --- figures --------------------------------------------------------------------------------


def breakdown(matches: pl.DataFrame, key: str, label: str) -> list[dict[str, Any]]:
    """Sum-based accuracy per (kind, key), kinds apart, most played first."""
    if matches.is_empty():
        return []
    grouped = (
        matches.group_by(["kind", key], maintain_order=True)
        .agg(
            name=pl.col(label).first(),
            matches=pl.len(),
            shots_unknown=(~pl.col("has_shots")).sum(),
            zero_shot_matches=(pl.col("shots_fired") == 0).sum(),
            shots_fired=pl.col("shots_fired").sum(),
            shots_hit=pl.col("shots_hit").sum(),
        )
        .with_columns(
            accuracy=_accuracy_expr(),
            kind_order=pl.col("kind").replace_strict(_KIND_ORDER, return_dtype=pl.Int32),
        )
        .sort(["kind_order", "matches", "name"], descending=[False, True, False])
    )
    rows = []
    for row in grouped.iter_rows(named=True):
        rows.append(
            {
                "kind": row["kind"],
                "kind_label": KINDS[row["kind"]],
                "id": row[key],
                "name": row["name"],
                "matches": row["matches"],
                "matches_with_shots": row["matches"] - row["shots_unknown"],
                "shots_unknown": row["shots_unknown"],
                "zero_shot_matches": row["zero_shot_matches"],
                "shots_fired": int(row["shots_fired"] or 0),
                "shots_hit": int(row["shots_hit"] or 0),
                "accuracy": row["accuracy"],
            }
        )
    return rows


def trend(matches: pl.DataFrame, windows: Sequence[int] = TREND_WINDOWS) -> dict[str, Any]:
    """The newest N matches with known shots against the whole scope ("career").

    Windows count matches with known shots, so a stretch of not-yet-backfilled
    matches does not empty the window. `delta` is in percentage points.
    """
    known = matches.filter(pl.col("has_shots"))
    career = _shot_totals(known)
    result: dict[str, Any] = {}
    for window in windows:
        figures = _shot_totals(known.tail(window))
        figures["window"] = window
        figures["delta"] = (
            figures["accuracy"] - career["accuracy"]
            if figures["accuracy"] is not None and career["accuracy"] is not None
            else None
        )
        result[f"last_{window}"] = figures
    result["career"] = career
    return result


def _match_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "match_id": row["match_id"],
        "start_time": _iso(row["start_time"]),
        "kind": row["kind"],
        "mode": row["mode"],
        "map": row["map_label"],
        "playlist": row["playlist_label"],
        "shots_fired": row["shots_fired"],
        "shots_hit": row["shots_hit"],
        "accuracy": row["accuracy"],
    }


def best_and_worst(
    matches: pl.DataFrame, min_shots: int, count: int = TOP_MATCHES
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Highest and lowest accuracy among matches with at least `min_shots` fired.

    The threshold keeps a 1-for-1 match (100%) from topping the list. Ties go to
    the newer match.
    """
    eligible = matches.filter(
        pl.col("has_shots") & (pl.col("shots_fired") >= max(min_shots, 1))
    ).with_columns(ts=pl.col("start_time").fill_null(dt.datetime.min))
    best = eligible.sort(["accuracy", "ts"], descending=[True, True]).head(count)
    worst = eligible.sort(["accuracy", "ts"], descending=[False, True]).head(count)
    return (
        [_match_row(row) for row in best.iter_rows(named=True)],
        [_match_row(row) for row in worst.iter_rows(named=True)],
    )


def _role_frame(
    matches: pl.DataFrame, participants: pl.DataFrame, owner: str | None
) -> pl.DataFrame:
    """Other players' rows in the given matches, with role teammate / opponent / lobby.

    `teams_enabled` NULL (an old database) is read as "teams" when both team ids
    are known, since FFA matches are the ones the API marks explicitly.
    """
    owner_rows = matches.select(
        "match_id",
        "kind",
        owner_team=pl.col("team_id"),
        teams=pl.col("teams_enabled"),
    )
    others = participants.join(owner_rows, on="match_id", how="inner")
    if owner is not None:
        others = others.filter(pl.col("xuid") != owner)
    team_mode = (
        pl.col("teams").fill_null(True)
        & pl.col("owner_team").is_not_null()
        & pl.col("team_id").is_not_null()
    )
    return others.with_columns(
        role=pl.when(team_mode & (pl.col("team_id") == pl.col("owner_team")))
        .then(pl.lit("teammate"))
        .when(team_mode)
        .then(pl.lit("opponent"))
        .otherwise(pl.lit("lobby")),
        has_shots=pl.col("shots_fired").is_not_null() & pl.col("shots_hit").is_not_null(),
    )


def _group_figures(rows: pl.DataFrame) -> dict[str, Any]:
    known = rows.filter(pl.col("has_shots"))
    fired = int(known["shots_fired"].sum() or 0)
    hit = int(known["shots_hit"].sum() or 0)
    return {
        "rows": rows.height,
        "players": rows["xuid"].n_unique(),
        "bots": rows.filter(pl.col("is_bot").fill_null(False))["xuid"].n_unique(),
        "shots_unknown": rows.height - known.height,
        "shots_fired": fired,
        "shots_hit": hit,
        "accuracy": percent(hit, fired),
    }


def _lobby_groups(roles: pl.DataFrame, player: dict[str, Any]) -> dict[str, Any]:
    return {
        "player": {
            "matches": player["matches"],
            "shots_fired": player["shots_fired"],
            "shots_hit": player["shots_hit"],
            "accuracy": player["accuracy"],
        },
        "teammates": _group_figures(roles.filter(pl.col("role") == "teammate")),
        "opponents": _group_figures(roles.filter(pl.col("role") == "opponent")),
        "lobby": _group_figures(roles),
    }


def lobby(matches: pl.DataFrame, participants: pl.DataFrame, owner: str | None) -> dict[str, Any]:
    """The owner against teammates, opponents and the whole lobby, sums over the same matches.

    "The same matches" are those where the owner's own shots are known, so the
    owner's figure and the lobby's cover exactly the same games. Bots count as
    players of the lobby (they are what a custom game is played against); the
    per-kind split keeps bot games apart from matchmade ones.
    """
    known = matches.filter(pl.col("has_shots"))
    roles = _role_frame(known, participants, owner)
    result = _lobby_groups(roles, _shot_totals(known))
    by_kind = []
    for kind in KINDS:
        kind_matches = known.filter(pl.col("kind") == kind)
        if kind_matches.is_empty():
            continue
        groups = _lobby_groups(roles.filter(pl.col("kind") == kind), _shot_totals(kind_matches))
        by_kind.append({"kind": kind, "kind_label": KINDS[kind], **groups})
    result["by_kind"] = by_kind
    return result


def frequent_players(
    matches: pl.DataFrame,
    participants: pl.DataFrame,
    names: pl.DataFrame,
    owner: str | None,
    count: int = TOP_PLAYERS,
) -> list[dict[str, Any]]:
    """The humans met most often in the scope, with their own sum-based accuracy.

    Matches are counted whether or not shots are known; accuracy uses the rows
    where the player's shots are known. The gamertag is the name cache's (the
    current name) when present, else the newest one seen in a match.
    """
    roles = _role_frame(matches, participants, owner).filter(~pl.col("is_bot").fill_null(False))
    if roles.is_empty():
        return []
    order = matches.select("match_id", seq=pl.int_range(pl.len()))
    roles = roles.join(order, on="match_id", how="left")
    known = pl.col("has_shots")
    grouped = (
        roles.group_by("xuid")
        .agg(
            matches=pl.col("match_id").n_unique(),
            as_teammate=(pl.col("role") == "teammate").sum(),
            as_opponent=(pl.col("role") == "opponent").sum(),
            shots_fired=pl.col("shots_fired").filter(known).sum(),
            shots_hit=pl.col("shots_hit").filter(known).sum(),
            seen_gamertag=pl.col("gamertag").sort_by("seq").drop_nulls().last(),
        )
        .sort(["matches", "xuid"], descending=[True, False])
        .head(count)
        .join(names.unique(subset="xuid", keep="first"), on="xuid", how="left")
        .with_columns(accuracy=_accuracy_expr())
    )
    return [
        {
            "xuid": row["xuid"],
            "gamertag": row["gamertag"] or row["seen_gamertag"],
            "matches": row["matches"],
            "as_teammate": row["as_teammate"],
            "as_opponent": row["as_opponent"],
            "shots_fired": int(row["shots_fired"] or 0),
            "shots_hit": int(row["shots_hit"] or 0),
            "accuracy": row["accuracy"],
        }
        for row in grouped.iter_rows(named=True)
    ]


def with_rolling(matches: pl.DataFrame, window: int = ROLLING_WINDOW) -> pl.DataFrame:
    """Matches with known shots, oldest first, with the sum-based rolling accuracy.

    The rolling value at a match covers it and the `window - 1` known matches
    before it (fewer at the start).
    """
    known = matches.filter(pl.col("has_shots"))
    return known.with_columns(
        rolling_fired=pl.col("shots_fired").rolling_sum(window, min_samples=1),
        rolling_hit=pl.col("shots_hit").rolling_sum(window, min_samples=1),
    ).with_columns(rolling_accuracy=_accuracy_expr("rolling_hit", "rolling_fired"))


def _kind_rows(matches: pl.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for kind, label in KINDS.items():
        subset = matches.filter(pl.col("kind") == kind)
        if subset.is_empty():
            continue
        totals = _shot_totals(subset)
        rows.append(
            {
                "kind": kind,
                "kind_label": label,
                "matches": subset.height,
                "matches_with_shots": totals["matches"],
                "shots_unknown": subset.height - totals["matches"],
                "shots_fired": totals["shots_fired"],
                "shots_hit": totals["shots_hit"],
                "accuracy": totals["accuracy"],
            }
        )
    return rows


def build_report(
    frames: ReportFrames, scope: Scope, *, player: dict[str, Any] | None = None
) -> AccuracyReport:
    """Every figure of the report for the matches in scope.

    Args:
        frames: what was loaded from the database.
        scope: which matches to cover.
        player: who the report is about ({"gamertag", "xuid"}), echoed in the summary.
    """
    owner = frames.owner_xuid or infer_owner_xuid(frames.stats, frames.participants)
    matches = apply_scope(prepare_matches(frames), scope)
    totals = _shot_totals(matches)
    best, worst = best_and_worst(matches, scope.min_shots)
    null_counts = matches.filter(~pl.col("has_shots"))["null_reason"].value_counts()
    null_shots = {"not_backfilled": 0, "not_provided": 0}
    for reason, n in null_counts.iter_rows():
        null_shots[reason] = int(n)
    starts = matches["start_time"].drop_nulls()
    summary: dict[str, Any] = {
        "player": {**(player or {}), "xuid": (player or {}).get("xuid") or owner},
        "scope": {
            **scope.describe(),
            "first_match": _iso(starts.min()) if len(starts) else None,  # type: ignore[arg-type]
            "last_match": _iso(starts.max()) if len(starts) else None,  # type: ignore[arg-type]
        },
        "matches": matches.height,
        "matches_with_shots": totals["matches"],
        "zero_shot_matches": matches.filter(pl.col("shots_fired") == 0).height,
        "shots_fired": totals["shots_fired"],
        "shots_hit": totals["shots_hit"],
        "overall_accuracy": totals["accuracy"],
        "null_shots": null_shots,
        "by_kind": _kind_rows(matches),
        "by_mode": breakdown(matches, "game_variant_category", "mode"),
        "by_map": breakdown(matches, "map_id", "map_label"),
        "by_playlist": breakdown(matches, "playlist_id", "playlist_label"),
        "trend": trend(matches),
        "best": best,
        "worst": worst,
        "lobby": lobby(matches, frames.participants, owner),
        "frequent_players": frequent_players(matches, frames.participants, frames.names, owner),
        "missing_columns": list(frames.missing),
    }
    return AccuracyReport(summary=summary, per_match=with_rolling(matches))

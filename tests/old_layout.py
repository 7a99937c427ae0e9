"""A database in the layout of the plan's original codebase, before shots were stored."""

from __future__ import annotations

from pathlib import Path

import duckdb
import orjson

from levelup.extract.match import extract_match, parse_match_json


def make_old_database(
    path: Path, match_bodies: list[bytes], owner_xuid: str, *, with_keys: bool = True
) -> None:
    """match_stats with a subset of today's columns (accuracy as FLOAT, a column of
    its own, shots all NULL) and match_participants with ten columns; no raw JSON,
    no LevelUp metadata (so no owner xuid stored)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(path))
    pk = "PRIMARY KEY" if with_keys else ""
    conn.execute(
        f"CREATE TABLE match_stats (match_id VARCHAR {pk}, start_time TIMESTAMP, "
        "playlist_id VARCHAR, map_id VARCHAR, outcome INTEGER, kills INTEGER, deaths INTEGER, "
        "assists INTEGER, kda DOUBLE, accuracy FLOAT, shots_fired INTEGER, shots_hit INTEGER, "
        "my_note VARCHAR)"
    )
    pkey = ", PRIMARY KEY (match_id, xuid)" if with_keys else ""
    conn.execute(
        "CREATE TABLE match_participants (match_id VARCHAR, xuid VARCHAR, team_id INTEGER, "
        "outcome INTEGER, gamertag VARCHAR, rank INTEGER, score INTEGER, kills INTEGER, "
        f"deaths INTEGER, assists INTEGER{pkey})"
    )
    for body in match_bodies:
        extracted = extract_match(parse_match_json(body), owner_xuid)
        s = extracted.stats
        assert s is not None
        conn.execute(
            "INSERT INTO match_stats VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?)",
            [s.match_id, s.start_time, s.playlist_id, s.map_id, s.outcome, s.kills, s.deaths,
             s.assists, s.kda, s.accuracy, f"note {s.match_id[:4]}"],
        )  # fmt: skip
        for p in extracted.participants:
            conn.execute(
                "INSERT INTO match_participants VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [p.match_id, p.xuid, p.team_id, p.outcome, f"GT{p.xuid[-4:]}", p.rank, p.score,
                 p.kills, p.deaths, p.assists],
            )  # fmt: skip
    conn.close()


def body_ids(bodies: list[bytes]) -> list[str]:
    return [orjson.loads(b)["MatchId"] for b in bodies]

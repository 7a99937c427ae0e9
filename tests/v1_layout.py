"""A player database exactly as LevelUp schema version 1 made it (raw bodies in `match_json`).

The statements are the tables of schema version 1, written out so the test does
not depend on today's declarations.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import orjson

from levelup.extract.match import extract_match, parse_match_json

V1_TABLES = (
    "CREATE TABLE match_stats (match_id VARCHAR, start_time TIMESTAMP, end_time TIMESTAMP, duration_seconds DOUBLE, time_played_seconds DOUBLE, lifecycle_mode INTEGER, game_variant_category INTEGER, gameplay_interaction INTEGER, playlist_id VARCHAR, playlist_version_id VARCHAR, map_id VARCHAR, map_version_id VARCHAR, game_variant_id VARCHAR, game_variant_version_id VARCHAR, pair_id VARCHAR, pair_version_id VARCHAR, season_id VARCHAR, teams_enabled BOOLEAN, player_count INTEGER, team_id INTEGER, outcome INTEGER, rank INTEGER, left_early BOOLEAN, score INTEGER, personal_score INTEGER, kills INTEGER, deaths INTEGER, assists INTEGER, kda DOUBLE, accuracy DOUBLE, shots_fired INTEGER, shots_hit INTEGER, damage_dealt INTEGER, damage_taken INTEGER, headshot_kills INTEGER, melee_kills INTEGER, grenade_kills INTEGER, power_weapon_kills INTEGER, max_killing_spree INTEGER, avg_life_seconds DOUBLE, my_team_score INTEGER, enemy_team_score INTEGER, created_at TIMESTAMP, updated_at TIMESTAMP, PRIMARY KEY (match_id))",
    "CREATE TABLE match_participants (match_id VARCHAR, xuid VARCHAR, is_bot BOOLEAN, gamertag VARCHAR, team_id INTEGER, outcome INTEGER, rank INTEGER, left_early BOOLEAN, score INTEGER, personal_score INTEGER, kills INTEGER, deaths INTEGER, assists INTEGER, kda DOUBLE, accuracy DOUBLE, shots_fired INTEGER, shots_hit INTEGER, damage_dealt INTEGER, damage_taken INTEGER, headshot_kills INTEGER, time_played_seconds DOUBLE, created_at TIMESTAMP, updated_at TIMESTAMP, PRIMARY KEY (match_id, xuid))",
    "CREATE TABLE match_json (match_id VARCHAR, body VARCHAR, fetched_at TIMESTAMP, PRIMARY KEY (match_id))",
    "CREATE TABLE levelup_meta (key VARCHAR, value VARCHAR, PRIMARY KEY (key))",
    "CREATE TABLE sync_state (match_type VARCHAR, walk_complete BOOLEAN, walk_started_at TIMESTAMP, walk_finished_at TIMESTAMP, PRIMARY KEY (match_type))",
    "CREATE TABLE failed_matches (match_id VARCHAR, reason VARCHAR, attempts INTEGER, first_failed_at TIMESTAMP, last_failed_at TIMESTAMP, PRIMARY KEY (match_id))",
    "CREATE TABLE sync_runs (run_id VARCHAR, command VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR, matches_seen INTEGER, matches_new INTEGER, matches_written INTEGER, matches_failed INTEGER, details VARCHAR, PRIMARY KEY (run_id))",
    "CREATE TABLE backfill_log (match_id VARCHAR, option VARCHAR, ran_at TIMESTAMP, extraction_version INTEGER, had_value BOOLEAN, PRIMARY KEY (match_id, option))",
    "CREATE TABLE player_names (xuid VARCHAR, gamertag VARCHAR, fetched_at TIMESTAMP, PRIMARY KEY (xuid))",
    "CREATE TABLE asset_names (asset_type VARCHAR, asset_id VARCHAR, version_id VARCHAR, public_name VARCHAR, fetched_at TIMESTAMP, PRIMARY KEY (asset_type, asset_id, version_id))",
)  # fmt: skip


def make_v1_database(path: Path, bodies: list[bytes], owner_xuid: str) -> dict[str, str]:
    """A version-1 database holding `bodies` (stored compact, as v1 did); returns id -> body."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(path))
    stored: dict[str, str] = {}
    try:
        for statement in V1_TABLES:
            conn.execute(statement)
        conn.execute("INSERT INTO levelup_meta VALUES ('schema_version', '1'), ('owner_xuid', ?)",
                     [owner_xuid])  # fmt: skip
        for raw in bodies:
            doc = parse_match_json(raw)
            match = extract_match(doc, owner_xuid)
            assert match.stats is not None
            stats = [getattr(match.stats, f) for f in match.stats.__slots__]
            conn.execute(
                f"INSERT INTO match_stats VALUES ({', '.join('?' * len(stats))}, now(), now())",
                stats,
            )
            for row in match.participants:
                values = [getattr(row, f) for f in row.__slots__]
                conn.execute(
                    f"INSERT INTO match_participants VALUES ({', '.join('?' * len(values))}, now(), now())",
                    values,
                )
            body = orjson.dumps(doc).decode()
            conn.execute("INSERT INTO match_json VALUES (?, ?, now())", [match.match_id, body])
            stored[match.match_id] = body
    finally:
        conn.close()
    return stored

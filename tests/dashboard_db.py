"""A small player database written by hand (CREATE TABLE + INSERT), for the dashboard tests.

Every table is created with the table and column names of the registry
contract (issues 10 and 11), with values small enough to work out each
figure by hand; the expected values are in the comments and in
tests/test_report_dashboard.py. `tables` builds only some of the tables (an
older database), `empty` creates some without rows (not yet backfilled).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import duckdb

from levelup.store.database import player_db_path

OWNER = "1000"
OWNER_GT = "Hand Player"
MATE, OPP, OPP2 = "2001", "3001", "3002"

SCHEMAS = {
    "levelup_meta": "key VARCHAR PRIMARY KEY, value VARCHAR",
    "match_stats": "match_id VARCHAR PRIMARY KEY, start_time TIMESTAMP, end_time TIMESTAMP, "
    "duration_seconds DOUBLE, time_played_seconds DOUBLE, lifecycle_mode INTEGER, "
    "game_variant_category INTEGER, gameplay_interaction INTEGER, playlist_id VARCHAR, "
    "map_id VARCHAR, teams_enabled BOOLEAN, team_id INTEGER, outcome INTEGER, rank INTEGER, "
    "score INTEGER, personal_score INTEGER, kills INTEGER, deaths INTEGER, assists INTEGER, "
    "shots_fired INTEGER, shots_hit INTEGER, damage_dealt INTEGER, damage_taken INTEGER, "
    "headshot_kills INTEGER, my_team_score INTEGER, enemy_team_score INTEGER",
    "match_participants": "match_id VARCHAR, xuid VARCHAR, is_bot BOOLEAN, gamertag VARCHAR, "
    "team_id INTEGER, outcome INTEGER, rank INTEGER, score INTEGER, personal_score INTEGER, "
    "kills INTEGER, deaths INTEGER, assists INTEGER, shots_fired INTEGER, shots_hit INTEGER, "
    "damage_dealt INTEGER, damage_taken INTEGER, time_played_seconds DOUBLE",
    "player_names": "xuid VARCHAR, gamertag VARCHAR, fetched_at TIMESTAMP",
    "backfill_log": "match_id VARCHAR, option VARCHAR, ran_at TIMESTAMP, "
    "extraction_version INTEGER, had_value BOOLEAN",
    "asset_names": "asset_type VARCHAR, asset_id VARCHAR, version_id VARCHAR, "
    "public_name VARCHAR, fetched_at TIMESTAMP",
    "match_medals": "match_id VARCHAR, xuid VARCHAR, medal_id BIGINT, count INTEGER, "
    "total_personal_score INTEGER",
    "medal_names": "medal_id BIGINT, name VARCHAR, description VARCHAR, type VARCHAR, "
    "difficulty VARCHAR, sorting_weight INTEGER, personal_score INTEGER",
    "match_mode_stats": "match_id VARCHAR, xuid VARCHAR, mode VARCHAR, stat VARCHAR, value DOUBLE",
    "match_team_mode_stats": "match_id VARCHAR, team_id INTEGER, mode VARCHAR, stat VARCHAR, "
    "value DOUBLE",
    "match_teams": "match_id VARCHAR, team_id INTEGER, outcome INTEGER, rank INTEGER, "
    "score INTEGER, personal_score INTEGER, kills INTEGER, deaths INTEGER, assists INTEGER, "
    "shots_fired INTEGER, shots_hit INTEGER, damage_dealt INTEGER, damage_taken INTEGER, "
    "accuracy DOUBLE",
    "match_skill": "match_id VARCHAR, xuid VARCHAR, result_code INTEGER, team_id INTEGER, "
    "team_mmr DOUBLE, pre_csr INTEGER, post_csr INTEGER, csr_change INTEGER, pre_tier VARCHAR, "
    "pre_sub_tier INTEGER, post_tier VARCHAR, post_sub_tier INTEGER, tier_start INTEGER, "
    "next_tier VARCHAR, next_tier_start INTEGER, matches_remaining INTEGER, "
    "initial_measurement_matches INTEGER, expected_kills DOUBLE, kills_stddev DOUBLE, "
    "expected_deaths DOUBLE, deaths_stddev DOUBLE",
    "match_team_skill": "match_id VARCHAR, team_id INTEGER, mmr DOUBLE",
    "csr_snapshots": "xuid VARCHAR, playlist_id VARCHAR, fetched_at TIMESTAMP, "
    "current_csr INTEGER, current_tier VARCHAR, current_sub_tier INTEGER, "
    "current_matches_remaining INTEGER, season_max_csr INTEGER, season_max_tier VARCHAR, "
    "season_max_sub_tier INTEGER, all_time_max_csr INTEGER, all_time_max_tier VARCHAR, "
    "all_time_max_sub_tier INTEGER",
}
BASE_TABLES = ("levelup_meta", "match_stats", "match_participants", "player_names", "asset_names",
               "backfill_log")  # fmt: skip

# Six matchmade matches, Monday 4 to Saturday 9 March 2024 (UTC):
#   h1 Mon 20:00-20:10 Slayer  map-a pl-r  win   10/5/3   100/50   dmg 2000/1000 hs 4  600 s
#   h2 Mon 20:20-20:32 CTF     map-b pl-r  loss   6/8/2    80/36   dmg 1500/1800 hs 2  720 s
#   h3 Mon 20:40-20:50 Slayer  map-a pl-r  win   12/6/4   120/60   dmg 2400/1200 hs 6  600 s
#   h4 Wed 18:00-18:10 Oddball map-b pl-q  tie    8/8/1    90/40   dmg 1600/1600 hs 3  600 s
#   h5 Wed 18:25-18:30 Slayer  map-a pl-r  dnf    2/4/0    30/10   dmg  400/900  hs 0  300 s
#   h6 Sat 23:30-23:40 Slayer  map-a pl-r2 loss   nothing known (NULL kills, shots, damage, time)
# Sessions (< 30 min apart): h1-h3, h4-h5, h6.
MATCHES = [
    # id, start, end, category, map, playlist, outcome, k, d, a, fired, hit, dealt, taken, hs,
    # time played, my team score, enemy team score
    ("h1", "2024-03-04 20:00", "2024-03-04 20:10", 6, "map-a", "pl-r", 2, 10, 5, 3, 100, 50, 2000, 1000, 4, 600, 50, 40),
    ("h2", "2024-03-04 20:20", "2024-03-04 20:32", 15, "map-b", "pl-r", 3, 6, 8, 2, 80, 36, 1500, 1800, 2, 720, 1, 3),
    ("h3", "2024-03-04 20:40", "2024-03-04 20:50", 6, "map-a", "pl-r", 2, 12, 6, 4, 120, 60, 2400, 1200, 6, 600, 50, 45),
    ("h4", "2024-03-06 18:00", "2024-03-06 18:10", 18, "map-b", "pl-q", 1, 8, 8, 1, 90, 40, 1600, 1600, 3, 600, 100, 100),
    ("h5", "2024-03-06 18:25", "2024-03-06 18:30", 6, "map-a", "pl-r", 4, 2, 4, 0, 30, 10, 400, 900, 0, 300, 30, 50),
    ("h6", "2024-03-09 23:30", "2024-03-09 23:40", 6, "map-a", "pl-r2", 3, None, None, None, None, None, None, None, None, None, 20, 50),
]  # fmt: skip

# Other players: (match, xuid, team, kills, deaths). The mate is on team 0 with the owner.
OTHERS = [
    ("h1", MATE, 0, 8, 4), ("h2", MATE, 0, 5, 5), ("h3", MATE, 0, 7, 7), ("h4", MATE, 0, 6, 6),
    ("h5", MATE, 0, 3, 3), ("h6", MATE, 0, None, None),
    ("h1", OPP, 1, 5, 10), ("h2", OPP, 1, 8, 6), ("h3", OPP, 1, 6, 12), ("h4", OPP, 1, 8, 8),
    ("h5", OPP, 1, 4, 2), ("h6", OPP, 1, 9, 3),
    ("h1", OPP2, 1, 4, 6), ("h2", OPP2, 1, 5, 4), ("h3", OPP2, 1, 3, 6),
]  # fmt: skip
OPPOSITE = {2: 3, 3: 2, 1: 1, 4: 3}

# The owner's skill rows: pre, post, change, post tier, sub-tier, remaining, exp. kills, deaths, MMR.
SKILL = [
    ("h1", 1480, 1492, 12, "Diamond", 5, 0, 9.0, 6.0, 1500.0),
    ("h2", 1492, 1480, -12, "Diamond", 5, 0, 7.0, 7.0, 1490.0),
    ("h3", 1480, 1505, 25, "Onyx", 0, 0, 10.0, 7.5, 1510.0),
    ("h5", 1505, 1490, -15, "Diamond", 5, 0, 5.0, 5.0, 1480.0),
    ("h6", None, None, None, None, None, 4, None, None, 1400.0),
]
# Other players' CSR after a match: the toughest opponent is 3001 (1620).
OTHER_SKILL = [("h1", OPP, 1590, 1600), ("h3", OPP, 1600, 1620), ("h2", OPP2, 1390, 1400),
               ("h1", MATE, 1540, 1550)]  # fmt: skip
TEAM_SKILL = [("h1", 0, 1500.0), ("h1", 1, 1450.0), ("h2", 0, 1490.0), ("h2", 1, 1520.0),
              ("h3", 0, 1510.0), ("h3", 1, 1500.0), ("h5", 0, 1480.0), ("h5", 1, 1470.0)]  # fmt: skip

MEDAL_NAMES = [
    (100, "Double Kill", "multikill", "normal", 100),
    (200, "Perfect", "skill", "heroic", 300),
    (300, "Extermination", "skill", "legendary", 500),
    (400, "Ninja", "style", "heroic", 200),
]
# The owner's medals (999 has no metadata); h5 is covered by the mate's medal only, h6 by none.
OWNER_MEDALS = [("h1", 100, 2), ("h1", 200, 1), ("h2", 100, 1), ("h3", 100, 3), ("h3", 300, 1),
                ("h3", 999, 1), ("h4", 400, 1)]  # fmt: skip
OTHER_MEDALS = [("h5", MATE, 100, 1), ("h1", MATE, 100, 1), ("h1", OPP, 200, 2)]

MODE_STATS = [
    ("h1", OWNER, "Pvp", "Kills", 10.0),
    ("h2", OWNER, "Pvp", "Kills", 6.0),
    ("h2", OWNER, "CaptureTheFlag", "FlagCaptures", 1.0),
    ("h2", OWNER, "CaptureTheFlag", "FlagReturns", 1.0),
    ("h2", OWNER, "CaptureTheFlag", "TimeAsFlagCarrier", 45.0),
    ("h3", OWNER, "Pvp", "Kills", 12.0),
    ("h4", OWNER, "Oddball", "TimeAsSkullCarrier", 90.0),
    ("h4", OWNER, "Oddball", "SkullGrabs", 3.0),
]
TEAM_MODE_STATS = [("h2", 0, "CaptureTheFlag", "FlagCaptures", 1.0),
                   ("h2", 1, "CaptureTheFlag", "FlagCaptures", 3.0)]  # fmt: skip
TEAMS = [("h1", 0, 2, 1, 50), ("h1", 1, 3, 2, 40), ("h2", 0, 3, 2, 1), ("h2", 1, 2, 1, 3)]
CSR = [
    (OWNER, "pl-r", "2024-03-05 09:00", 1480, "Diamond", 5, 0, 1492, "Diamond", 5, 1620, "Onyx", 0),
    (OWNER, "pl-r", "2024-03-10 09:00", 1490, "Diamond", 5, 0, 1505, "Onyx", 0, 1620, "Onyx", 0),
    (OWNER, "pl-r2", "2024-03-10 09:00", -1, "", 0, 4, -1, "", 0, -1, "", 0),
    ("9999", "pl-r", "2024-03-10 09:00", 1700, "Onyx", 0, 0, 1700, "Onyx", 0, 1700, "Onyx", 0),
]  # fmt: skip


def _rows(conn: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    if rows:
        marks = ", ".join("?" for _ in rows[0])
        conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)


def build_dashboard_db(
    data_dir: Path, tables: Collection[str] | None = None, empty: Collection[str] = ()
) -> Path:
    """The hand-written database under `data_dir` (every table, unless `tables` says which)."""
    path = player_db_path(data_dir, OWNER_GT)
    path.parent.mkdir(parents=True, exist_ok=True)
    wanted = set(SCHEMAS) if tables is None else set(BASE_TABLES) | set(tables)
    conn = duckdb.connect(str(path))
    try:
        for name, columns in SCHEMAS.items():
            if name in wanted:
                conn.execute(f"CREATE TABLE {name} ({columns})")
        fill = wanted - set(empty)
        _rows(conn, "levelup_meta", [("owner_xuid", OWNER), ("owner_gamertag", OWNER_GT)])
        stats, participants = [], []
        for m in MATCHES:
            (mid, start, end, cat, map_id, playlist, outcome, k, d, a, fired, hit, dealt, taken,
             hs, played, mine, theirs) = m  # fmt: skip
            duration = 600.0
            stats.append((mid, start, end, duration, played, 3, cat, 1, playlist, map_id, True, 0,
                          outcome, 1, k, None, k, d, a, fired, hit, dealt, taken, hs, mine,
                          theirs))  # fmt: skip
            participants.append((mid, OWNER, False, None, 0, outcome, 1, k, None, k, d, a, fired,
                                 hit, dealt, taken, played))  # fmt: skip
        for mid, xuid, team, k, d in OTHERS:
            outcome = next(m[6] for m in MATCHES if m[0] == mid)
            outcome = outcome if team == 0 else OPPOSITE[outcome]
            seen = "Seen Three Two" if xuid == OPP2 else None
            participants.append((mid, xuid, False, seen, team, outcome, 2, k, None, k, d, 1, 50,
                                 20, 1000, 1000, 600.0))  # fmt: skip
        _rows(conn, "match_stats", stats)
        _rows(conn, "match_participants", participants)
        _rows(
            conn,
            "player_names",
            [(MATE, "Mate Two", "2024-03-10"), (OPP, "Opp Three", "2024-03-10")],
        )
        _rows(
            conn,
            "asset_names",
            [("maps", "map-a", "v1", "Aquarius", "2024-03-10"),
             ("maps", "map-b", "v1", "Bazaar", "2024-03-10"),
             ("playlists", "pl-r", "v1", "Ranked Arena", "2024-03-10"),
             ("playlists", "pl-r2", "v1", "Ranked Doubles", "2024-03-10"),
             ("playlists", "pl-q", "v1", "Quick Play", "2024-03-10")],
        )  # fmt: skip
        if "match_medals" in fill:
            _rows(conn, "match_medals", [(mid, OWNER, medal, n, 0) for mid, medal, n in OWNER_MEDALS]
                  + [(mid, x, medal, n, 0) for mid, x, medal, n in OTHER_MEDALS])  # fmt: skip
        if "medal_names" in fill:
            _rows(
                conn,
                "medal_names",
                [(i, n, f"{n}!", t, dif, w, 50) for i, n, t, dif, w in MEDAL_NAMES],
            )
        if "match_mode_stats" in fill:
            _rows(conn, "match_mode_stats", MODE_STATS)
        if "match_team_mode_stats" in fill:
            _rows(conn, "match_team_mode_stats", TEAM_MODE_STATS)
        if "match_teams" in fill:
            _rows(conn, "match_teams", [(mid, t, o, r, s, None, None, None, None, None, None, None,
                                         None, None) for mid, t, o, r, s in TEAMS])  # fmt: skip
        if "match_skill" in fill:
            own = [(mid, OWNER, 0, 0, mmr, pre, post, change, "Diamond" if pre else None, 5 if pre else None,
                    tier, sub, None, None, None, left, 10, ek, 2.0, ed, 2.0)
                   for mid, pre, post, change, tier, sub, left, ek, ed, mmr in SKILL]  # fmt: skip
            others = [(mid, x, 0, 0 if x == MATE else 1, None, pre, post, post - pre, "Onyx", 0, "Onyx", 0, None, None,
                       None, 0, 10, None, None, None, None) for mid, x, pre, post in OTHER_SKILL]  # fmt: skip
            _rows(conn, "match_skill", own + others)
        if "match_team_skill" in fill:
            _rows(conn, "match_team_skill", TEAM_SKILL)
        if "csr_snapshots" in fill:
            _rows(conn, "csr_snapshots", CSR)
    finally:
        conn.close()
    return path

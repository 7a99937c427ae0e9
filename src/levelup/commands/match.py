"""`levelup match MATCH_ID`: one match's full scoreboard, from the stored data.

Every player by team with K/D/A, shots, accuracy, damage, medals and CSR
change, the teams' scores and objective stats: the same scoreboard the
report's page links to. The id may be shortened to any unique prefix (the
report's match table prints the first 8 characters). Without `--player`,
every stored player's database is searched. Read-only, like the report.
"""

from __future__ import annotations

import argparse
from typing import Any

from levelup.analysis.load import load_frames, load_scoreboards, match_ids_starting
from levelup.analysis.scope import prepare_matches
from levelup.analysis.scoreboard import build_scoreboards, views
from levelup.commands.common import add_command, add_data_dir, print_json
from levelup.commands.report import console_for, find_database, reading
from levelup.errors import ConfigError, DatabaseBusyError
from levelup.store.database import PlayerDatabase, list_player_dbs, resolve_data_dir
from levelup.store.schema import get_meta


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "match", __doc__)
    parser.add_argument("match_id", metavar="MATCH_ID", help="match id, or a unique prefix of it")
    parser.add_argument(
        "--player", metavar="GT", help="the player's database (default: search all)"
    )
    add_data_dir(parser)
    parser.add_argument(
        "--json", action="store_true", help="print the scoreboard as one JSON object on stdout"
    )
    parser.set_defaults(func=run)


def _candidates(database: PlayerDatabase, prefix: str) -> list[str]:
    with reading(database) as conn:
        return match_ids_starting(conn, prefix)


def _locate(args: argparse.Namespace, prefix: str) -> tuple[PlayerDatabase, str]:
    """The database holding the match, and its full id; a clear error when there is none."""
    data_dir = resolve_data_dir(args.data_dir)
    databases = [find_database(data_dir, args.player)] if args.player else list_player_dbs(data_dir)
    if not databases:
        raise ConfigError(f"no player database under {data_dir / 'players'} (run `levelup sync`)")
    found: dict[str, PlayerDatabase] = {}
    busy: list[str] = []
    for database in databases:
        try:
            candidates = _candidates(database, prefix)
        except DatabaseBusyError:
            if args.player:
                raise
            busy.append(str(database.path))  # a sync is writing it: search the others
            continue
        for match_id in candidates:
            found.setdefault(match_id, database)
    where = f"{args.player}'s matches" if args.player else "any stored player's matches"
    if not found:
        unread = f" ({', '.join(busy)}: in use by a sync, not searched)" if busy else ""
        raise ConfigError(f"no match {prefix!r} in {where}{unread}")
    exact = {k: v for k, v in found.items() if k.lower() == prefix.lower()}
    found = exact or found
    if len(found) > 1:
        listed = ", ".join(sorted(found)[:5]) + (", ..." if len(found) > 5 else "")
        raise ConfigError(f"{prefix!r} starts several stored match ids ({listed}): give more of it")
    ((match_id, database),) = found.items()
    return database, match_id


def scoreboard(database: PlayerDatabase, match_id: str) -> dict[str, Any]:
    with reading(database) as conn:
        frames = load_frames(conn, database.xuid, match_ids=[match_id])
        boards = load_scoreboards(conn, [match_id])
        gamertag = get_meta(conn, "owner_gamertag") or database.gamertag
    board = build_scoreboards(frames, boards, prepare_matches(frames), [match_id])[match_id]
    board["player"] = {"gamertag": gamertag, "xuid": frames.owner_xuid}
    return board


def run(args: argparse.Namespace) -> int:
    prefix = args.match_id.strip()
    if not prefix:
        raise ConfigError("give a match id (or the start of one)")
    database, match_id = _locate(args, prefix)
    board = scoreboard(database, match_id)
    if args.json:
        print_json({**board, "database": str(database.path)})
        return 0
    from levelup.analysis.terminal import render_views

    render_views(views(board), console_for(to_stderr=False))
    return 0

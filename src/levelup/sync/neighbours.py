"""Matches another tracked player of the data dir already stored: copied, not fetched.

Friends who track each other play most of their matches together, and every
match's stats document holds every player's view. When a sync finds a match it
does not have, and another player's database under the same data dir has its
documents (`match_documents`: stats, and skill when stored), the documents are
copied from there and the match is extracted from them, exactly as if they had
been fetched: the API call is saved.

A neighbour's database is only ever read, and never waited for: each read
attaches it `READ_ONLY` to an in-memory DuckDB for one query and detaches it,
so a sync of that player can open it for writing between two reads; a
database that is busy (a writer holds it) or unreadable (an older layout, a
damaged file) simply has nothing to give, and its matches are fetched as
usual. Reads are set-based: one query per neighbour for its match ids at the
start, one per neighbour and history page for the documents.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from levelup.registry import DOCUMENTS_TABLE, SKILL_DOCUMENT, STATS_DOCUMENT
from levelup.store.database import list_player_dbs
from levelup.warehouse.reading import quote_literal

log = logging.getLogger("levelup.sync")

_ALIAS = "levelup_neighbour"


@dataclass
class Copied:
    """One match's documents copied from a neighbour, by kind."""

    match_id: str
    documents: dict[str, bytes]


@dataclass
class Neighbours:
    """The other players' databases of a data dir, and what was copied from them."""

    paths: list[Path]
    owner: dict[str, Path] = field(default_factory=dict)  # match id -> a database that has it
    busy: set[Path] = field(default_factory=set)
    copied: int = 0  # matches copied
    calls_saved: int = 0  # documents copied: one API call each

    @classmethod
    def of(cls, data_dir: Path, own: Path) -> Neighbours:
        """Every player database under `data_dir` but `own`."""
        mine = own.resolve()
        return cls([db.path for db in list_player_dbs(data_dir) if db.path.resolve() != mine])

    def _read(
        self, conn: duckdb.DuckDBPyConnection, path: Path, sql: str, failure: str, **params: object
    ) -> list[tuple]:
        """The rows of `sql` on the neighbour at `path`, attached as `_ALIAS` for this one
        query; none (logged) when it is busy or the query fails (`failure` says why)."""
        try:
            conn.execute(f"ATTACH {quote_literal(str(path))} AS {_ALIAS} (READ_ONLY)")
        except duckdb.Error as exc:
            log.info("neighbour %s not read (%s): its matches are fetched", path, exc)
            self.busy.add(path)
            return []
        try:
            return conn.execute(sql, params).fetchall()
        except duckdb.Error as exc:
            log.info("neighbour %s %s (%s)", path, failure, exc)
            return []
        finally:
            conn.execute(f"DETACH {_ALIAS}")

    def index(self) -> int:
        """Learn which match ids each neighbour has a stats document for; returns how many."""
        sql = (
            f"SELECT DISTINCT lower(match_id) FROM {_ALIAS}.main.{DOCUMENTS_TABLE} "
            f"WHERE kind = '{STATS_DOCUMENT}'"
        )
        with duckdb.connect(":memory:") as conn:
            for path in self.paths:
                # No documents table: an older layout.
                for (match_id,) in self._read(conn, path, sql, "has no documents to share"):
                    self.owner.setdefault(match_id, path)
        return len(self.owner)

    def has(self, match_id: str) -> bool:
        return match_id in self.owner

    def documents(self, match_ids: Iterable[str]) -> list[Copied]:
        """The stored documents of these matches, read from the neighbours that have
        them (one query each); a match whose neighbour is busy now is left out."""
        wanted: dict[Path, list[str]] = {}
        for match_id in match_ids:
            if match_id in self.owner:
                wanted.setdefault(self.owner[match_id], []).append(match_id)
        sql = (
            f"SELECT lower(match_id), kind, body FROM {_ALIAS}.main.{DOCUMENTS_TABLE} "
            "WHERE lower(match_id) IN (SELECT unnest($ids)) AND kind IN "
            f"('{STATS_DOCUMENT}', '{SKILL_DOCUMENT}')"
        )
        found: dict[str, dict[str, bytes]] = {}
        with duckdb.connect(":memory:") as conn:
            for path, ids in wanted.items():
                for match_id, kind, body in self._read(
                    conn, path, sql, "could not be read", ids=ids
                ):
                    found.setdefault(match_id, {})[kind] = (
                        body.encode() if isinstance(body, str) else bytes(body)
                    )
        copies = [Copied(m, docs) for m, docs in found.items() if STATS_DOCUMENT in docs]
        self.copied += len(copies)
        self.calls_saved += sum(len(c.documents) for c in copies)
        return copies

    def as_dict(self) -> dict[str, object]:
        return {
            "databases": len(self.paths),
            "busy": sorted(str(p) for p in self.busy),
            "matches_copied": self.copied,
            "api_calls_saved": self.calls_saved,
        }

"""Which tables leave the databases, with their columns, types and lineage.

Export and SQL describe every table the same way whatever database they read:
the registry's columns and types, in the registry's order. A database in an
older layout is projected onto them (see `reading.projection`), so the export
of every player reads as one table per name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class TableSpecLike(Protocol):
    """The part of a registry table spec the warehouse reads."""

    name: str
    columns: dict[str, str]
    key: tuple[str, ...]
    description: str
    column_docs: dict[str, str]
    per_match: bool


@dataclass(frozen=True)
class DocumentsSpec:
    """The raw match documents (optional in an export: `--with-documents`)."""

    name: str
    columns: dict[str, str]
    key: tuple[str, ...]
    description: str
    column_docs: dict[str, str]
    per_match: bool = True


@dataclass(frozen=True)
class _InterimSpec:
    name: str
    columns: dict[str, str]
    key: tuple[str, ...]
    description: str
    column_docs: dict[str, str]
    per_match: bool


_BOOKKEEPING = {"levelup_meta", "sync_state", "failed_matches", "sync_runs", "backfill_log"}
_INTERIM_DESCRIPTIONS = {
    "match_stats": "One match from the tracked player's point of view.",
    "match_participants": "One player (bots included) of one match.",
    "player_names": "A player's gamertag from the profile service.",
    "asset_names": "The public name of a map, playlist, game variant or map-mode pair.",
}
DOCUMENTS_TABLE = "match_documents"


def data_tables() -> list[TableSpecLike]:
    """Every stored data table, in dependency order.

    Interim: read from `store.schema.TABLES` until the table registry lands
    (then this returns `levelup.registry.TABLES` without the documents table).
    """
    from levelup.store.schema import TABLES

    specs: list[TableSpecLike] = []
    for name, (columns, key) in TABLES.items():
        if name in _BOOKKEEPING or name == LEGACY_DOCUMENTS_TABLE:
            continue
        kept = {c: t for c, t in columns.items() if c not in ("created_at", "updated_at")}
        specs.append(
            _InterimSpec(
                name=name,
                columns=kept,
                key=key,
                description=_INTERIM_DESCRIPTIONS.get(name, ""),
                column_docs={},
                per_match=key[0] == "match_id",
            )
        )
    return specs


# Older layouts kept the bodies in `match_json` (match_id, body, fetched_at): read
# as documents of kind 'stats' with no recorded source.
LEGACY_DOCUMENTS_TABLE = "match_json"


def documents_table() -> DocumentsSpec:
    """The raw documents table: its registry name and its columns."""
    return DocumentsSpec(
        name=DOCUMENTS_TABLE,
        columns={
            "match_id": "VARCHAR",
            "kind": "VARCHAR",
            "body": "VARCHAR",
            "fetched_at": "TIMESTAMP",
            "source": "VARCHAR",
        },
        key=("match_id", "kind"),
        description="One raw API response body per match and kind, as fetched.",
        column_docs={
            "match_id": "the match the body belongs to",
            "kind": "'stats' (GET /hi/matches/{id}/stats) or 'skill' (the skill service)",
            "body": "the response body, compact JSON (in JSON lines exports: the object itself)",
            "fetched_at": "when LevelUp fetched it (naive UTC)",
            "source": "where it came from ('api' or a recorded directory)",
        },
    )


def table_by_name(name: str) -> TableSpecLike | DocumentsSpec:
    """A data table or the documents table by name.

    Raises:
        KeyError: no such table.
    """
    for spec in data_tables():
        if spec.name == name:
            return spec
    documents = documents_table()
    if name == documents.name:
        return documents
    raise KeyError(name)

"""Which tables leave the databases, with their columns, types and lineage.

Export and SQL describe every table the same way whatever database they read:
the registry's columns and types, in the registry's order. A database in an
older layout is projected onto them (see `reading.read_table`), so the export
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


def data_tables() -> list[TableSpecLike]:
    """Every stored data table, in dependency order (the registry's `TABLES`)."""
    from levelup.registry import TABLES

    return [spec for spec in TABLES if spec.name != documents_table().name]


# Older layouts kept the bodies in `match_json` (match_id, body, fetched_at): read
# as documents of kind 'stats' with no recorded source.
LEGACY_DOCUMENTS_TABLE = "match_json"


def documents_table() -> DocumentsSpec:
    """The raw documents table: its registry name and columns, with their lineage."""
    from levelup.registry import DOCUMENT_COLUMNS, DOCUMENT_KEY, DOCUMENTS_TABLE

    return DocumentsSpec(
        name=DOCUMENTS_TABLE,
        columns=dict(DOCUMENT_COLUMNS),
        key=DOCUMENT_KEY,
        description="One raw API response body per match and kind, as fetched.",
        column_docs={
            "match_id": "the match the body belongs to",
            "kind": "`stats` (the body of GET /hi/matches/{id}/stats) or `skill` (GET "
            "/hi/matches/{id}/skill)",
            "body": "the document as received, compact JSON (in the JSON lines export: the "
            "object itself)",
            "fetched_at": "when LevelUp fetched it (naive UTC)",
            "source": "`api` or `recorded:<dir>`; NULL for bodies kept from schema 1's "
            "`match_json`",
            "sync_run_id": "the sync run that stored it (`sync_runs.run_id`); NULL before "
            "schema 4 and for bodies a backfill fetched",
        },
    )


# The bookkeeping tables `levelup sql` shows beside the data (not exported): which
# run wrote what (`sync_run_id` in every data row) and what failed.
_RUN_TABLES = {
    "sync_runs": (
        "One row per sync or backfill run: when, its outcome (`ok`, `partial`, "
        "`interrupted`, `auth-failed`, `failed`, `abandoned`) and its counters.",
        {
            "run_id": "the run's id, stored as `sync_run_id` in every row it wrote",
            "command": "`sync` or `backfill`",
            "status": "how the run ended; `running` while it runs",
            "details": "the run's report as JSON",
        },
    ),
    "failed_matches": (
        "Matches (or one of their documents) that failed and are fetched again by the "
        "next sync: one row per (match_id, kind).",
        {"kind": "`stats` (the match is not stored) or `skill` (its stats are)"},
    ),
}


def run_tables() -> list[DocumentsSpec]:
    """`sync_runs` and `failed_matches`, with their columns as the schema declares them."""
    from levelup.store.schema import TABLES

    return [
        DocumentsSpec(
            name=name,
            columns=dict(TABLES[name][0]),
            key=TABLES[name][1],
            description=description,
            column_docs=docs,
            per_match=False,
        )
        for name, (description, docs) in _RUN_TABLES.items()
    ]

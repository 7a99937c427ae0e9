"""Reference documents -> name tables: the medal metadata, the personal score names."""

from __future__ import annotations

from typing import Any

from levelup.extract.rows import MedalNameRow
from levelup.extract.values import log, parse_int, parse_number, parse_str


def _text(value: Any) -> str | None:
    """`{"value": "Double Kill", "translations": {...}}` -> "Double Kill"."""
    if isinstance(value, dict):
        value = value.get("value")
    return parse_str(value) if isinstance(value, str) else None


def _indexed(names: Any, index: Any) -> str | None:
    if not isinstance(names, list) or type(index) is not int or not 0 <= index < len(names):
        return None
    return _text(names[index])


def medal_names(doc: Any) -> list[MedalNameRow]:
    """Every medal of the metadata document with a valid `nameId`; others skipped with a warning."""
    if not isinstance(doc, dict) or not isinstance(doc.get("medals"), list):
        log.warning("medal metadata: no medals[] list; no names stored")
        return []
    rows: dict[int, MedalNameRow] = {}
    where = "medal metadata"
    for medal in doc["medals"]:
        if not isinstance(medal, dict):
            continue
        number = parse_number(medal.get("nameId"), where, "medals[].nameId")
        if number is None or not number.is_integer() or not 0 <= number < 2**63:
            log.warning("medal metadata: a medal has no valid nameId (%r)", medal.get("nameId"))
            continue
        medal_id = int(number)
        rows[medal_id] = MedalNameRow(
            medal_id=medal_id,
            name=_text(medal.get("name")),
            description=_text(medal.get("description")),
            type=_indexed(doc.get("types"), medal.get("typeIndex")),
            difficulty=_indexed(doc.get("difficulties"), medal.get("difficultyIndex")),
            sorting_weight=parse_int(medal.get("sortingWeight"), where, "sortingWeight"),
            personal_score=parse_int(medal.get("personalScore"), where, "personalScore"),
        )
    return list(rows.values())

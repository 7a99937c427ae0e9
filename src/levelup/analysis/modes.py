"""Game modes: the API's game-variant-category codes, their names, and `--mode` parsing.

Our own copy of the names (the values of spnkr's `GameVariantCategory`), so the
analysis never imports the API client: the report must start fast and work
from a database alone. A code the table does not know is shown as
"Category N" rather than refused: the game adds modes over time.
"""

from __future__ import annotations

import re

# Every category the API documents, by code, as its enum spells it.
CATEGORY_ENUM: dict[int, str] = {
    -1: "UNKNOWN",
    0: "NONE",
    1: "CAMPAIGN",
    2: "FORGE",
    3: "ACADEMY",
    4: "ACADEMY_TUTORIAL",
    5: "ACADEMY_PRACTICE",
    6: "MULTIPLAYER_SLAYER",
    7: "MULTIPLAYER_ATTRITION",
    8: "MULTIPLAYER_ELIMINATION",
    9: "MULTIPLAYER_FIESTA",
    10: "MULTIPLAYER_SWAT",
    11: "MULTIPLAYER_STRONGHOLDS",
    12: "MULTIPLAYER_BASTION",
    13: "MULTIPLAYER_KING_OF_THE_HILL",
    14: "MULTIPLAYER_TOTAL_CONTROL",
    15: "MULTIPLAYER_CTF",
    16: "MULTIPLAYER_ASSAULT",
    17: "MULTIPLAYER_EXTRACTION",
    18: "MULTIPLAYER_ODDBALL",
    19: "MULTIPLAYER_STOCKPILE",
    20: "MULTIPLAYER_JUGGERNAUT",
    21: "MULTIPLAYER_REGICIDE",
    22: "MULTIPLAYER_INFECTION",
    23: "MULTIPLAYER_ESCORT",
    24: "MULTIPLAYER_GUN_GAME",
    25: "MULTIPLAYER_GRIFBALL",
    26: "MULTIPLAYER_RACE",
    27: "MULTIPLAYER_PROTOTYPE",
    28: "TEST",
    29: "TEST_ACADEMY",
    30: "TEST_AUDIO",
    31: "TEST_CAMPAIGN",
    32: "TEST_ENGINE",
    33: "TEST_FORGE",
    34: "TEST_GRAPHICS",
    35: "TEST_MULTIPLAYER",
    36: "TEST_SANDBOX",
    37: "ACADEMY_TRAINING",
    38: "ACADEMY_WEAPON_DRILL",
    39: "MULTIPLAYER_LAND_GRAB",
    41: "MULTIPLAYER_MINIGAME",
    42: "MULTIPLAYER_FIREFIGHT",
}

# Display names of the categories a player meets; other codes get a title-cased enum name.
DISPLAY_NAMES: dict[int, str] = {
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
_NOT_SELECTABLE = {-1, 0}


def _squash(name: str) -> str:
    """Case, spaces, dashes and underscores do not matter in a mode name."""
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def _short_name(code: int) -> str:
    return CATEGORY_ENUM[code].removeprefix("MULTIPLAYER_")


def mode_label(category: int | None) -> str:
    """Human name of a game variant category code, tolerant of codes we do not know."""
    if category is None:
        return "Unknown mode"
    if category in DISPLAY_NAMES:
        return DISPLAY_NAMES[category]
    if category not in CATEGORY_ENUM:
        return f"Category {category}"
    return _short_name(category).replace("_", " ").title()


def _mode_lookup() -> dict[str, int]:
    lookup: dict[str, int] = {}
    for code, name in CATEGORY_ENUM.items():
        if code in _NOT_SELECTABLE:
            continue
        lookup[_squash(_short_name(code))] = code
        lookup[_squash(name)] = code
        lookup[_squash(mode_label(code))] = code
    lookup.update(_ALIASES)
    return lookup


_MODE_LOOKUP = _mode_lookup()


def mode_choices() -> list[str]:
    """The multiplayer modes `--mode` accepts, as CamelCase display names.

    The enum spelling is added in parentheses where it differs (CTF). Academy,
    campaign, forge and test categories are accepted too but not listed: no one
    looks for their figures there, and they would bury the useful names.
    """
    names = []
    for code, name in CATEGORY_ENUM.items():
        if not name.startswith("MULTIPLAYER_"):
            continue
        camel = "".join(
            word if word.isupper() else word[:1].upper() + word[1:]
            for word in mode_label(code).split()
        )
        short = _short_name(code)
        if _squash(short) != _squash(camel):
            camel = f"{camel} ({short})"
        names.append(camel)
    return names


def parse_mode(name: str) -> int:
    """Game variant category code of a mode name ("Slayer", "ctf", "KingOfTheHill", "42",
    "Category 44").

    Raises:
        ValueError: the name is no known mode; the message lists the valid ones.
    """
    text = name.strip()
    # "44", or "Category 44" as `mode_label` names a category it does not know.
    number = text[len("category") :].strip() if text.casefold().startswith("category") else text
    if number.isdigit():
        return int(number)
    code = _MODE_LOOKUP.get(_squash(text))
    if code is None:
        raise ValueError(
            f"unknown mode {name!r}; valid names (case-insensitive): "
            + ", ".join(mode_choices())
            + "; or any other game variant category name, or a category number"
        )
    return code

"""The medal metadata document of the generated dataset (`medals.json`).

Names, types and difficulties of the medals the generator awards, in the shape
of GET gamecms-hacs /hi/Waypoint/file/medals/metadata.json. A few of the
Infection medals it awards are left out on purpose: a real history also shows
ids that the metadata does not know, and they must keep their rows.
"""

from __future__ import annotations

from typing import Any

_DIFFICULTIES = ["normal", "heroic", "legendary", "mythic"]
_TYPES = ["spree", "mode", "multikill", "proficiency", "skill", "style"]

# NameId -> (name, type, difficulty, sorting weight, personal score)
_MEDALS: dict[int, tuple[str, str, str, int, int]] = {
    622331684: ("Double Kill", "multikill", "normal", 100, 50),
    2063152177: ("Triple Kill", "multikill", "normal", 101, 50),
    835814121: ("Overkill", "multikill", "heroic", 102, 50),
    2137071619: ("Killtacular", "multikill", "heroic", 103, 50),
    1430343434: ("Killtrocity", "multikill", "legendary", 104, 50),
    3835606176: ("Killamanjaro", "multikill", "legendary", 105, 50),
    2242633421: ("Killtastrophe", "multikill", "mythic", 106, 50),
    3352648716: ("Killpocalypse", "multikill", "mythic", 107, 50),
    2780740615: ("Killing Spree", "spree", "normal", 200, 0),
    4261842076: ("Killing Frenzy", "spree", "heroic", 201, 0),
    418532952: ("Running Riot", "spree", "heroic", 202, 0),
    1486797009: ("Rampage", "spree", "legendary", 203, 0),
    710323196: ("Nightmare", "spree", "legendary", 204, 0),
    1720896992: ("Boogeyman", "spree", "mythic", 205, 0),
    2567026752: ("Grim Reaper", "spree", "mythic", 206, 0),
    2875941471: ("Demon", "spree", "mythic", 207, 0),
    3233952928: ("Killjoy", "skill", "normal", 300, 0),
    1284032216: ("Wingman", "skill", "normal", 301, 0),
    2477555653: ("Spotter", "skill", "normal", 302, 0),
    865763896: ("Perfection", "skill", "mythic", 303, 0),
    1169390319: ("Steaktacular", "skill", "legendary", 304, 0),
    2852571933: ("Rifleman", "proficiency", "normal", 400, 0),
    2758320809: ("Marksman", "proficiency", "normal", 401, 0),
    4277328263: ("Sharpshooter", "proficiency", "normal", 402, 0),
    1172766553: ("Gunslinger", "proficiency", "normal", 403, 0),
    3347922939: ("Scattergunner", "proficiency", "normal", 404, 0),
    2750622016: ("Breacher", "proficiency", "normal", 405, 0),
    269174970: ("Boxer", "proficiency", "normal", 406, 0),
    1210678802: ("Warrior", "proficiency", "normal", 407, 0),
    2648272972: ("Grenadier", "proficiency", "normal", 408, 0),
    1146876011: ("Bomber", "proficiency", "normal", 409, 0),
    555849395: ("Bodyguard", "proficiency", "normal", 410, 0),
    1512363953: ("Perfect", "style", "normal", 500, 0),
    2123530881: ("Reversal", "style", "normal", 501, 0),
    548533137: ("Back Smack", "style", "normal", 502, 0),
    4229934157: ("Snipe", "style", "normal", 503, 0),
    3334154676: ("Guardian Angel", "style", "heroic", 504, 0),
    1169571763: ("Shot Caller", "style", "normal", 505, 0),
    3091261182: ("Last Shot", "style", "normal", 506, 0),
    3905838030: ("Cluster Luck", "style", "heroic", 507, 0),
    3655682764: ("Stick", "style", "normal", 508, 0),
    2602963073: ("No Scope", "style", "heroic", 509, 0),
    2625820422: ("From the Grave", "style", "normal", 510, 0),
    1283796619: ("Off the Rack", "style", "normal", 511, 0),
    1176569867: ("Yard Sale", "style", "heroic", 512, 0),
    265478668: ("Nade Shot", "style", "normal", 513, 0),
    1477806194: ("Counter-snipe", "style", "heroic", 514, 0),
    2861418269: ("Quick Draw", "style", "heroic", 515, 0),
    3546244406: ("Kong", "style", "normal", 516, 0),
    1880789493: ("Mind the Gap", "style", "heroic", 517, 0),
    87172902: ("Odin's Raven", "style", "legendary", 518, 0),
    1841872491: ("Tag & Bag", "style", "normal", 519, 0),
    2418616582: ("Harpoon", "style", "normal", 520, 0),
    1734214473: ("Whiplash", "style", "heroic", 521, 0),
    3085856613: ("Ninja", "style", "heroic", 522, 0),
    3934547153: ("Hail Mary", "style", "heroic", 523, 0),
    2414983178: ("Bank Shot", "style", "heroic", 524, 0),
    1427176344: ("360", "style", "legendary", 525, 0),
    1211820913: ("Fastball", "style", "heroic", 526, 0),
    3114137341: ("Bulltrue", "style", "normal", 527, 0),
    3160646854: ("Remote Detonation", "style", "heroic", 528, 0),
    221693153: ("Splatter", "style", "normal", 600, 0),
    2926348688: ("Wheelman", "skill", "normal", 601, 0),
    731054446: ("Skyjack", "style", "heroic", 602, 0),
    3027762381: ("Driver", "proficiency", "normal", 603, 0),
    2593226288: ("Pilot", "proficiency", "normal", 604, 0),
    3783455472: ("Gunner", "proficiency", "normal", 605, 0),
    20397755: ("Saboteur", "skill", "normal", 606, 0),
    1229018603: ("Dogfight", "style", "heroic", 607, 0),
    677323068: ("Death Race", "style", "legendary", 608, 0),
    1065136443: ("Mount Up", "style", "normal", 609, 0),
    3488248720: ("Stopped Short", "mode", "normal", 700, 0),
    976049027: ("Flag Joust", "mode", "heroic", 701, 0),
    3227840152: ("Goal Line Stand", "mode", "heroic", 702, 0),
    3732790338: ("Fumble", "mode", "normal", 703, 0),
    781229683: ("Straight Balling", "mode", "heroic", 704, 0),
    1472686630: ("Always Rotating", "mode", "normal", 705, 0),
    3630529364: ("Clock Stop", "mode", "normal", 706, 0),
    580478179: ("Hill Guardian", "mode", "normal", 707, 0),
    88914608: ("Zombie Slayer", "mode", "normal", 708, 0),
    1025827095: ("Last Spartan Standing", "mode", "heroic", 709, 0),
}

_BY_NAME = {name: name_id for name_id, (name, *_) in _MEDALS.items()}


def medal_ids(*names: str) -> tuple[int, ...]:
    """The NameIds of medals named in the metadata, in the order given (repeats kept),
    so the generator's medal pools read as names and the ids live in one table."""
    return tuple(_BY_NAME[name] for name in names)


def medal_metadata_document() -> dict[str, Any]:
    """The generated dataset's medal metadata, shaped like the real document."""
    return {
        "difficulties": _DIFFICULTIES,
        "types": _TYPES,
        "sprites": {},
        "medals": [
            {
                "name": {"value": name, "translations": {}},
                "description": {"value": f"Earn the {name} medal", "translations": {}},
                "spriteIndex": index,
                "sortingWeight": weight,
                "difficultyIndex": _DIFFICULTIES.index(difficulty),
                "typeIndex": _TYPES.index(kind),
                "personalScore": score,
                "nameId": name_id,
            }
            for index, (name_id, (name, kind, difficulty, weight, score)) in enumerate(
                _MEDALS.items()
            )
        ],
    }


def medal_group(hundred: int) -> tuple[int, ...]:
    """The NameIds of the medals whose sorting weight is in the `hundred`s, in table order:
    the table groups them as the generator draws them (1 multikills, 2 sprees, 4
    proficiency, 5 style, 6 vehicles)."""
    return tuple(i for i, (*_, weight, _) in _MEDALS.items() if weight // 100 == hundred)

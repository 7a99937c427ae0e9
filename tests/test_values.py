"""Defensive number parsing: bad values become NULL with a warning, never a wrong number."""

from __future__ import annotations

import logging

import pytest

from levelup.extract.values import parse_bool, parse_duration, parse_float, parse_int


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12, 12), (12.0, 12), ("12", 12), (" 7 ", 7), (0, 0), (None, None)],
)
def test_parse_int_accepts_ints_integral_floats_and_numeric_strings(value, expected):
    assert parse_int(value, "m1", "Kills", count=True) == expected


@pytest.mark.parametrize(
    "value", [True, False, "abc", "", float("nan"), float("inf"), 12.5, [1], {"a": 1}, 2**40]
)
def test_parse_int_rejects_bad_values_with_a_warning(value, caplog):
    with caplog.at_level(logging.WARNING, logger="levelup.values"):
        assert parse_int(value, "match-x", "ShotsFired", count=True) is None
    assert "match-x" in caplog.text and "ShotsFired" in caplog.text


def test_negative_counts_are_invalid_but_negative_scores_are_not(caplog):
    with caplog.at_level(logging.WARNING, logger="levelup.values"):
        assert parse_int(-3, "m", "ShotsHit", count=True) is None
    assert "negative" in caplog.text
    assert parse_int(-110, "m", "PersonalScore") == -110
    assert parse_float(-14.0, "m", "KDA") == -14.0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT9M9.4211615S", 549.4211615),
        ("PT50.1S", 50.1),
        ("PT1H2M3S", 3723.0),
        ("P1DT1S", 86401.0),
        ("PT0S", 0.0),
        (12.5, 12.5),
    ],
)
def test_durations_become_seconds(text, seconds):
    assert parse_duration(text, "m", "Duration") == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["9 minutes", "PT", "P", "PT-5S", True])
def test_bad_durations_are_null(text):
    assert parse_duration(text, "m", "Duration") is None


def test_booleans_must_be_real_booleans():
    assert parse_bool(True, "m", "f") is True
    assert parse_bool(None, "m", "f") is None
    assert parse_bool("yes", "m", "f") is None

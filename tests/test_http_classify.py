"""The HTTP session's retry policy, `levelup.sources.http.classify`, on its own: a pure
function from one answer (status, headers, body) to what the session does next, so each
rule is checked without a server, a clock or a retry loop (the loop itself is tested
over real HTTP in test_waypoint_client)."""

from __future__ import annotations

import dataclasses

import pytest
from multidict import CIMultiDict

from levelup.sources.base import AuthError, MatchNotFoundError
from levelup.sources.http import (
    RECENT_404_RETRIES,
    BufferedResponse,
    HttpStatusError,
    NotFoundError,
    Retry,
    _Call,
    classify,
)

STATS = _Call(
    method="GET",
    target="http://127.0.0.1:9/halostats.svc.halowaypoint.com/hi/matches/m1/stats",
    where="halostats.svc.halowaypoint.com/hi/matches/m1/stats",
    endpoint="match_stats",
    label="match m1",
    needs_token=True,
    can_renew=True,
    recent=False,
)
SIGN_IN = dataclasses.replace(
    STATS,
    method="POST",
    where="login.live.com/oauth20_token.srf",
    endpoint="auth",
    label="POST login.live.com/oauth20_token.srf",
    needs_token=False,
    can_renew=False,
)
OTHER = dataclasses.replace(STATS, where="example/x", endpoint="other", needs_token=False)
PROFILE = dataclasses.replace(STATS, where="profile/users/x", endpoint="profile", label="p")


def outcome(call: _Call, status: int, body: bytes = b"{}", **headers: str) -> object:
    return classify(call, status, CIMultiDict(headers), body, RECENT_404_RETRIES)


def test_a_2xx_json_body_is_returned_and_a_bad_one_retried() -> None:
    answer = outcome(STATS, 200, b'{"MatchId": "m1"}')
    assert isinstance(answer, BufferedResponse) and answer.status == 200
    cut = outcome(STATS, 200, b'{"MatchId": "m')
    assert cut == Retry(reason="invalid JSON body (14 bytes)")
    # An unknown endpoint may answer an empty or non-JSON body, unless it says JSON.
    assert isinstance(outcome(OTHER, 204, b""), BufferedResponse)
    assert isinstance(outcome(OTHER, 200, b"plain"), BufferedResponse)
    assert isinstance(outcome(OTHER, 200, b"plain", **{"Content-Type": "application/json"}), Retry)


def test_rate_limits_server_errors_and_timeouts_of_the_server_are_retried() -> None:
    assert outcome(STATS, 429, **{"Retry-After": "2.5"}) == Retry(
        rate_limited=True, retry_after=2.5
    )
    assert outcome(STATS, 429) == Retry(rate_limited=True, retry_after=None)
    assert outcome(STATS, 503) == Retry(reason="HTTP 503")
    assert outcome(STATS, 408) == Retry(reason="HTTP 408")


def test_a_401_renews_once_then_stops_and_a_403_stops_at_once() -> None:
    assert outcome(STATS, 401) == Retry("renew")
    renewed = outcome(dataclasses.replace(STATS, reauthorized=True), 401)
    assert isinstance(renewed, AuthError) and "refused the renewed credentials" in str(renewed)
    raw_token = outcome(dataclasses.replace(STATS, can_renew=False), 401)
    assert isinstance(raw_token, AuthError) and "refused access (HTTP 401)" in str(raw_token)
    forbidden = outcome(STATS, 403)
    assert isinstance(forbidden, AuthError) and "levelup auth" in str(forbidden)


def test_a_refused_sign_in_step_names_its_error_code() -> None:
    refused = outcome(SIGN_IN, 400, b'{"error": "invalid_grant"}')
    assert isinstance(refused, AuthError)
    assert "sign-in request login.live.com/oauth20_token.srf refused (HTTP 400 invalid_grant)" in (
        str(refused)
    )


def test_a_404_on_a_match_that_just_ended_is_waited_on_then_missing() -> None:
    recent = dataclasses.replace(STATS, recent=True)
    assert outcome(recent, 404) == Retry("recent_404")
    spent = dataclasses.replace(recent, not_found=RECENT_404_RETRIES)
    missing = outcome(spent, 404)
    assert isinstance(missing, MatchNotFoundError)
    assert f"after {RECENT_404_RETRIES} retries" in str(missing)
    assert isinstance(outcome(STATS, 404), MatchNotFoundError)
    elsewhere = outcome(PROFILE, 404)
    assert isinstance(elsewhere, NotFoundError) and elsewhere.status == 404


@pytest.mark.parametrize("status", [301, 400, 409, 422])
def test_other_statuses_are_not_retried(status: int) -> None:
    answer = outcome(STATS, status)
    assert isinstance(answer, HttpStatusError) and answer.status == status

"""No credential ever reaches a log line, a report, an exception or a repr, and the
spartan token is only sent to the Halo hosts."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import traceback
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from levelup.config import Secret, load_credentials
from levelup.sources.auth import SignIn
from levelup.sources.base import AuthError, FetchError, SourceError
from levelup.sources.http import Backoff
from levelup.testing.fake_waypoint import FakeWaypoint, Fault
from tests.helpers import last_json, run_cli
from tests.http_helpers import (
    CLEARANCE,
    CLIENT_SECRET,
    REFRESH,
    STATS_RE,
    TOKEN,
    Sleeps,
    azure_env,
    make_recorded,
    make_source,
    mid,
    raw_env,
    sync_into,
)

FAST = Backoff(base=0.01, max_delay=0.02, timeout=0.5, attempts=3)


def secrets_of(fake: FakeWaypoint) -> set[str]:
    """Every credential in play: ours and every token the fake issued."""
    issued = {
        *fake.issued_spartan_tokens,
        *fake.issued_refresh_tokens,
        *fake._access_tokens,
        *fake._user_tokens,
        *fake._halo_xsts_tokens,
    }
    return {TOKEN, CLEARANCE, CLIENT_SECRET, REFRESH, *issued}


def assert_clean(text: str, secrets: set[str], what: str) -> None:
    for secret in secrets:
        assert secret not in text, f"a credential appears in {what}"


def test_no_token_in_logs_reports_or_reprs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_recorded(tmp_path / "rec", 12, recent=1)
    caplog.set_level(logging.DEBUG)
    with FakeWaypoint.start_in_thread(root) as fake:
        for kind in ("401", "500", "truncated", "429"):
            fake.add_fault(Fault(STATS_RE, kind))  # type: ignore[arg-type]
        fake.add_fault(Fault(STATS_RE, "404_then_ok", times=None, match_ids={mid(2)}))
        source = make_source(fake, azure_env(tmp_path / "cfg"), backoff=FAST, sleep=Sleeps())
        report = sync_into(tmp_path / "db.duckdb", source)
        secrets = secrets_of(fake)
    assert len(fake.issued_spartan_tokens) == 2  # a renewal happened
    assert report.failures and report.api["retries"]
    lines = [record.getMessage() for record in caplog.records]
    assert any("401" in line for line in lines)  # the renewal was logged, without a token
    assert_clean("\n".join(lines), secrets, "a log line")
    assert_clean(json.dumps(report.as_dict(), default=str), secrets, "the report")
    reprs = [
        repr(source),
        repr(source.session),
        repr(source.session.headers),
        str(source.session.headers),
        repr(source.tokens),
        repr(source.tokens.credentials),
        repr(load_credentials(azure_env(tmp_path / "cfg"))),
        repr(load_credentials(raw_env(tmp_path / "cfg"))),
        repr(SignIn(Secret(TOKEN), Secret(CLEARANCE), dt.datetime.now(dt.UTC), Secret(REFRESH))),
    ]
    assert_clean("\n".join(reprs), secrets, "a repr")


def _exceptions(fake: FakeWaypoint, tmp_path: Path) -> list[BaseException]:
    caught: list[BaseException] = []

    async def attempt(source: Any, match_id: str) -> None:
        try:
            await source.match_stats_raw(match_id)
        except SourceError as exc:
            caught.append(exc)
        finally:
            await source.aclose()

    async def scenario() -> None:
        # A raw token refused.
        fake.add_fault(Fault(STATS_RE, "401", times=1))
        await attempt(make_source(fake, raw_env(tmp_path / "c1"), backoff=FAST), mid(0))
        # Retries exhausted.
        fake.add_fault(Fault(STATS_RE, "503", times=3))
        await attempt(make_source(fake, raw_env(tmp_path / "c2"), backoff=FAST), mid(1))
        # A refused refresh token during sign-in.
        fake.revoke_refresh_token(REFRESH)
        await attempt(make_source(fake, azure_env(tmp_path / "c3"), backoff=FAST), mid(2))

    asyncio.run(scenario())
    return caught


def test_no_token_in_exceptions(tmp_path: Path) -> None:
    root = make_recorded(tmp_path / "rec", 5)
    with FakeWaypoint.start_in_thread(root) as fake:
        fake.accept_token(TOKEN)
        caught = _exceptions(fake, tmp_path)
        secrets = secrets_of(fake)
    assert [type(e) for e in caught] == [AuthError, FetchError, AuthError]
    for exc in caught:
        text = "".join(traceback.format_exception(exc))
        assert_clean(text + repr(exc), secrets, "an exception")
        assert "levelup auth" in str(exc) or mid(1) in str(exc)


def test_cli_json_report_and_debug_log_hold_no_token(tmp_path: Path) -> None:
    root = make_recorded(tmp_path / "rec", 6)
    with FakeWaypoint.start_in_thread(root) as fake:
        fake.add_fault(Fault(STATS_RE, "401"))
        env = {
            **azure_env(tmp_path / "cfg"),
            "LEVELUP_HOST_MAP": json.dumps(fake.host_map()),
        }
        result = run_cli(
            "-vv",
            "sync",
            "--player",
            "Tester",
            "--source",
            "api",
            "--data-dir",
            str(tmp_path / "data"),
            "--requests-per-second",
            "100",
            "--json",
            "--no-skill",  # make_recorded writes no skill documents
            env=env,
        )
        secrets = secrets_of(fake)
    assert result.returncode == 0, result.stderr
    assert last_json(result.stdout)["matches_written"] == 6
    assert "DEBUG levelup.http" in result.stderr  # the debug log was on
    assert_clean(result.stdout + result.stderr, secrets, "the CLI output")


def test_spartan_token_only_sent_to_halo_hosts(tmp_path: Path) -> None:
    root = make_recorded(tmp_path / "rec", 3)
    seen: list[tuple[str, str, dict[str, str]]] = []

    async def scenario() -> None:
        fake = FakeWaypoint(root)
        original = fake._dispatch

        async def spy(request: web.Request) -> web.StreamResponse:
            host = request.path.split("/")[1]
            seen.append((host, request.path, {k.lower(): v for k, v in request.headers.items()}))
            return await original(request)

        fake._dispatch = spy  # type: ignore[method-assign]
        async with fake:
            source = make_source(fake, azure_env(tmp_path / "cfg"))
            try:
                await source.match_stats_raw(mid(0))
                await source.gamertags([f"xuid({'2535445291321133'})"])
            finally:
                await source.aclose()

    asyncio.run(scenario())
    by_host = {host for host, _, _ in seen}
    assert {"login.live.com", "user.auth.xboxlive.com", "xsts.auth.xboxlive.com"} <= by_host
    for host, path, headers in seen:
        spartan = headers.get("x-343-authorization-spartan")
        if host in {"halostats.svc.halowaypoint.com", "profile.svc.halowaypoint.com"}:
            assert spartan and headers.get("343-clearance"), path
        elif path.endswith("/active"):  # the clearance request itself needs the token
            assert spartan, path
        else:
            assert spartan is None and "343-clearance" not in headers, (host, path)
        assert "cookie" not in headers

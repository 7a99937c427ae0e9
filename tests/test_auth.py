"""Credentials (environment, config file), the token manager's refresh-token rotation,
and `levelup auth` (non-interactive and piped input) against the fake server."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
import warnings
from pathlib import Path

import orjson
import pytest

from levelup.cli import main
from levelup.config import (
    Credentials,
    Secret,
    config_path,
    load_credentials,
    read_config_file,
    scrub,
    update_config_file,
)
from levelup.errors import ConfigError
from levelup.sources.auth import extract_code
from levelup.sources.base import AuthError
from levelup.testing.fake_waypoint import FakeWaypoint, Fault
from tests.helpers import last_json, run_cli
from tests.http_helpers import (
    CLIENT_SECRET,
    REFRESH,
    STATS_RE,
    TOKEN,
    azure_env,
    make_source,
    mid,
    raw_env,
    run,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --------------------------------------------------------------------- credentials


def test_credentials_from_env_file_and_precedence(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    env = {"LEVELUP_CONFIG_DIR": str(cfg)}
    with pytest.raises(ConfigError) as err:
        load_credentials(env)
    message = str(err.value)
    for var in (
        "SPNKR_AZURE_CLIENT_ID",
        "SPNKR_AZURE_CLIENT_SECRET",
        "SPNKR_OAUTH_REFRESH_TOKEN",
        "SPNKR_SPARTAN_TOKEN",
        "levelup auth",
    ):
        assert var in message
    with pytest.raises(ConfigError, match="SPNKR_OAUTH_REFRESH_TOKEN missing"):
        load_credentials({**env, "SPNKR_AZURE_CLIENT_ID": "a", "SPNKR_AZURE_CLIENT_SECRET": "b"})

    from_env = load_credentials(azure_env(cfg))
    assert from_env.mode == "azure" and from_env.client_id == "client-id"
    assert from_env.client_secret == Secret(CLIENT_SECRET)
    assert from_env.redirect_uri == "https://localhost"
    assert not from_env.refresh_token_from_file
    # No redirect URI given: the Azure sign-in uses the default, and --status says which
    # ("not set" read as a missing setting).
    assert "SPNKR_AZURE_REDIRECT_URI" not in azure_env(cfg)
    assert dict(from_env.describe())["redirect URI"] == "https://localhost (the default)"
    assert dict(load_credentials(raw_env(cfg)).describe())["redirect URI"] == "not set"

    raw = load_credentials(raw_env(cfg))
    assert raw.mode == "tokens" and raw.spartan_token == Secret(TOKEN)

    update_config_file(
        config_path(env),
        {
            "client_id": "file-id",
            "client_secret": Secret("file-secret-123"),
            "redirect_uri": "https://localhost/cb",
            "refresh_token": Secret("file-refresh-123"),
        },
    )
    from_file = load_credentials(env)
    assert (from_file.mode, from_file.client_id, from_file.redirect_uri) == (
        "azure",
        "file-id",
        "https://localhost/cb",
    )
    assert from_file.refresh_token_from_file
    # Environment variables override the file, field by field.
    mixed = load_credentials({**env, "SPNKR_OAUTH_REFRESH_TOKEN": "env-refresh-123"})
    assert mixed.refresh_token == Secret("env-refresh-123") and mixed.client_id == "file-id"
    assert mixed.origins["refresh_token"] == "env:SPNKR_OAUTH_REFRESH_TOKEN"
    assert mixed.origins["client_id"] == "file" and not mixed.refresh_token_from_file
    # An Azure set (which can renew) wins over raw tokens.
    assert load_credentials({**env, "SPNKR_SPARTAN_TOKEN": TOKEN}).mode == "azure"
    described = dict(mixed.describe())
    assert described["OAuth refresh token"] == "set (from $SPNKR_OAUTH_REFRESH_TOKEN)"
    assert "file-secret-123" not in repr(mixed) and "env-refresh-123" not in repr(mixed)


def test_config_file_is_private_and_merged(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "credentials.json"
    update_config_file(path, {"client_id": "x", "refresh_token": Secret("r-123456")})
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    update_config_file(path, {"refresh_token": Secret("r-654321"), "gamertag": None})
    data = read_config_file(path)
    assert (data["client_id"], data["refresh_token"], data["version"]) == ("x", "r-654321", 1)
    assert _mode(path) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["credentials.json"]  # no temp left
    path.write_text("[1]")
    with pytest.raises(ConfigError, match="JSON object"):
        read_config_file(path)
    path.write_text("{")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_credentials({"LEVELUP_CONFIG_DIR": str(path.parent)})


@pytest.mark.parametrize("content", ["[1,2]", "{", "\x00\xff"])
def test_complete_environment_wins_over_a_corrupt_file(
    tmp_path: Path, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "credentials.json").write_text(content)
    with caplog.at_level("WARNING", logger="levelup.config"):
        raw = load_credentials(raw_env(cfg))
    assert raw.mode == "tokens" and raw.spartan_token == Secret(TOKEN)
    assert "credentials.json" in caplog.text and "environment" in caplog.text
    azure = load_credentials(azure_env(cfg))
    assert azure.mode == "azure" and not azure.refresh_token_from_file
    # Without a complete environment the file's own problem is the error.
    with pytest.raises(ConfigError, match=r"credentials\.json.*levelup auth"):
        load_credentials({"LEVELUP_CONFIG_DIR": str(cfg), "SPNKR_AZURE_CLIENT_ID": "a"})
    assert (cfg / "credentials.json").read_text() == content  # never touched by a run


def test_secret_masking_and_scrub() -> None:
    secret = Secret("a-very-secret-value")
    assert repr(secret) == "Secret('***')" and str(secret) == "***"
    assert f"{secret}" == "***" and f"{secret!r}" == "Secret('***')"
    assert secret.reveal() == "a-very-secret-value"
    assert scrub("token=a-very-secret-value;") == "token=***;"
    with pytest.raises(TypeError):
        __import__("pickle").dumps(secret)


def test_extract_code() -> None:
    assert extract_code("  M.C1_abc-123 ") == "M.C1_abc-123"
    assert extract_code("https://localhost/?code=M.C1_abc&state=x") == "M.C1_abc"
    assert extract_code("https://localhost?code=xyz") == "xyz"
    with pytest.raises(ConfigError, match=r"denied"):
        extract_code("https://localhost/?error=access_denied&error_description=denied")
    with pytest.raises(ConfigError):
        extract_code("")
    with pytest.raises(ConfigError):
        extract_code("https://localhost/?code=")


# --------------------------------------------------------------------- token manager


def _file_credentials(cfg: Path, refresh: str) -> dict[str, str]:
    update_config_file(
        cfg / "credentials.json",
        {
            "client_id": "client-id",
            "client_secret": Secret(CLIENT_SECRET),
            "refresh_token": Secret(refresh),
        },
    )
    return {"LEVELUP_CONFIG_DIR": str(cfg)}


def test_rotated_refresh_token_saved_to_the_file(recorded_dir: Path, tmp_path: Path) -> None:
    """Strict rotation (a used refresh token is refused): three sign-ins in a row
    only work if each uses the token the previous one returned, and the file ends
    with the last one, 0600."""
    cfg = tmp_path / "cfg"
    env = _file_credentials(cfg, "saved-refresh-0001")
    with FakeWaypoint.start_in_thread(recorded_dir, strict_refresh_tokens=True) as fake:
        fake.accept_refresh_token("saved-refresh-0001")

        async def scenario() -> None:
            source = make_source(fake, env)
            try:
                await source.match_stats_raw(mid(0))
                for i in (1, 2):
                    fake.expire_tokens()
                    await source.match_stats_raw(mid(i))
            finally:
                await source.aclose()

        run(scenario())
        assert len(fake.issued_refresh_tokens) == 3
        saved = read_config_file(cfg / "credentials.json")
        assert saved["refresh_token"] == fake.issued_refresh_tokens[-1]
        assert saved["client_secret"] == CLIENT_SECRET
        assert _mode(cfg / "credentials.json") == 0o600

        # A second process starts from the saved token (the first one is spent).
        async def again() -> None:
            source = make_source(fake, env)
            try:
                await source.match_stats_raw(mid(3))
            finally:
                await source.aclose()

        run(again())
        assert (
            read_config_file(cfg / "credentials.json")["refresh_token"]
            == (fake.issued_refresh_tokens[-1])
        )


def test_refresh_token_from_env_is_never_written(fake: FakeWaypoint, tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"

    async def scenario() -> None:
        source = make_source(fake, azure_env(cfg))
        try:
            await source.match_stats_raw(mid(0))
            fake.expire_tokens()
            await source.match_stats_raw(mid(1))
            assert source.tokens.renewals == 2
        finally:
            await source.aclose()

    run(scenario())
    assert not cfg.exists()


def test_refused_refresh_token_is_an_auth_error(fake: FakeWaypoint, tmp_path: Path) -> None:
    fake.revoke_refresh_token(REFRESH)

    async def scenario() -> None:
        source = make_source(fake, azure_env(tmp_path / "cfg"))
        try:
            with pytest.raises(
                AuthError, match=r"refused \(HTTP 400 invalid_grant\).*levelup auth"
            ):
                await source.match_stats_raw(mid(0))
        finally:
            await source.aclose()

    run(scenario())
    assert fake.count(STATS_RE) == 0


def test_raw_token_refused_says_run_levelup_auth(fake: FakeWaypoint, tmp_path: Path) -> None:
    fake.add_fault(Fault(STATS_RE, "401", times=None))

    async def scenario() -> None:
        source = make_source(fake, raw_env(tmp_path / "cfg"))
        try:
            with pytest.raises(AuthError) as err:
                await source.match_stats_raw(mid(0))
        finally:
            await source.aclose()
        assert "levelup auth" in str(err.value) and "SPNKR_SPARTAN_TOKEN" in str(err.value)
        assert err.value.exit_code == 2

    run(scenario())
    assert fake.count(STATS_RE) == 1  # nothing to renew with: no retry


# --------------------------------------------------------------------- levelup auth


def _auth_env(monkeypatch: pytest.MonkeyPatch, fake: FakeWaypoint, cfg: Path) -> None:
    for var in list(os.environ):
        if var.startswith("SPNKR_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("LEVELUP_CONFIG_DIR", str(cfg))
    monkeypatch.setenv("LEVELUP_HOST_MAP", json.dumps(fake.host_map()))


def test_levelup_auth_non_interactive_then_status(
    fake: FakeWaypoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    cfg = tmp_path / "cfg"
    _auth_env(monkeypatch, fake, cfg)
    monkeypatch.setenv("SPNKR_AZURE_CLIENT_SECRET", CLIENT_SECRET)
    code = main(
        [
            "auth",
            "--client-id",
            "my-client-id",
            "--code",
            "https://localhost/?code=M.C1_fake-code&state=1",
            "--json",
        ]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    result = orjson.loads(out.out.splitlines()[-1])
    assert result["gamertag"] == "Tester" and result["xuid"] == "2535445291321133"
    path = cfg / "credentials.json"
    assert _mode(path) == 0o600
    saved = read_config_file(path)
    assert saved["client_id"] == "my-client-id" and saved["client_secret"] == CLIENT_SECRET
    assert saved["redirect_uri"] == "https://localhost"
    assert saved["refresh_token"] == fake.issued_refresh_tokens[-1]
    oauth = [r for r in fake.requests if r.path == "/oauth20_token.srf"]
    assert len(oauth) == 1

    monkeypatch.delenv("SPNKR_AZURE_CLIENT_SECRET")
    assert main(["auth", "--status", "--json"]) == 0
    out = capsys.readouterr()
    status = orjson.loads(out.out.splitlines()[-1])
    assert status["usable"] and status["mode"] == "azure"
    assert status["config_file_state"] == "private (0600)"
    assert status["signed_in_as"] == "Tester"
    assert status["fields"]["OAuth refresh token"] == "set (from config file)"
    assert main(["auth", "--status"]) == 0
    out = capsys.readouterr()
    for secret in (CLIENT_SECRET, saved["refresh_token"]):
        assert secret not in out.out + out.err

    # The saved credentials work: a source built from the environment signs in with them.
    async def use() -> None:
        source = make_source(fake, {"LEVELUP_CONFIG_DIR": str(cfg)})
        try:
            assert await source.match_stats_raw(mid(0))
        finally:
            await source.aclose()

    run(use())
    assert read_config_file(path)["refresh_token"] == fake.issued_refresh_tokens[-1]


@pytest.mark.parametrize("content", ["[1,2]", "{not json"])
def test_levelup_auth_replaces_a_corrupt_file_and_keeps_it_aside(
    fake: FakeWaypoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, content: str
) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    path = cfg / "credentials.json"
    path.write_text(content)
    _auth_env(monkeypatch, fake, cfg)
    args = ["auth", "--client-id", "new-id", "--client-secret", CLIENT_SECRET]
    assert main([*args, "--code", "https://localhost/?code=M.C1_x", "--json"]) == 0
    out = capsys.readouterr()
    assert "will be replaced" in out.err and "Traceback" not in out.err
    saved = read_config_file(path)
    assert saved["client_id"] == "new-id"
    assert saved["refresh_token"] == fake.issued_refresh_tokens[-1]
    assert _mode(path) == 0o600
    aside = cfg / "credentials.json.bad"
    assert aside.read_text() == content
    assert orjson.loads(out.out.splitlines()[-1])["replaced_file_kept_as"] == str(aside)


def test_a_sync_run_uses_env_tokens_despite_a_corrupt_file(
    fake: FakeWaypoint, tmp_path: Path
) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "credentials.json").write_text("[1,2]")
    env = {
        **raw_env(cfg),
        "LEVELUP_HOST_MAP": json.dumps(fake.host_map()),
    }
    # --no-skill: make_recorded writes no skill documents.
    result = run_cli(
        "sync", "--player", "Tester", "--data-dir", str(tmp_path / "data"),
        "--requests-per-second", "200", "--json", "--no-skill", env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert last_json(result.stdout)["matches_written"] == 30
    assert "credentials.json must hold a JSON object" in result.stderr
    assert "Traceback" not in result.stderr


def test_levelup_auth_reads_piped_answers(
    fake: FakeWaypoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    cfg = tmp_path / "cfg"
    _auth_env(monkeypatch, fake, cfg)
    # Every answer from the pipe, the secret too: with no terminal there is no echo to
    # hide, and getpass would only warn that it cannot ("GetPassWarning").
    answers = f"piped-client-id\n{CLIENT_SECRET}\n\nhttps://localhost/?code=M.C1_piped&state=2\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(answers))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a GetPassWarning fails the test
        assert main(["auth"]) == 0
    out = capsys.readouterr()
    assert "https://login.live.com/oauth20_authorize.srf?" in out.err
    assert "client_id=piped-client-id" in out.err
    assert "Signed in as Tester" in out.out
    saved = read_config_file(cfg / "credentials.json")
    assert (saved["client_id"], saved["redirect_uri"]) == ("piped-client-id", "https://localhost")
    assert CLIENT_SECRET not in out.out + out.err


def test_levelup_auth_failures_exit_2(
    fake: FakeWaypoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    cfg = tmp_path / "cfg"
    _auth_env(monkeypatch, fake, cfg)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    # No input to read the client id from.
    assert main(["auth", "--code", "abc"]) == 2
    assert "client id" in capsys.readouterr().err
    # The sign-in page said no.
    args = ["auth", "--client-id", "i", "--client-secret", "s-123456"]
    assert main([*args, "--code", "https://localhost/?error=access_denied"]) == 2
    assert "access_denied" in capsys.readouterr().err
    # The token endpoint refuses the code.
    fake.add_fault(Fault(r"/oauth20_token", "401"))
    assert main([*args, "--code", "bad-code"]) == 2
    err = capsys.readouterr().err
    assert "sign-in request login.live.com/oauth20_token.srf refused" in err
    assert not (cfg / "credentials.json").exists()
    assert main(["auth", "--status"]) == 2
    assert "levelup auth" in capsys.readouterr().out


def test_status_reports_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    for var in list(os.environ):
        if var.startswith("SPNKR_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("LEVELUP_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("SPNKR_SPARTAN_TOKEN", TOKEN)
    assert main(["auth", "--status", "--json"]) == 0
    status = orjson.loads(capsys.readouterr().out.splitlines()[-1])
    assert status["mode"] == "tokens"
    assert status["fields"]["spartan token"] == "set (from $SPNKR_SPARTAN_TOKEN)"
    assert TOKEN not in json.dumps(status)
    assert isinstance(load_credentials(), Credentials)

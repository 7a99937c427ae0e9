"""Signing in to Halo Waypoint and keeping the spartan token fresh.

The sign-in chain is spnkr's (OAuth token -> Xbox user token -> XSTS token for
the Halo audience -> spartan token -> clearance token), run step by step with
spnkr's own request functions so that the rotated OAuth refresh token, which
`spnkr.auth.refresh_player_tokens` drops, can be kept. Every request goes
through the project's `WaypointSession` (pacing, retries, host map).

`TokenManager` is the session's token hook:

- before each Halo request it signs in if needed, and renews the spartan token
  `refresh_margin` (5 minutes) before it expires (tokens live about 4 hours);
- on a 401 it renews once per token generation (concurrent requests that got
  the same 401 share one renewal), and the session retries once;
- with raw ``SPNKR_SPARTAN_TOKEN`` / ``SPNKR_CLEARANCE_TOKEN`` there is nothing
  to renew with: a 401 raises `AuthError` telling the user to run `levelup auth`.

Rotated refresh tokens: each OAuth refresh returns a new refresh token. When
the token in use came from the config file, the new one is written back to the
file at once (atomically, mode 0600), so the next run starts from it; the file
is also re-read before each renewal in case another levelup process rotated
it meanwhile. A refresh token given in ``$SPNKR_OAUTH_REFRESH_TOKEN`` is never
written to disk (the user manages that variable): the new one is used for the
rest of the run only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any

from spnkr.auth import halo, oauth, xbox
from spnkr.auth.app import AzureApp
from spnkr.auth.core import XSTS_V3_HALO_AUDIENCE, XSTS_V3_XBOX_AUDIENCE
from spnkr.errors import OAuth2Error

from levelup.clock import parse_timestamp
from levelup.config import (
    ENV_SPARTAN_TOKEN,
    Credentials,
    Secret,
    read_config_file,
    remember_secret,
    update_config_file,
)
from levelup.errors import ConfigError
from levelup.sources.base import AuthError, FatalSourceError, SourceError
from levelup.sources.http import WaypointSession

__all__ = [
    "DEFAULT_REFRESH_MARGIN",
    "SignIn",
    "TokenManager",
    "azure_app",
    "extract_code",
    "sign_in",
]

log = logging.getLogger("levelup.auth")

DEFAULT_REFRESH_MARGIN = dt.timedelta(minutes=5)
# When the token service's expiry cannot be read, assume a short life.
_FALLBACK_LIFETIME = dt.timedelta(hours=1)


def azure_app(client_id: str, client_secret: Secret, redirect_uri: str) -> AzureApp:
    """spnkr's app object. (Its dataclass repr shows the secret: never log it.)"""
    return AzureApp(client_id, client_secret.reveal(), redirect_uri)


def extract_code(pasted: str) -> str:
    """The authorization code from what the user pasted: the code itself, or the
    whole redirect URL (``https://localhost/?code=M.C1_...&state=...``).

    Raises:
        ConfigError: nothing usable was pasted, or the URL carries an error.
    """
    import urllib.parse

    text = pasted.strip()
    if "code=" in text or "error=" in text:
        query = urllib.parse.urlsplit(text).query or text.split("?", 1)[-1]
        values = urllib.parse.parse_qs(query)
        if "error" in values:
            detail = values.get("error_description", values["error"])[0]
            raise ConfigError(f"the sign-in page returned an error: {detail}")
        codes = values.get("code")
        if codes and codes[0].strip():
            return codes[0].strip()
        raise ConfigError("the pasted URL has no code= parameter")
    if not text or any(c.isspace() for c in text):
        raise ConfigError("paste the code (or the whole address the browser was sent to)")
    return text


@dataclass(frozen=True)
class SignIn:
    """The result of the sign-in chain. `refresh_token` is the new (rotated) one."""

    spartan_token: Secret
    clearance_token: Secret | None
    expires_at: dt.datetime
    refresh_token: Secret | None
    xuid: str | None = None
    gamertag: str | None = None


def _spartan_expiry(raw: dict[str, Any], now: dt.datetime) -> dt.datetime:
    """ExpiresUtc.ISO8601Date (7 fraction digits in the wild), else TokenDuration."""
    try:
        when = parse_timestamp(str(raw["ExpiresUtc"]["ISO8601Date"]).strip())
    except (KeyError, TypeError):
        when = None
    if when is not None:
        return when
    match = re.fullmatch(r"PT(\d+(?:\.\d+)?)S", str(raw.get("TokenDuration", "")))
    if match:
        return now + dt.timedelta(seconds=float(match.group(1)))
    return now + _FALLBACK_LIFETIME


async def sign_in(
    session: WaypointSession,
    app: AzureApp,
    *,
    refresh_token: Secret | None = None,
    code: str | None = None,
    with_identity: bool = False,
) -> SignIn:
    """Run the sign-in chain from a refresh token, or from an authorization code.

    Args:
        with_identity: also ask the Xbox audience's XSTS token for the signed-in
            gamertag and xuid (one request more; `levelup auth` shows them).

    Raises:
        AuthError: a step was refused, failed after retries, or answered nonsense.
    """
    if (refresh_token is None) == (code is None):
        raise ValueError("give exactly one of refresh_token and code")
    try:
        return await _chain(session, app, refresh_token, code, with_identity)
    except FatalSourceError:  # refused, or the sign-in service unreachable: as it is
        raise
    except SourceError as exc:
        raise AuthError(f"could not sign in to Halo Waypoint: {exc}") from None
    except OAuth2Error:
        raise AuthError(
            "the Microsoft sign-in refused the request: run `levelup auth` again"
        ) from None
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise AuthError(
            f"unexpected answer during sign-in ({type(exc).__name__}); "
            "try again, or run `levelup auth`"
        ) from None


def _kept(value: str) -> str:
    """`value`, remembered as a secret so that `scrub` blanks it from any message."""
    remember_secret(value)
    return value


async def _chain(
    session: Any,  # a WaypointSession where spnkr's functions expect an aiohttp session
    app: AzureApp,
    refresh_token: Secret | None,
    code: str | None,
    with_identity: bool,
) -> SignIn:
    """The chain's steps: OAuth, Xbox user token, XSTS (Halo audience), spartan, clearance."""
    now = dt.datetime.now(dt.UTC)
    if code is not None:
        token = await oauth.request_oauth_token(session, _kept(code), app)
    else:
        assert refresh_token is not None
        token = await oauth.refresh_oauth_token(session, refresh_token.reveal(), app)
    access = _kept(token.access_token)
    new_refresh = token.raw.get("refresh_token")
    rotated = Secret(new_refresh) if isinstance(new_refresh, str) and new_refresh else None
    user = _kept((await xbox.request_user_token(session, access)).token)
    xuid, gamertag = await _identity(session, user) if with_identity else (None, None)
    halo_xsts = await xbox.request_xsts_token(session, user, XSTS_V3_HALO_AUDIENCE)
    spartan = await halo.request_spartan_token(session, _kept(halo_xsts.token))
    spartan_token = Secret(spartan.token)
    clearance = await halo.request_clearance_token(session, spartan.token)
    return SignIn(
        spartan_token=spartan_token,
        clearance_token=Secret(clearance.token) if clearance.token else None,
        expires_at=_spartan_expiry(spartan.raw, now),
        refresh_token=rotated,
        xuid=xuid,
        gamertag=gamertag,
    )


async def _identity(session: Any, user_token: str) -> tuple[str | None, str | None]:
    """The signed-in player's xuid and gamertag, from the Xbox audience's XSTS token."""
    xsts = await xbox.request_xsts_token(session, user_token, XSTS_V3_XBOX_AUDIENCE)
    _kept(xsts.token)
    xuid, gamertag = xsts.xui.get("xid"), xsts.xui.get("gtg")
    return (str(xuid) if xuid else None, str(gamertag) if gamertag else None)


class TokenManager:
    """Keeps the session's spartan and clearance headers valid; see the module docstring."""

    def __init__(self, session: WaypointSession, credentials: Credentials) -> None:
        """Attach to `session` (``session.tokens = self``)."""
        self._session = session
        self.credentials = credentials
        self.refresh_margin = DEFAULT_REFRESH_MARGIN
        self._refresh_token = credentials.refresh_token
        self._spartan: Secret | None = None
        self._clearance: Secret | None = None
        self._needs_clearance = False
        self.expires_at: dt.datetime | None = None
        self._renew_at: dt.datetime | None = None
        self._generation = 0
        self._lock = asyncio.Lock()
        self.renewals = 0
        if credentials.mode == "tokens":
            assert credentials.spartan_token is not None
            self._spartan = credentials.spartan_token
            self._clearance = credentials.clearance_token
            self._needs_clearance = credentials.clearance_token is None
            session.set_tokens(
                self._spartan.reveal(),
                self._clearance.reveal() if self._clearance else None,
            )
        session.tokens = self

    def __repr__(self) -> str:
        return (
            f"<TokenManager mode={self.credentials.mode} generation={self._generation} "
            f"expires_at={self.expires_at}>"
        )

    @property
    def generation(self) -> int:
        """Bumped at every renewal; tells a stale 401 from a fresh one."""
        return self._generation

    @property
    def can_renew(self) -> bool:
        return self.credentials.mode == "azure"

    def _fresh(self) -> bool:
        if self._spartan is None or self._needs_clearance:
            return False
        if self._renew_at is None:
            return True
        return dt.datetime.now(dt.UTC) < self._renew_at

    async def ensure_fresh(self) -> None:
        """Sign in on first use; renew a token that expires within `refresh_margin`."""
        if self._fresh():
            return
        async with self._lock:
            if self._fresh():
                return
            if self.credentials.mode == "tokens":
                await self._fetch_clearance()
            else:
                first = self._spartan is None
                await self._renew("signing in" if first else "the spartan token expires soon")

    async def handle_unauthorized(self, generation: int) -> None:
        """A Halo request sent with token `generation` got 401: renew it (once per
        generation), or raise `AuthError` when it cannot be renewed."""
        async with self._lock:
            if generation != self._generation:
                return  # another request renewed it already
            if not self.can_renew:
                raise AuthError(
                    f"the Halo Waypoint service refused ${ENV_SPARTAN_TOKEN} (expired or "
                    "revoked); a raw token cannot be renewed: run `levelup auth` to sign in "
                    "with an Azure app, which renews tokens by itself"
                )
            await self._renew("the service refused the spartan token (HTTP 401)")

    async def _fetch_clearance(self) -> None:
        assert self._spartan is not None
        try:
            clearance = await halo.request_clearance_token(
                self._session,  # type: ignore[arg-type]
                self._spartan.reveal(),
            )
            value = Secret(clearance.token)
        except FatalSourceError:
            raise
        except SourceError as exc:
            raise AuthError(f"could not get a clearance token: {exc}") from None
        except (KeyError, TypeError, ValueError):
            raise AuthError("unexpected clearance token answer; run `levelup auth`") from None
        self._clearance = value
        self._needs_clearance = False
        self._session.set_tokens(self._spartan.reveal(), value.reveal())

    def _current_refresh_token(self) -> Secret:
        """The refresh token to use now: the file's, if another process rotated it."""
        assert self._refresh_token is not None
        if self.credentials.refresh_token_from_file:
            try:
                stored = read_config_file(self.credentials.config_file).get("refresh_token")
            except ConfigError:
                stored = None
            if isinstance(stored, str) and stored.strip():
                return Secret(stored.strip())
        return self._refresh_token

    async def _renew(self, why: str) -> None:
        creds = self.credentials
        assert creds.client_id and creds.client_secret is not None
        log.info("Halo Waypoint sign-in: %s", why)
        app = azure_app(creds.client_id, creds.client_secret, creds.redirect_uri)
        result = await sign_in(self._session, app, refresh_token=self._current_refresh_token())
        if result.refresh_token is not None:
            self._refresh_token = result.refresh_token
            if creds.refresh_token_from_file:
                try:
                    update_config_file(creds.config_file, {"refresh_token": result.refresh_token})
                except ConfigError as exc:
                    log.warning("the new refresh token could not be saved: %s", exc)
                else:
                    log.info("saved the rotated refresh token in %s", creds.config_file)
        self._spartan = result.spartan_token
        self._clearance = result.clearance_token
        self.expires_at = result.expires_at
        lifetime = result.expires_at - dt.datetime.now(dt.UTC)
        if lifetime <= dt.timedelta(0):
            # Expired at issue: the local clock is probably wrong. Use the token
            # until the service refuses it rather than signing in before each request.
            log.warning(
                "the spartan token expires at %s, before now: is the system clock right?",
                result.expires_at.isoformat(),
            )
            self._renew_at = None
        else:
            # Renew `refresh_margin` early, or half-way for a token shorter-lived than that.
            self._renew_at = result.expires_at - min(self.refresh_margin, lifetime / 2)
        self._session.set_tokens(
            result.spartan_token.reveal(),
            result.clearance_token.reveal() if result.clearance_token else None,
        )
        self._generation += 1
        self.renewals += 1

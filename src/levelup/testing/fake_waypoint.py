"""A local fake of the Halo Waypoint services, for tests and benchmarks.

The real client (spnkr plus our retries, pacing and token refresh) is only
trustworthy if it is exercised over real HTTP, with real failures. This server
serves a `RecordedDirectory` on the real API paths, issues and checks tokens the
way the sign-in chain does, and injects faults on demand. Every document
endpoint described in `levelup.sources.endpoints` is served from its
description (one generic route each); only computed answers (history, counts,
profiles) and the sign-in chain have their own handlers.

Routing: host H's path P is served at ``http://127.0.0.1:PORT/H/P`` (aiohttp's
router); one middleware logs each request and applies the hidden rate limit, the
injected faults and the token check. A client rewrites ``https://H[:443]/P?q`` to
``host_map()[H] + "/P?q"`` (`levelup.sources.http.rewrite_url`).

Usage::

    async with FakeWaypoint(recorded_dir) as fake:       # in async code
        ...
    fake = FakeWaypoint.start_in_thread(recorded_dir)    # in sync code
    try: ... finally: fake.stop()

or, for subprocess tests, ``python -m levelup.testing.fake_waypoint DIR [--port N]``,
which prints ``{"host_map": {...}}`` on one line and serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import math
import os
import re
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

import orjson
from aiohttp import web

from levelup.errors import LevelUpError, PlayerNotFoundError, UsageError
from levelup.sources.base import MatchNotFoundError, PlayerIdentity, normalize_xuid
from levelup.sources.endpoints import (
    ALL_HOSTS,
    ENDPOINTS,
    HALO_HOSTS,
    HALOSTATS,
    LOGIN,
    MATCH_COUNT,
    PROFILE,
    SETTINGS,
    USER_AUTH,
    XSTS,
    Endpoint,
    players_answer,
)
from levelup.sources.http import SPARTAN_HEADER, rewrite_url
from levelup.sources.recorded import MAX_PAGE_SIZE, RecordedDirectory

__all__ = [
    "ALL_HOSTS",
    "FAULT_KINDS",
    "HALO_HOSTS",
    "FakeWaypoint",
    "Fault",
    "RequestRecord",
    "TokenBucket",
    "rewrite_url",
]

XBOX_RELYING_PARTY = "http://xboxlive.com"
HALO_RELYING_PARTY = "https://prod.xsts.halowaypoint.com/"
_CLEARANCE_PATH = "/oban/flight-configurations/titles/hi/audiences/RETAIL"
# The described endpoints served as recorded (the match count has its own handler).
_RECORDED = tuple(e for e in ENDPOINTS if e is not MATCH_COUNT)

FaultKind = Literal["429", "500", "503", "404_then_ok", "slow", "truncated", "401"]
FAULT_KINDS: tuple[str, ...] = ("429", "500", "503", "404_then_ok", "slow", "truncated", "401")


@dataclass
class Fault:
    """A failure the fake injects into matching requests.

    Attributes:
        path: regex searched (`re.search`) in the request path without the host
            prefix, e.g. ``r"/hi/matches/.*/stats"``.
        kind: "429" (with a Retry-After header when `retry_after` is set), "500",
            "503", "404_then_ok" (404 the first `times` requests of each distinct
            path, then the normal answer), "slow" (wait `delay` seconds, then the
            normal answer), "truncated" (a 200 whose JSON body is cut in half, with
            a Content-Length matching the cut body), "401" (whatever the token).
        times: how many requests the fault applies to; None means forever.
        per_path: count `times` per distinct path (True) or over all matching
            requests (False). None means True for "404_then_ok", False otherwise.
        retry_after: seconds for the Retry-After header of "429" (fractions allowed,
            so tests stay fast; written as an integer when whole).
        delay: seconds to wait for "slow".
        match_ids: only requests whose path has one of these ids as a segment.

    Faults are consumed in order: a request gets the first fault that matches it
    and still has uses left; one fault at most per request.
    """

    path: str
    kind: FaultKind
    times: int | None = 1
    per_path: bool | None = None
    retry_after: float | None = None
    delay: float = 0.0
    match_ids: Collection[str] | None = None
    applied: int = field(default=0, init=False)
    _regex: re.Pattern[str] = field(init=False, repr=False)
    _used_by_path: dict[str, int] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}: expected one of {FAULT_KINDS}")
        if self.times is not None and self.times < 0:
            raise ValueError("times must be >= 0 or None")
        self._regex = re.compile(self.path)
        if self.match_ids is not None:
            self.match_ids = frozenset(self.match_ids)

    @property
    def counts_per_path(self) -> bool:
        """Whether `times` is counted per distinct path (see `per_path`)."""
        return self.per_path if self.per_path is not None else self.kind == "404_then_ok"

    def _matches(self, path: str) -> bool:
        if not self._regex.search(path):
            return False
        return self.match_ids is None or not set(self.match_ids).isdisjoint(path.split("/"))

    def reply(self) -> web.Response:
        """The answer that replaces the normal one ("slow" and "truncated" have none)."""
        if self.kind == "404_then_ok":
            return _error(404, "not found (injected)")
        if self.kind != "429":  # "500", "503", "401"
            return _error(int(self.kind), f"injected {self.kind}")
        reply = _error(429, "rate limit exceeded (injected)")
        if self.retry_after is not None:
            seconds = self.retry_after
            whole = float(seconds).is_integer()
            reply.headers["Retry-After"] = str(int(seconds)) if whole else str(seconds)
        return reply

    def _take(self, path: str) -> bool:
        """Consume one use for `path`; False when no use is left."""
        if self.counts_per_path:
            used = self._used_by_path.get(path, 0)
            if self.times is not None and used >= self.times:
                return False
            self._used_by_path[path] = used + 1
        elif self.times is not None and self.applied >= self.times:
            return False
        self.applied += 1
        return True


@dataclass
class RequestRecord:
    """One request the fake received. `status` is set before the response is sent."""

    start: float  # time.monotonic() when the request arrived
    method: str
    host: str
    path: str  # without the host prefix
    query: str  # raw query string
    status: int | None = None
    end: float | None = None
    fault: str | None = None  # kind of the fault applied, if any
    retry_after: float | None = None  # seconds a 429 of the rate limit said to wait


class TokenBucket:
    """A server-side rate limit the client cannot see: `rate` tokens a second, at
    most `burst` saved up. A request takes a token or is answered 429 with a
    Retry-After of the time until the next token (fractions of a second, rounded
    up to the hundredth, so that a client that waits for it is answered)."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        if not rate > 0:
            raise ValueError("the rate limit must be positive")
        self.rate = float(rate)
        self.burst = float(burst) if burst is not None else max(1.0, self.rate / 4)
        if self.burst < 1:
            raise ValueError("the burst must hold at least one token")
        self._tokens = self.burst
        self._at = time.monotonic()
        self.limited = 0

    def take(self, now: float) -> float | None:
        """None when a token was taken, else the seconds until one is available."""
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        self.limited += 1
        return max(0.01, math.ceil((1 - self._tokens) / self.rate * 100) / 100)


def _json_reply(data: Any, status: int = 200) -> web.Response:
    return _body_reply(orjson.dumps(data), status)


def _body_reply(body: bytes, status: int = 200) -> web.Response:
    return web.Response(status=status, body=body, content_type="application/json", charset="utf-8")


def _error(status: int, message: str, code: str | None = None) -> web.Response:
    """An error body shaped like the Halo services' (status, title, detail)."""
    title = HTTPStatus(status).phrase
    body: dict[str, Any] = {"status": status, "title": title, "detail": message}
    if code:
        body["code"] = code
    return _json_reply(body, status)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _oauth_error(error: str, description: str) -> web.Response:
    """A 400 shaped like the Microsoft token endpoint's."""
    return _json_reply({"error": error, "error_description": description}, 400)


def _xbox_token(token: str, lifetime: dt.timedelta, claims: dict[str, Any]) -> web.Response:
    """A user or XSTS token answer shaped like the Xbox services'."""
    now = dt.datetime.now(dt.UTC)
    return _json_reply(
        {
            "IssueInstant": _iso(now),
            "NotAfter": _iso(now + lifetime),
            "Token": token,
            "DisplayClaims": {"xui": [claims]},
        }
    )


_Handler = Callable[[web.Request], Awaitable[web.Response]]


class FakeWaypoint:
    """The fake Halo Waypoint server. See the module docstring for usage.

    Token rules: Halo hosts (halostats, profile, discovery) and the clearance
    endpoint answer 401 unless ``x-343-authorization-spartan`` carries a spartan
    token the fake issued (or was told to accept) that has neither expired nor
    been invalidated by `expire_tokens`. ``343-clearance`` is accepted, not required.
    The sign-in chain checks that each step gets a token from the previous one.
    """

    port: int | None = None  # once started
    _runner: web.AppRunner | None = None
    _loop: asyncio.AbstractEventLoop | None = None  # with start_in_thread
    _thread: threading.Thread | None = None
    _sign_in_routes: frozenset[web.AbstractRoute] = frozenset()

    def __init__(
        self,
        directory: str | os.PathLike[str] | RecordedDirectory,
        *,
        port: int = 0,
        spartan_lifetime: dt.timedelta = dt.timedelta(hours=4),
        strict_refresh_tokens: bool = False,
        rate_limit: float | None = None,
        rate_burst: float | None = None,
    ) -> None:
        """Prepare the server (it starts with `start`, `async with` or `start_in_thread`).

        Args:
            directory: the recorded directory to serve.
            port: 0 picks a free port (on 127.0.0.1).
            spartan_lifetime: lifetime of issued spartan tokens (ExpiresUtc = now +
                this); a negative value issues already-expired tokens. Can be
                changed later through the attribute of the same name.
            strict_refresh_tokens: when True, an OAuth refresh token is accepted
                only if the fake issued it (or `accept_refresh_token` registered
                it) and it has not been used yet, so a client that does not save
                the rotated token fails its next sign-in. When False, any
                non-revoked refresh token works.
            rate_limit: requests per second the Halo hosts accept, over all of them
                (a hidden token bucket, see `TokenBucket`); None: no limit.
            rate_burst: tokens the bucket saves up (default a quarter second's).

        Raises:
            ConfigError: the directory is not a recorded directory.
        """
        self.directory = (
            directory if isinstance(directory, RecordedDirectory) else RecordedDirectory(directory)
        )
        self.spartan_lifetime = spartan_lifetime
        self.strict_refresh_tokens = strict_refresh_tokens
        self._port = port
        self._signed_in: PlayerIdentity | None = None  # the first named player, once asked
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._faults: list[Fault] = []
        self._counter = itertools.count(1)
        self._spartan: dict[str, dt.datetime | None] = {}  # token -> expiry (None: never)
        self._access_tokens: set[str] = set()
        self._user_tokens: set[str] = set()
        self._halo_xsts_tokens: set[str] = set()
        self._live_refresh_tokens: set[str] = set()
        self._revoked_refresh_tokens: set[str] = set()
        self.issued_refresh_tokens: list[str] = []
        self.issued_spartan_tokens: list[str] = []
        self.bucket = TokenBucket(rate_limit, rate_burst) if rate_limit else None

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> FakeWaypoint:
        """Bind and start serving on the running event loop."""
        if self._runner is not None:
            raise RuntimeError("FakeWaypoint is already started")

        @web.middleware
        async def middleware(request: web.Request, handler: _Handler) -> web.StreamResponse:
            """Every request goes through `_dispatch` (log, rate limit, faults, token
            check), which ends in the matched handler (`_route`: ``request.match_info``)."""
            return await self._dispatch(request)

        app = web.Application(client_max_size=4 * 1024 * 1024, middlewares=[middleware])
        self._add_routes(app.router)
        # A short shutdown timeout: "slow" faults must not hold up stop().
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self._port)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        return self

    async def close(self) -> None:
        """Stop serving (in-flight requests are cut after half a second)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeWaypoint:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @classmethod
    def start_in_thread(
        cls, directory: str | os.PathLike[str] | RecordedDirectory, **kwargs: Any
    ) -> FakeWaypoint:
        """Start a server on its own event loop in a daemon thread, for sync code.

        Keyword arguments are those of the constructor. Call `stop` when done (or
        use the returned object as a context manager).
        """
        fake = cls(directory, **kwargs)
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            # The runner's exit cancels the handlers still in flight (a "slow" fault a
            # client gave up on) and waits for them, as `asyncio.run` does: a loop closed
            # with them pending leaves "Task was destroyed but it is pending!" at exit.
            with asyncio.Runner(loop_factory=lambda: loop) as runner:
                try:
                    runner.run(fake.start())
                except BaseException as exc:  # reported to the caller below
                    failure.append(exc)
                    ready.set()
                    return
                ready.set()
                try:
                    loop.run_forever()
                finally:
                    runner.run(fake.close())

        thread = threading.Thread(target=run, name="fake-waypoint", daemon=True)
        thread.start()
        if not ready.wait(30):
            raise RuntimeError("FakeWaypoint did not start within 30 s")
        if failure:
            raise failure[0]
        fake._loop = loop
        fake._thread = thread
        return fake

    def stop(self) -> None:
        """Stop a server started by `start_in_thread` and join its thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            raise RuntimeError("stop() is for servers started with start_in_thread()")
        self._loop = self._thread = None
        if not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        thread.join(10)

    def __enter__(self) -> FakeWaypoint:
        if self._thread is None:
            raise RuntimeError("use FakeWaypoint.start_in_thread(...) in a `with` statement")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (only once started)."""
        if self.port is None:
            raise RuntimeError("FakeWaypoint is not started")
        return f"http://127.0.0.1:{self.port}"

    def host_map(self) -> dict[str, str]:
        """``{host: "http://127.0.0.1:PORT/host"}`` for every host the fake serves."""
        return {h: f"{self.base_url}/{h}" for h in ALL_HOSTS}

    def rewrite(self, url: str) -> str:
        """`rewrite_url` with this server's host map."""
        return rewrite_url(url, self.host_map())

    # ------------------------------------------------------------ test controls

    def add_fault(self, fault: Fault) -> Fault:
        """Queue a fault (after the ones already queued); returns it for inspection."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every queued fault."""
        with self._lock:
            self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """A snapshot of the queued faults (with their `applied` counts)."""
        with self._lock:
            return list(self._faults)

    def expire_tokens(self) -> None:
        """Invalidate every spartan token issued or accepted so far (the next Halo
        request with one of them gets 401); tokens issued later are valid."""
        with self._lock:
            self._spartan.clear()

    def accept_token(self, token: str, expires_at: dt.datetime | None = None) -> None:
        """Treat `token` as a valid spartan token (until `expires_at`, if given)."""
        with self._lock:
            self._spartan[token] = expires_at

    def accept_refresh_token(self, token: str) -> None:
        """Register an OAuth refresh token (needed first with `strict_refresh_tokens`)."""
        with self._lock:
            self._live_refresh_tokens.add(token)
            self._revoked_refresh_tokens.discard(token)

    def revoke_refresh_token(self, token: str) -> None:
        """Make the OAuth endpoint refuse `token` with 400 invalid_grant."""
        with self._lock:
            self._revoked_refresh_tokens.add(token)
            self._live_refresh_tokens.discard(token)

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of every request received so far, in arrival order."""
        with self._lock:
            return list(self._records)

    def reset_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._records.clear()

    def count(
        self, path_regex: str, status: int | None = None, *, method: str | None = None
    ) -> int:
        """How many requests had a path matching `path_regex` (`re.search`), and
        `status`/`method` when given."""
        regex = re.compile(path_regex)
        return sum(
            1
            for r in self.requests
            if regex.search(r.path)
            and (status is None or r.status == status)
            and (method is None or r.method == method.upper())
        )

    def start_times(self, path_regex: str) -> list[float]:
        """Monotonic arrival times of the requests whose path matches, in order."""
        regex = re.compile(path_regex)
        return sorted(r.start for r in self.requests if regex.search(r.path))

    # ------------------------------------------------------------ dispatch

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        """Every endpoint on its real path under ``/<host>``. Every route needs a
        valid spartan token except the sign-in chain's, which issue the tokens."""
        guarded = [
            ("GET", HALOSTATS, "/hi/players/{player}/matches", self._history),
            ("GET", HALOSTATS, MATCH_COUNT.path, self._count),
            ("GET", PROFILE, "/users", self._users),
            ("GET", PROFILE, "/users/{user}", self._user),
            *(("GET", e.host, e.path, self._document_handler(e)) for e in _RECORDED),
            ("GET", SETTINGS, f"{_CLEARANCE_PATH}/active", self._clearance),
            ("GET", SETTINGS, f"{_CLEARANCE_PATH}/players/{{player}}/active", self._clearance),
        ]
        sign_in = [
            ("POST", SETTINGS, "/spartan-token", self._spartan_token),
            ("POST", LOGIN, "/oauth20_token.srf", self._oauth_token),
            ("POST", USER_AUTH, "/user/authenticate", self._user_token),
            ("POST", XSTS, "/xsts/authorize", self._xsts_token),
        ]
        for method, host, path, handler in guarded:
            router.add_route(method, f"/{host}{path}", handler)
        self._sign_in_routes = frozenset(
            router.add_route(method, f"/{host}{path}", handler)
            for method, host, path, handler in sign_in
        )

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault._matches(path) and fault._take(path):
                    return fault
        return None

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        """The middleware's work on every request: log it, then answer it (a bug in
        the fake still answers, with a 500 saying what happened)."""
        _, _, rest = request.path.partition("/")
        host, slash, tail = rest.partition("/")
        path = slash + tail if slash else "/"
        record = RequestRecord(time.monotonic(), request.method, host, path, request.query_string)
        with self._lock:
            self._records.append(record)
        try:
            reply = await self._answer(request, record)
        except Exception as exc:
            reply = _error(500, f"fake server error: {type(exc).__name__}: {exc}")
        record.status = reply.status
        record.end = time.monotonic()
        return reply

    def _rate_limited(self, record: RequestRecord) -> web.Response | None:
        if record.host not in HALO_HOSTS:
            return None
        with self._lock:
            bucket = self.bucket
            wait = bucket.take(record.start) if bucket is not None else None
        if wait is None:
            return None
        record.fault = "rate_limit"
        record.retry_after = wait
        reply = _error(429, "rate limit exceeded")
        reply.headers["Retry-After"] = f"{wait:g}"
        return reply

    async def _answer(self, request: web.Request, record: RequestRecord) -> web.Response:
        """The hidden rate limit first, then the first fault that applies, then the route."""
        limited = self._rate_limited(record)
        if limited is not None:
            return limited
        method, host, path = record.method, record.host, record.path
        fault = self._take_fault(path)
        if fault is not None:
            record.fault = fault.kind
            if fault.kind == "slow":
                await asyncio.sleep(fault.delay)
            elif fault.kind != "truncated":
                return fault.reply()
        reply = await self._route(request, method, host, path)
        if fault is not None and fault.kind == "truncated":
            return _body_reply(reply.body[: len(reply.body) // 2])
        return reply

    async def _route(self, request: web.Request, method: str, host: str, path: str) -> web.Response:
        """The answer of the route aiohttp's router found, once its token is checked."""
        if host not in ALL_HOSTS:
            return _error(404, f"unknown host {host!r}: the fake serves {', '.join(ALL_HOSTS)}")
        found = request.match_info
        if found.http_exception is not None:
            if found.http_exception.status == 405:
                return _error(405, f"{method} not allowed on {path}")
            return _error(404, f"no such endpoint: {host}{path}")
        if found.route not in self._sign_in_routes:
            denied = self._check_spartan(request)
            if denied is not None:
                return denied
        return await found.handler(request)

    def _check_spartan(self, request: web.Request) -> web.Response | None:
        token = request.headers.get(SPARTAN_HEADER)
        if not token:
            return _error(401, f"missing {SPARTAN_HEADER} header", "MissingToken")
        with self._lock:
            known = token in self._spartan
            expiry = self._spartan.get(token)
        if not known:
            return _error(401, "unknown or invalidated spartan token", "InvalidToken")
        if expiry is not None and expiry <= dt.datetime.now(dt.UTC):
            return _error(401, "expired spartan token", "ExpiredToken")
        return None

    # ------------------------------------------------------------ halo endpoints

    def _player_xuid(self, player: str) -> str:
        """Digits of a history path's player: ``xuid(N)`` or a gamertag."""
        if player.lower().startswith("xuid("):
            return normalize_xuid(player.lower())
        try:
            return self.directory.find_player(gamertag=player).xuid
        except PlayerNotFoundError:
            if player.isdigit():  # lenient: bare digits are taken as an xuid
                return player
            raise

    async def _player_answer(
        self, request: web.Request, answer: Callable[[str], Any]
    ) -> web.Response:
        """`answer(xuid)` for the path's player, in a worker thread: it may build the
        match index (seconds on a big directory), and the loop keeps answering."""
        try:
            xuid = await asyncio.to_thread(self._player_xuid, request.match_info["player"])
            return _json_reply(await asyncio.to_thread(answer, xuid))
        except PlayerNotFoundError as exc:
            return _error(404, str(exc))
        except (UsageError, ValueError) as exc:
            return _error(400, str(exc))

    async def _history(self, request: web.Request) -> web.Response:
        query = request.query
        try:
            start = int(query.get("start", "0"))
            count = min(int(query.get("count", str(MAX_PAGE_SIZE))), MAX_PAGE_SIZE)
        except ValueError:
            return _error(400, "start and count must be integers")
        match_type = query.get("type", "all")
        return await self._player_answer(
            request, lambda xuid: self.directory.history_page(xuid, start, count, match_type)
        )

    async def _count(self, request: web.Request) -> web.Response:
        """The recorded count when the directory records counts (`MATCH_COUNT`), else
        one computed from its history: the real service always has a count."""
        if self.directory.has_service(MATCH_COUNT):
            return await self._document_handler(MATCH_COUNT)(request)
        return await self._player_answer(request, self.directory.match_counts)

    async def _users(self, request: web.Request) -> web.Response:
        raw: list[str] = []
        for value in request.query.getall("xuids", []):
            raw.extend(v for v in value.split(",") if v.strip())
        if not raw:
            return _error(400, "the xuids parameter is required")
        try:
            xuids = [normalize_xuid(v) for v in raw]
        except ValueError as exc:
            return _error(400, str(exc))
        return _json_reply(self.directory.profiles(xuids))

    async def _user(self, request: web.Request) -> web.Response:
        user = request.match_info["user"]
        lowered = user.lower()
        try:
            if lowered == "me":
                xuid = self._signed_in_identity().xuid
            elif lowered.startswith("gt(") and user.endswith(")"):
                xuid = self.directory.find_player(gamertag=user[3:-1]).xuid
            else:
                xuid = normalize_xuid(lowered)
        except PlayerNotFoundError as exc:
            return _error(404, str(exc))
        except ValueError as exc:
            return _error(400, str(exc))
        found = self.directory.profiles([xuid])
        if not found:
            return _error(404, f"no profile for {user}")
        return _json_reply(found[0])

    def _document_handler(self, endpoint: Endpoint) -> _Handler:
        """The handler of a described endpoint: its recorded body, or 404.

        Per-player endpoints answer only the players named in `players=`
        (every one must be an xuid: the skill service rejects bots' ids).
        """

        async def handler(request: web.Request) -> web.Response:
            players: list[str] = []
            if endpoint.per_player:
                raw = [v for value in request.query.getall("players", []) for v in value.split(",")]
                if not raw:
                    return _error(400, "the players parameter is required")
                try:
                    players = [normalize_xuid(v) for v in raw]
                except ValueError as exc:
                    return _error(400, f"players: {exc}")
            try:
                body = self.directory.document(endpoint, **request.match_info)
            except MatchNotFoundError as exc:
                return _error(404, str(exc), "NotFound")
            except LevelUpError as exc:
                return _error(500, str(exc))
            if body is None:
                return _error(404, f"the recorded directory has no {endpoint.name} service")
            if endpoint.per_player:
                body = players_answer(body, players)
            return _body_reply(body)

        return handler

    # ------------------------------------------------------------ sign-in chain

    def _next(self, prefix: str) -> str:
        return f"{prefix}-{next(self._counter)}"

    def _signed_in_identity(self) -> PlayerIdentity:
        if self._signed_in is None:
            named = [p for p in self.directory.players() if p.gamertag]
            self._signed_in = named[0] if named else PlayerIdentity("2533274800000001", "FakeUser")
        return self._signed_in

    async def _oauth_token(self, request: web.Request) -> web.Response:
        form = await request.post()
        grant = str(form.get("grant_type", ""))
        if not form.get("client_id"):
            return _oauth_error("invalid_client", "no client_id")
        if grant == "refresh_token":
            used = str(form.get("refresh_token", ""))
            with self._lock:
                refused = not used or used in self._revoked_refresh_tokens
                if self.strict_refresh_tokens and used not in self._live_refresh_tokens:
                    refused = True
                if not refused and self.strict_refresh_tokens:
                    self._live_refresh_tokens.discard(used)  # single use: rotation
            if refused:
                return _oauth_error("invalid_grant", "refresh token refused")
        elif grant == "authorization_code":
            if not form.get("code"):
                return _oauth_error("invalid_request", "no code")
        else:
            return _json_reply({"error": "unsupported_grant_type"}, 400)
        access, refresh = self._next("fake-access"), self._next("fake-refresh")
        with self._lock:
            self._access_tokens.add(access)
            self._live_refresh_tokens.add(refresh)
            self.issued_refresh_tokens.append(refresh)
        return _json_reply(
            {
                "token_type": "bearer",
                "expires_in": 3600,
                "scope": str(form.get("scope", "Xboxlive.signin Xboxlive.offline_access")),
                "access_token": access,
                "refresh_token": refresh,
                "user_id": "fake-user-id",
            }
        )

    @staticmethod
    async def _json_body(request: web.Request) -> dict[str, Any]:
        try:
            data = await request.json(loads=orjson.loads)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    async def _user_token(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        ticket = str((body.get("Properties") or {}).get("RpsTicket", ""))
        access = ticket.split("=", 1)[1] if ticket[:2] in ("d=", "t=") else ticket
        with self._lock:
            ok = access in self._access_tokens
        if not ok:
            return _error(401, "unknown access token in RpsTicket")
        token = self._next("fake-user")
        with self._lock:
            self._user_tokens.add(token)
        return _xbox_token(token, dt.timedelta(days=14), {"uhs": "fakeuserhash"})

    async def _xsts_token(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        properties = body.get("Properties") or {}
        user_tokens = properties.get("UserTokens") or []
        with self._lock:
            ok = bool(user_tokens) and user_tokens[0] in self._user_tokens
        if not ok:
            return _error(401, "unknown user token")
        relying_party = body.get("RelyingParty")
        if relying_party == XBOX_RELYING_PARTY:
            ident = self._signed_in_identity()
            token = self._next("fake-xsts-xbox")
            claims = {"gtg": ident.gamertag, "xid": ident.xuid, "uhs": "fakeuserhash"}
        elif relying_party == HALO_RELYING_PARTY:
            token = self._next("fake-xsts-halo")
            claims = {"uhs": "fakeuserhash"}  # the Halo audience carries no gamertag
            with self._lock:
                self._halo_xsts_tokens.add(token)
        else:
            return _error(400, f"unknown relying party {relying_party!r}")
        return _xbox_token(token, dt.timedelta(hours=16), claims)

    async def _spartan_token(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        proofs = body.get("Proof") or []
        proof = proofs[0] if proofs and isinstance(proofs[0], dict) else {}
        with self._lock:
            ok = proof.get("Token") in self._halo_xsts_tokens
        if not ok:
            return _error(401, "the proof is not an XSTS token for the Halo relying party")
        token = self._next("fake-spartan")
        expires = dt.datetime.now(dt.UTC) + self.spartan_lifetime
        with self._lock:
            self._spartan[token] = expires
            self.issued_spartan_tokens.append(token)
        seconds = int(self.spartan_lifetime.total_seconds())
        return _json_reply(
            {
                "SpartanToken": token,
                "ExpiresUtc": {"ISO8601Date": _iso(expires)},
                "TokenDuration": f"PT{max(seconds, 0)}S",
            }
        )

    async def _clearance(self, request: web.Request) -> web.Response:
        return _json_reply(
            {
                "FlightConfigurationId": "fake-flight-5e9f5f43-8b7a-4b0e-9f39-1f0c3a2d7e11",
                "FlightConfigurationOrigin": 1,
            }
        )


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeWaypoint(
        args.directory,
        port=args.port,
        spartan_lifetime=dt.timedelta(seconds=args.spartan_lifetime),
        rate_limit=args.rate_limit,
    )
    for token in args.accept_token:
        fake.accept_token(token)
    async with fake:
        print(json.dumps({"host_map": fake.host_map()}), flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    """Serve a recorded directory until killed; print the host map first."""
    parser = argparse.ArgumentParser(
        prog="python -m levelup.testing.fake_waypoint",
        description="Serve a recorded directory as a fake Halo Waypoint (for tests).",
    )
    parser.add_argument("directory", help="recorded-responses directory")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument(
        "--accept-token",
        action="append",
        default=[],
        metavar="TOKEN",
        help="a spartan token to accept without sign-in (repeatable)",
    )
    parser.add_argument(
        "--rate-limit",
        type=float,
        metavar="R",
        help="requests per second the Halo hosts accept (a hidden token bucket; default none)",
    )
    parser.add_argument(
        "--spartan-lifetime",
        type=float,
        default=4 * 3600,
        metavar="SECONDS",
        help="lifetime of issued spartan tokens (default: 4 h)",
    )
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve(args))
    except LevelUpError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

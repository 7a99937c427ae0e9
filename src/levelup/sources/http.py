"""The one HTTP session every Halo Waypoint request goes through, sign-in included.

`WaypointSession` is handed to spnkr in place of an ``aiohttp.ClientSession``
(spnkr only uses ``.headers``, ``get`` and ``post``). It owns one aiohttp session
(opened on first use, inside the event loop), one process-wide `RateLimiter`
(spnkr's own per-service limiter is built with a rate far above ours, so this is
the one that counts), the retries, and the counters (``counters.calls`` and
``counters.retries`` by endpoint name). Which answer is returned, retried after a
wait, renewed or fatal is decided by `classify` alone (a pure function);
`WaypointSession.request` only carries the decision out.

Every give-up raises `FetchError`, `MatchNotFoundError` or `AuthError` whose
message names the match or the URL path, never a token: headers are never put
in messages or logs, aiohttp exceptions are reduced to their type, and any
text that could echo a credential goes through `levelup.config.scrub`.

Tests (and the subprocess CLI tests) point the session at the local fake
Waypoint server with a host map, ``{"halostats.svc.halowaypoint.com":
"http://127.0.0.1:PORT/halostats.svc.halowaypoint.com", ...}``, given directly
or as JSON in ``$LEVELUP_HOST_MAP``. Only loopback targets are accepted, so a
stray variable can never send credentials to another machine.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import datetime as dt
import email.utils
import ipaddress
import logging
import math
import os
import random
import re
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import aiohttp
import orjson
from multidict import CIMultiDict, CIMultiDictProxy

from levelup.config import remember_secret, scrub
from levelup.errors import ConfigError
from levelup.sources.base import (
    AuthError,
    FetchError,
    MatchNotFoundError,
    ServiceUnreachableError,
    SourceCounters,
    SourceError,
)
from levelup.sources.endpoints import (
    DISCOVERY,
    GAMECMS,
    HALO_HOSTS,
    HALOSTATS,
    PROFILE,
    SIGN_IN_HOSTS,
    SKILL,
    endpoint_for,
)
from levelup.sources.pace import AdaptivePace, PaceSettings

if TYPE_CHECKING:
    from levelup.sources.auth import TokenManager

__all__ = [
    "HOST_MAP_ENV",
    "RECENT_404_DELAY",
    "RECENT_404_RETRIES",
    "Backoff",
    "BufferedResponse",
    "HttpStatusError",
    "NotFoundError",
    "RateLimiter",
    "WaypointSession",
    "endpoint_name",
    "host_map_from_env",
    "request_context",
    "rewrite_url",
]

log = logging.getLogger("levelup.http")

HOST_MAP_ENV = "LEVELUP_HOST_MAP"

SPARTAN_HEADER = "x-343-authorization-spartan"
CLEARANCE_HEADER = "343-clearance"
SENSITIVE_HEADERS = frozenset({SPARTAN_HEADER, CLEARANCE_HEADER, "authorization", "cookie"})

# The game's own policy for GET /hi/matches/{matchId}/stats: endpoint
# `Stats_GetMatchStats` uses retry policy `linearretry404retry` in the Halo
# settings document (the "endpoints" document served by the settings service):
# MaxRetryCount 14, RetryDelayMs 2000, RetryGrowth 1.0, RetryJitterMs 100,
# RetryIfNotFound true. A just-finished match's stats appear after a few seconds.
RECENT_404_RETRIES = 14
RECENT_404_DELAY = 2.0
RECENT_404_JITTER = 0.1
# Matches that ended less than this long ago get the 404 policy above.
RECENT_MATCH_WINDOW = dt.timedelta(hours=1)

# The skill service's `Skill_GetMatchResult` has the same policy as match stats.
_RECENT_404_ENDPOINTS = frozenset({"match_stats", "match_skill"})
_HISTORY_RE = re.compile(r"^/hi/players/[^/]+/matches$")

Sleep = Callable[[float], Awaitable[Any]]


# Counter names of the requests no described endpoint covers, by host.
_HOST_ENDPOINTS = {SKILL: "skill", PROFILE: "profile", DISCOVERY: "discovery", GAMECMS: "gamecms"}


def endpoint_name(host: str, path: str) -> str:
    """The counter name of a request: a described endpoint's name
    (`levelup.sources.endpoints`: "match_stats", "match_skill", "playlist_csr",
    ...), else "history", "profile", "discovery", "auth" (sign-in chain), "skill"
    or "stats" (other skill or halostats paths) or "other"."""
    if host in SIGN_IN_HOSTS:
        return "auth"
    described = endpoint_for(host, path)
    if described is not None:
        return described.name
    if host == HALOSTATS:
        return "history" if _HISTORY_RE.match(path) else "stats"
    return _HOST_ENDPOINTS.get(host, "other")


def rewrite_url(url: str, host_map: Mapping[str, str]) -> str:
    """``https://H[:443]/P?q`` -> ``host_map[H] + "/P?q"``; URLs of other hosts unchanged."""
    if not host_map:
        return url
    parts = urllib.parse.urlsplit(url)
    base = host_map.get(parts.hostname or "")
    if base is None:
        return url
    rewritten = base.rstrip("/") + (parts.path or "/")
    return f"{rewritten}?{parts.query}" if parts.query else rewritten


def _is_loopback(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def validate_host_map(host_map: Mapping[str, str], origin: str = "host map") -> dict[str, str]:
    """The map as a dict, checked: str -> loopback http(s) base URL.

    Raises:
        ConfigError: a key or value is not a string, or a target is not on this machine.
    """
    checked: dict[str, str] = {}
    for host, base in host_map.items():
        if not isinstance(host, str) or not isinstance(base, str):
            raise ConfigError(f"{origin}: hosts and base URLs must be strings")
        if not _is_loopback(base):
            raise ConfigError(
                f"{origin}: {host} -> {base!r} is not an http(s) URL on this machine "
                "(127.0.0.1, ::1 or localhost); the host map exists for tests only"
            )
        checked[host] = base
    return checked


def host_map_from_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``$LEVELUP_HOST_MAP`` (a JSON object host -> base URL), or {} when unset.

    Raises:
        ConfigError: the variable is not such an object.
    """
    env = os.environ if env is None else env
    raw = env.get(HOST_MAP_ENV, "").strip()
    if not raw:
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ConfigError(f"${HOST_MAP_ENV} is not valid JSON") from None
    if not isinstance(data, dict):
        raise ConfigError(f"${HOST_MAP_ENV} must be a JSON object: host -> base URL")
    return validate_host_map(data, f"${HOST_MAP_ENV}")


# ----------------------------------------------------------------- per-call context


@dataclass(frozen=True)
class RequestContext:
    """What the caller knows about a request that the URL does not say.

    Attributes:
        label: how messages name the request ("match <id>"); default: method and path.
        recent: the match ended less than an hour ago, so a 404 on its stats is
            retried on the game's policy instead of meaning "missing".
    """

    label: str | None = None
    recent: bool = False


_NO_CONTEXT = RequestContext()  # frozen: safe to share
_CONTEXT: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "levelup_request_context", default=_NO_CONTEXT
)


@contextlib.contextmanager
def request_context(label: str | None = None, recent: bool = False) -> Iterator[None]:
    """Set the `RequestContext` of the requests made inside the block (this task only)."""
    token = _CONTEXT.set(RequestContext(label=label, recent=recent))
    try:
        yield
    finally:
        _CONTEXT.reset(token)


# ----------------------------------------------------------------- pacing


class RateLimiter:
    """Paces request starts at `rate` per second and caps requests in flight.

    Starts are spaced ``1/rate`` apart. A start that wakes a little late keeps
    the cadence (up to a tenth of an interval), so the achieved rate is close to
    `rate`; after idle time nothing is saved up, so there is never a burst.
    `pause` holds every start back (a 429 says the whole client is too fast).
    With `adaptive` settings the pace moves with the answers (`answered`,
    `rate_limited`; see `levelup.sources.pace`).

    Tests replace `clock` and `sleep` (virtual time) and read `granted`, the start
    time scheduled for each of the latest requests: what the limiter decides,
    apart from how busy the machine is.
    """

    def __init__(
        self,
        rate: float,
        concurrency: int,
        *,
        adaptive: PaceSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep | None = None,
    ) -> None:
        """`adaptive` settings make the pace adaptive (`--requests-per-second auto`):
        it starts at their `start`, and `rate` is then ignored."""
        if not rate > 0 or not math.isfinite(rate):
            raise ValueError("rate must be a positive number")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = int(concurrency)
        self._clock = clock
        self._sleep: Sleep = sleep or asyncio.sleep
        self.adaptive = AdaptivePace(adaptive, clock()) if adaptive else None
        self._set_rate(self.adaptive.rate if self.adaptive else float(rate))
        self._next = 0.0
        self._semaphore: asyncio.Semaphore | None = None
        self.granted: collections.deque[float] = collections.deque(maxlen=4096)

    def _set_rate(self, rate: float) -> None:
        self.rate = rate
        self.interval = 1.0 / rate
        self._slack = self.interval * 0.1

    def answered(self, started_at: float) -> None:
        """A request that started at `started_at` was answered without a 429."""
        if self.adaptive is not None:
            self.adaptive.answered(self._clock())
            if self.adaptive.rate != self.rate:
                self._set_rate(self.adaptive.rate)

    def rate_limited(self, started_at: float) -> None:
        """A request that started at `started_at` was answered 429 (`pause` is separate)."""
        if self.adaptive is not None and self.adaptive.rate_limited(self._clock(), started_at):
            log.info("429: pace cut to %.2f requests/s", self.adaptive.rate)
            self._set_rate(self.adaptive.rate)

    def describe(self) -> dict[str, Any]:
        """The pace for reports: fixed, or what the adaptive pace found."""
        if self.adaptive is None:
            return {"mode": "fixed", "requests_per_second": self.rate}
        return {"mode": "auto", **self.adaptive.describe()}

    def pause(self, seconds: float) -> None:
        """No request starts during the next `seconds`."""
        self._next = max(self._next, self._clock() + max(0.0, seconds))

    async def _wait_turn(self) -> float:
        """Wait for this request's turn; the time it really starts."""
        while True:
            now = self._clock()
            wait = self._next - now
            if wait <= 0:
                scheduled = max(self._next, now - self._slack)
                self.granted.append(scheduled)
                self._next = scheduled + self.interval
                if self.adaptive is not None:
                    self.adaptive.started(now)
                return now
            await self._sleep(wait)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[float]:
        """Hold one in-flight slot, entered at this request's start time (yielded)."""
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.concurrency)
        async with self._semaphore:
            yield await self._wait_turn()


# ----------------------------------------------------------------- retries


@dataclass(frozen=True)
class Backoff:
    """Retry settings (tests shrink the delays; production keeps the defaults).

    Attributes:
        attempts: tries in all for one request failing with 429, 5xx, a timeout,
            a connection error or a bad body (the 401 and recent-404 retries are
            counted apart).
        base, factor, max_delay: delay before retry n is
            ``min(max_delay, base * factor ** (n - 1))``, of which a `jitter`
            fraction is drawn at random.
        max_retry_after: a longer ``Retry-After`` is cut to this.
        timeout: seconds for one attempt, connection to last byte.
        recent_404_retries, recent_404_delay: the game's policy for a just-ended
            match (see `RECENT_404_RETRIES`).
    """

    attempts: int = 6
    base: float = 0.5
    factor: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.5
    max_retry_after: float = 300.0
    timeout: float = 30.0
    recent_404_retries: int = RECENT_404_RETRIES
    recent_404_delay: float = RECENT_404_DELAY

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if min(self.base, self.max_delay, self.max_retry_after, self.recent_404_delay) < 0:
            raise ValueError("delays cannot be negative")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter is a fraction between 0 and 1")
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")

    def delay(self, retry: int, rng: random.Random) -> float:
        """Seconds to wait before retry number `retry` (1-based)."""
        raw = min(self.max_delay, self.base * self.factor ** max(0, retry - 1))
        return raw * (1 - self.jitter) + raw * self.jitter * rng.random()


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: a number (fractions allowed) or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


# ----------------------------------------------------------------- errors, responses


class HttpStatusError(FetchError):
    """A response status that retrying cannot fix (400, 404 outside match stats...)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class NotFoundError(HttpStatusError):
    """404 on an endpoint other than match stats (a profile, a discovery asset)."""


_UNSET: Any = object()


class BufferedResponse:
    """A response read whole: what spnkr (and the sign-in functions) use of aiohttp's
    (``ok``, ``read``, ``json``, ``raise_for_status``)."""

    def __init__(
        self,
        *,
        method: str,
        where: str,
        status: int,
        headers: CIMultiDictProxy[str] | CIMultiDict[str],
        body: bytes,
        data: Any = _UNSET,
    ) -> None:
        self.method = method
        self.where = where  # "host/path", no query, for messages
        self.status = status
        self.headers = CIMultiDictProxy(CIMultiDict(headers))
        self._body = body
        self._data = data

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 400

    async def read(self) -> bytes:
        return self._body

    async def json(self, **_: Any) -> Any:
        """The parsed body (arguments such as ``content_type`` are accepted and ignored)."""
        if self._data is _UNSET:
            self._data = orjson.loads(self._body)
        return self._data

    def raise_for_status(self) -> None:
        if not self.ok:
            raise HttpStatusError(f"{self.method} {self.where}: HTTP {self.status}", self.status)

    def __repr__(self) -> str:
        return f"<BufferedResponse {self.status} {self.method} {self.where} {len(self._body)} B>"


class MaskedHeaders(dict):  # type: ignore[type-arg]
    """The session's default headers; credentials are masked in its repr."""

    def __setitem__(self, key: str, value: str) -> None:
        if key.lower() in SENSITIVE_HEADERS and isinstance(value, str):
            remember_secret(value)
        super().__setitem__(key, value)

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __repr__(self) -> str:
        shown = {k: ("***" if k.lower() in SENSITIVE_HEADERS else v) for k, v in self.items()}
        return f"MaskedHeaders({shown!r})"


def _auth_error_code(body: bytes) -> str:
    """The OAuth ``error`` / Xbox ``XErr`` code of an error body, if any (never secret)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(data, dict):
        return ""
    for key in ("error", "XErr", "code"):
        value = data.get(key)
        if isinstance(value, str | int) and len(str(value)) <= 64:
            return f" {value}"
    return ""


# ----------------------------------------------------------------- classification


@dataclass
class _Call:
    """One request over all its attempts: what it is, and what it used of its retries."""

    method: str
    target: str  # the URL really requested (after the host map)
    where: str  # "host/path", no query, for messages
    endpoint: str
    label: str
    needs_token: bool
    can_renew: bool
    recent: bool
    host: str = ""
    failures: int = 0
    unconnected: int = 0  # attempts that could not connect at all (name lookup, refused)
    not_found: int = 0
    reauthorized: bool = False


@dataclass(frozen=True)
class Retry:
    """Another attempt, as `classify` asks for it.

    `kind`: "backoff" (`reason` says why; a 429 is `rate_limited`: every start is
    held back for its `retry_after`, else for the backoff delay), "renew" the
    spartan token once, or "recent_404" (a match that just ended: the game's policy).
    """

    kind: Literal["backoff", "renew", "recent_404"] = "backoff"
    reason: str = ""
    rate_limited: bool = False
    retry_after: float | None = None


Outcome = BufferedResponse | SourceError | Retry


def classify(
    call: _Call, status: int, headers: CIMultiDict[str], body: bytes, recent_404_retries: int
) -> Outcome:
    """The retry policy in one place: the answer to return, the error to raise, or
    the retry to make. Pure (no waiting, no counting): the mechanics stay apart."""
    if 200 <= status < 300:
        return _read_body(call, status, headers, body)
    if status == 429:
        return Retry(rate_limited=True, retry_after=parse_retry_after(headers.get("Retry-After")))
    if status >= 500 or status == 408:
        return Retry(reason=f"HTTP {status}")
    if status in (401, 403) and call.needs_token:
        if status == 401 and call.can_renew and not call.reauthorized:
            return Retry("renew")
        what = "refused the renewed credentials" if call.reauthorized else "refused access"
        return AuthError(
            f"{call.label}: the Halo Waypoint service {what} (HTTP {status}); "
            "run `levelup auth` to sign in again"
        )
    if call.endpoint == "auth":
        return AuthError(
            f"sign-in request {call.where} refused (HTTP {status}"
            f"{scrub(_auth_error_code(body))}); run `levelup auth` to sign in again"
        )
    if status != 404:
        return HttpStatusError(f"{call.label}: HTTP {status} ({call.method} {call.where})", status)
    recent = call.recent and call.endpoint in _RECENT_404_ENDPOINTS
    if recent and call.not_found < recent_404_retries:
        return Retry("recent_404")
    if call.endpoint == "match_stats":
        tried = f", after {call.not_found} retries" if call.not_found else ""
        return MatchNotFoundError(
            f"{call.label}: missing from the Halo stats service (HTTP 404{tried})"
        )
    return NotFoundError(f"{call.label}: not found (HTTP 404, {call.where})", 404)


def _read_body(
    call: _Call, status: int, headers: CIMultiDict[str], body: bytes
) -> BufferedResponse | Retry:
    """A 2xx answer parsed whole: a truncated or invalid JSON body is retried (from
    an unknown endpoint only when it says it is JSON; it may be empty)."""
    parsed = _UNSET
    if body or call.endpoint != "other":
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            if call.endpoint != "other" or "json" in headers.get("Content-Type", ""):
                return Retry(reason=f"invalid JSON body ({len(body)} bytes)")
    return BufferedResponse(
        method=call.method,
        where=call.where,
        status=status,
        headers=headers,
        body=body,
        # Match stats are returned as bytes: do not keep the tree.
        data=_UNSET if call.endpoint == "match_stats" else parsed,
    )


def transport_reason(exc: TimeoutError | aiohttp.ClientError, timeout: float) -> str:
    """Why an attempt got no answer, without the exception's text (it may hold a URL)."""
    if isinstance(exc, TimeoutError):
        return f"no complete answer within {timeout:g} s"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "the response body was cut short"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "its name could not be looked up"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"could not connect ({type(exc).__name__})"
    return f"connection failed ({type(exc).__name__})"


# ----------------------------------------------------------------- the session


class WaypointSession:
    """The project's HTTP session: give it to spnkr as its ``session``.

    Duck-types the part of ``aiohttp.ClientSession`` spnkr uses: ``headers``
    (a dict), ``await get(url, **kw)``, ``await post(url, **kw)``, returning
    `BufferedResponse` objects. Failures raise (see the module docstring)
    instead of returning error responses.
    """

    def __init__(
        self,
        *,
        requests_per_second: float = 5.0,
        concurrency: int = 4,
        host_map: Mapping[str, str] | None = None,
        backoff: Backoff | None = None,
        sleep: Sleep | None = None,
        adaptive: PaceSettings | None = None,
    ) -> None:
        """Prepare the session; the aiohttp session is opened on the first request.

        Args:
            host_map: host -> loopback base URL, for tests (see the module docstring).
            sleep: waits between retries (tests pass a fast one; pacing itself
                always uses real time).
            adaptive: find the pace instead (`--requests-per-second auto`);
                `requests_per_second` is then ignored.

        Raises:
            ConfigError: a host map target is not on this machine.
            ValueError: a non-positive rate or concurrency.
        """
        self.headers: MaskedHeaders = MaskedHeaders()
        self.counters = SourceCounters()
        self.host_map = validate_host_map(host_map or {})
        self.limiter = RateLimiter(requests_per_second, concurrency, adaptive=adaptive)
        self.backoff = backoff or Backoff()
        self.tokens: TokenManager | None = None  # it attaches itself
        self._sleep: Sleep = sleep or asyncio.sleep
        self._rng = random.Random()  # jitter
        # host -> why it is not asked again in this run (see `_back_off`).
        self._unreachable: dict[str, str] = {}
        self._client: aiohttp.ClientSession | None = None
        self._closed = False

    def __repr__(self) -> str:
        return (
            f"<WaypointSession {self.limiter.rate:g} req/s, "
            f"{self.limiter.concurrency} in flight, {len(self.host_map)} mapped hosts>"
        )

    def set_tokens(self, spartan: str, clearance: str | None) -> None:
        """Set the headers the Halo hosts require (the token manager calls this)."""
        self.headers[SPARTAN_HEADER] = spartan
        if clearance:
            self.headers[CLEARANCE_HEADER] = clearance
        else:
            self.headers.pop(CLEARANCE_HEADER, None)

    def _session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the WaypointSession is closed")
        if self._client is None:
            self._client = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=max(8, self.limiter.concurrency * 2)),
                cookie_jar=aiohttp.DummyCookieJar(),  # no sign-in cookie is kept or re-sent
                json_serialize=lambda obj: orjson.dumps(obj).decode(),
            )
        return self._client

    async def close(self) -> None:
        """Close the connections (idempotent)."""
        self._closed = True
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    async def get(self, url: str, **kwargs: Any) -> BufferedResponse:
        """GET `url` (absolute); see `request`."""
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> BufferedResponse:
        """POST to `url` (absolute); see `request`."""
        return await self.request("POST", url, **kwargs)

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Any = None,
        **ignored: Any,
    ) -> BufferedResponse:
        """Send a request with pacing, retries and token renewal; return it read whole.

        Keyword arguments other than params/headers/json/data (spnkr passes
        ``expire_after`` to caching sessions) are ignored.

        Raises:
            AuthError: 401 twice, 403, or a refused sign-in request.
            MatchNotFoundError: 404 on match stats (after the recent-match retries).
            NotFoundError: 404 elsewhere.
            HttpStatusError: another status retrying cannot fix.
            FetchError: retries exhausted.
        """
        client = self._session()
        call = self._call(method, str(url))
        if call.host in self._unreachable:  # already tried on every attempt of a request
            raise ServiceUnreachableError(self._unreachable[call.host])
        while True:
            generation, send = await self._headers_for(call, headers)
            try:
                status, answer_headers, body = await self._send(
                    client, call, send, params=params, json=json, data=data
                )
            except (TimeoutError, aiohttp.ClientError) as exc:
                call.unconnected += isinstance(exc, aiohttp.ClientConnectorError)
                outcome: Outcome = Retry(reason=transport_reason(exc, self.backoff.timeout))
            else:
                retries = self.backoff.recent_404_retries
                outcome = classify(call, status, answer_headers, body, retries)
            if isinstance(outcome, BufferedResponse):
                self.counters.calls[call.endpoint] += 1
                return outcome
            if isinstance(outcome, SourceError):
                raise outcome
            if outcome.kind == "renew":
                await self._renew(call, generation)
            elif outcome.kind == "recent_404":
                await self._await_recent(call)
            else:
                await self._back_off(call, outcome)

    def _call(self, method: str, url: str) -> _Call:
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or "").lower()
        path = parts.path or "/"
        context = _CONTEXT.get()
        return _Call(
            method=method,
            target=rewrite_url(url, self.host_map),
            where=f"{host}{path}",
            endpoint=endpoint_name(host, path),
            label=context.label or f"{method} {host}{path}",
            host=host,
            needs_token=host in HALO_HOSTS,
            can_renew=self.tokens is not None,
            recent=context.recent,
        )

    async def _headers_for(
        self, call: _Call, extra: Mapping[str, str] | None
    ) -> tuple[int, dict[str, str]]:
        """One attempt's headers and the token generation they carry. The spartan and
        clearance headers go to the Halo hosts only, never to the sign-in hosts."""
        generation = 0
        send: dict[str, str] = {}
        if call.needs_token:
            if self.tokens is not None:
                await self.tokens.ensure_fresh()
                generation = self.tokens.generation
            send.update(self.headers)
        return generation, {**send, **(extra or {})}

    async def _send(
        self, client: aiohttp.ClientSession, call: _Call, headers: dict[str, str], **payload: Any
    ) -> tuple[int, CIMultiDict[str], bytes]:
        """One attempt in its start slot, read whole; the pace learns how it was answered."""
        started = time.monotonic()
        async with (
            self.limiter.slot() as began,
            client.request(
                call.method,
                call.target,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.backoff.timeout),
                allow_redirects=False,
                **payload,
            ) as response,
        ):
            status, body = response.status, await response.read()
            answer_headers = CIMultiDict(response.headers)
        took = (time.monotonic() - started) * 1000
        log.debug(
            "%s %s -> %d (%d bytes, %.0f ms)", call.method, call.where, status, len(body), took
        )
        if status == 429:
            self.limiter.rate_limited(began)
        else:
            self.limiter.answered(began)
        return status, answer_headers, body

    async def _renew(self, call: _Call, generation: int) -> None:
        """The one renewal a request gets for a 401."""
        assert self.tokens is not None
        call.reauthorized = True
        self.counters.retries[call.endpoint] += 1
        log.info("%s: HTTP 401, renewing the spartan token and retrying once", call.label)
        await self.tokens.handle_unauthorized(generation)

    async def _await_recent(self, call: _Call) -> None:
        """Wait before asking again for a just-ended match (the game's own policy)."""
        call.not_found += 1
        self.counters.retries[call.endpoint] += 1
        total, label = self.backoff.recent_404_retries, call.label
        log.info(
            "%s: HTTP 404 on a match that just ended; retry %d of %d", label, call.not_found, total
        )
        await self._sleep(self.backoff.recent_404_delay + self._rng.uniform(0, RECENT_404_JITTER))

    async def _back_off(self, call: _Call, retry: Retry) -> None:
        """Spend one of the request's attempts and wait; FetchError when none is left.

        A 429 does not sleep: it holds every request start back (this one included),
        since it says the whole client is too fast.
        """
        backoff = self.backoff
        call.failures += 1
        wait: float | None = None
        reason = retry.reason
        if retry.rate_limited:
            wait = retry.retry_after
            wait = min(
                backoff.max_retry_after,
                wait if wait is not None else backoff.delay(call.failures, self._rng),
            )
            reason = f"HTTP 429 (rate limited, waiting {wait:.2f} s)"
        if call.failures >= backoff.attempts and call.unconnected == call.failures:
            # No attempt reached the host: the next request to it would fare no better.
            self._unreachable[call.host] = (
                f"cannot reach {call.host} ({reason}, {call.failures} attempts): check the "
                "network connection; nothing more is asked of it in this run"
            )
            raise ServiceUnreachableError(self._unreachable[call.host])
        if call.failures >= backoff.attempts:
            raise FetchError(
                f"{call.label}: gave up after {call.failures} attempts; last: {reason} "
                f"({call.method} {call.where})"
            )
        self.counters.retries[call.endpoint] += 1
        # A long wait is worth telling the user about: the run looks stuck otherwise.
        level = logging.WARNING if wait is not None and wait >= 10 else logging.INFO
        log.log(
            level, "%s: %s; retry %d of %d", call.label, reason, call.failures, backoff.attempts - 1
        )
        if wait is not None:
            self.limiter.pause(wait)
        else:
            await self._sleep(backoff.delay(call.failures, self._rng))

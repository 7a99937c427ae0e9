"""Halo Waypoint credentials: where they come from, how they are stored, how they are hidden.

Two kinds of credentials work:

- an Azure app sign-in (client id, client secret, redirect URI) plus an OAuth
  refresh token: the client signs in by itself and renews the 4-hour spartan
  token as needed. `levelup auth` obtains the refresh token and saves all four
  values in ``credentials.json`` in the user's config folder
  (``platformdirs.user_config_dir("levelup")``, or ``$LEVELUP_CONFIG_DIR``),
  readable by the user only (0600);
- raw ``SPNKR_SPARTAN_TOKEN`` (+ ``SPNKR_CLEARANCE_TOKEN``): used as is, and
  nothing can renew them: when they expire the run stops and says to run
  `levelup auth`.

Environment variables override the file, field by field. Secrets are held in
`Secret`, whose repr and str are masked, so a credential printed, logged or
put in an exception by mistake shows ``***``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import stat
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson
import platformdirs

from levelup.errors import ConfigError

log = logging.getLogger("levelup.config")

CONFIG_DIR_ENV = "LEVELUP_CONFIG_DIR"
CONFIG_FILE_NAME = "credentials.json"
DEFAULT_REDIRECT_URI = "https://localhost"

ENV_CLIENT_ID = "SPNKR_AZURE_CLIENT_ID"
ENV_CLIENT_SECRET = "SPNKR_AZURE_CLIENT_SECRET"
ENV_REDIRECT_URI = "SPNKR_AZURE_REDIRECT_URI"
ENV_REFRESH_TOKEN = "SPNKR_OAUTH_REFRESH_TOKEN"
ENV_SPARTAN_TOKEN = "SPNKR_SPARTAN_TOKEN"
ENV_CLEARANCE_TOKEN = "SPNKR_CLEARANCE_TOKEN"

# Config-file key -> environment variable that overrides it.
_FILE_FIELDS = {
    "client_id": ENV_CLIENT_ID,
    "client_secret": ENV_CLIENT_SECRET,
    "redirect_uri": ENV_REDIRECT_URI,
    "refresh_token": ENV_REFRESH_TOKEN,
}

MASK = "***"

# Every secret value seen by this process, so `scrub` can blank them out of any
# text (an exception message from a library, say) before it reaches the user.
_KNOWN_SECRETS: set[str] = set()
_KNOWN_LOCK = threading.Lock()


class Secret:
    """A credential whose repr and str are masked; `reveal()` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret holds a str")
        self._value = value
        if len(value) >= 6:  # short strings would blank ordinary words
            with _KNOWN_LOCK:
                _KNOWN_SECRETS.add(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:  # never pickle a credential by accident
        raise TypeError("a Secret cannot be pickled")


def remember_secret(value: str) -> None:
    """Register a token that is not wrapped in a `Secret` (a header value, say) for `scrub`."""
    if value and len(value) >= 6:
        with _KNOWN_LOCK:
            _KNOWN_SECRETS.add(value)


def scrub(text: str) -> str:
    """`text` with every secret this process has seen replaced by ``***``."""
    with _KNOWN_LOCK:
        known = sorted(_KNOWN_SECRETS, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    return text


# ----------------------------------------------------------------- the config file


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$LEVELUP_CONFIG_DIR``, else the platform's user config folder for levelup."""
    env = os.environ if env is None else env
    override = env.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir("levelup"))


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """The credentials file `levelup auth` writes."""
    return config_dir(env) / CONFIG_FILE_NAME


class CorruptConfigFile(ConfigError):
    """The credentials file is not a JSON object: apart from unreadable, because
    `levelup auth` replaces a corrupt file (set aside) but never one it cannot read."""


def read_config_file(path: Path) -> dict[str, Any]:
    """The file's JSON object, or {} when there is no file.

    Raises:
        CorruptConfigFile: the file exists but is not a JSON object.
        ConfigError: the file cannot be read.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise CorruptConfigFile(
            f"{path} is not valid JSON: run `levelup auth` to rewrite it"
        ) from None
    if not isinstance(data, dict):
        raise CorruptConfigFile(f"{path} must hold a JSON object: run `levelup auth` to rewrite it")
    return data


def file_is_private(path: Path) -> bool:
    """True when nobody but the owner can read or write the file (POSIX), or on Windows."""
    if os.name != "posix":
        return True
    try:
        mode = path.stat().st_mode
    except OSError:
        return True
    return not mode & (stat.S_IRWXG | stat.S_IRWXO)


def _write_private(path: Path, data: dict[str, Any]) -> None:
    """Atomically replace `path` with `data`, created 0600 (never readable by others,
    not even for an instant)."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)  # a new folder is private too
    fd, tmp = tempfile.mkstemp(prefix=".credentials.", suffix=".tmp", dir=path.parent)
    try:
        if os.name == "posix":
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if os.name == "posix":
        os.chmod(path, 0o600)


_FILE_LOCK = threading.Lock()


def update_config_file(
    path: Path, values: Mapping[str, str | Secret | None], *, replace_corrupt: bool = False
) -> Path | None:
    """Merge `values` into the file (None removes a key) and write it with mode 0600.
    With `replace_corrupt` (`levelup auth`, the way to repair it), a file that is not
    a JSON object is renamed to ``<name>.bad`` and that path returned (else None).

    Raises:
        ConfigError: the file cannot be read, is corrupt (without `replace_corrupt`),
            or cannot be written.
    """
    with _FILE_LOCK:
        aside = None
        try:
            data = read_config_file(path)
        except CorruptConfigFile:
            if not replace_corrupt:
                raise
            aside = path.with_name(path.name + ".bad")  # nothing is lost; an older copy goes
            try:
                os.replace(path, aside)
            except OSError as exc:
                raise ConfigError(f"cannot rename {path}: {exc.strerror or exc}") from None
            data = {}
        for key, value in values.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value.reveal() if isinstance(value, Secret) else value
        data["version"] = 1
        data["updated_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        try:
            _write_private(path, data)
        except OSError as exc:
            raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
        return aside


# ----------------------------------------------------------------- credentials

Mode = Literal["azure", "tokens"]


@dataclass(frozen=True)
class Credentials:
    """What the Waypoint client signs in with; `origins` maps a field to where it came
    from (``"env:VARIABLE"`` or ``"file"``)."""

    mode: Mode
    config_file: Path
    client_id: str | None = None
    client_secret: Secret | None = None
    redirect_uri: str = DEFAULT_REDIRECT_URI
    refresh_token: Secret | None = None
    spartan_token: Secret | None = None
    clearance_token: Secret | None = None
    origins: dict[str, str] = field(default_factory=dict)

    @property
    def refresh_token_from_file(self) -> bool:
        """A rotated refresh token is saved back only when this one came from the file."""
        return self.origins.get("refresh_token") == "file"

    def describe(self) -> list[tuple[str, str]]:
        """(field, "set (from ...)" / "not set") rows, never a secret's value."""
        names = (
            ("client_id", "Azure client id"),
            ("client_secret", "Azure client secret"),
            ("redirect_uri", "redirect URI"),
            ("refresh_token", "OAuth refresh token"),
            ("spartan_token", "spartan token"),
            ("clearance_token", "clearance token"),
        )
        rows = []
        for key, label in names:
            origin = self.origins.get(key)
            if origin is None and key == "redirect_uri" and self.client_id:
                # The Azure sign-in uses the default then: "not set" would read as missing.
                rows.append((label, f"{self.redirect_uri} (the default)"))
                continue
            if origin is None:
                rows.append((label, "not set"))
                continue
            where = "config file" if origin == "file" else origin.replace("env:", "$")
            shown = ""
            if key == "client_id" and self.client_id:
                shown = f" {self.client_id}"
            elif key == "redirect_uri":
                shown = f" {self.redirect_uri}"
            rows.append((label, f"set{shown} (from {where})"))
        return rows


def _missing_message(path: Path, partial: list[str]) -> str:
    detail = f" ({', '.join(partial)} missing)" if partial else ""
    return (
        f"no Halo Waypoint credentials{detail}: run `levelup auth` (it saves them in {path}), "
        f"or set {ENV_CLIENT_ID}, {ENV_CLIENT_SECRET} and {ENV_REFRESH_TOKEN} "
        f"(and {ENV_REDIRECT_URI} if your app's is not {DEFAULT_REDIRECT_URI}), "
        f"or {ENV_SPARTAN_TOKEN} and {ENV_CLEARANCE_TOKEN}"
    )


def load_credentials(env: Mapping[str, str] | None = None) -> Credentials:
    """Credentials from the environment, else from the config file (env wins per field).

    A complete Azure set is preferred, since it can renew tokens; otherwise raw
    ``SPNKR_SPARTAN_TOKEN``. An unusable file (corrupt, unreadable) only warns when
    the environment alone is complete.

    Raises:
        ConfigError: nothing complete (the message names what to set).
    """
    env = os.environ if env is None else env
    path = config_path(env)
    try:
        stored = read_config_file(path)
    except ConfigError as exc:
        try:
            from_env = _resolve(env, path, {})
        except ConfigError:
            raise exc from None
        log.warning("%s; meanwhile the environment's credentials are used", exc)
        return from_env
    if stored and not file_is_private(path):
        log.warning("%s is readable by other users: run `chmod 600 %s`", path, path)
    return _resolve(env, path, stored)


def _resolve(env: Mapping[str, str], path: Path, stored: Mapping[str, Any]) -> Credentials:
    """The credentials `env` and the file's `stored` values make up together."""
    values: dict[str, str] = {}
    origins: dict[str, str] = {}
    for key, var in _FILE_FIELDS.items():
        from_env = (env.get(var) or "").strip()
        from_file = stored.get(key)
        if from_env:
            values[key], origins[key] = from_env, f"env:{var}"
        elif isinstance(from_file, str) and from_file.strip():
            values[key], origins[key] = from_file.strip(), "file"
    for key, var in (
        ("spartan_token", ENV_SPARTAN_TOKEN),
        ("clearance_token", ENV_CLEARANCE_TOKEN),
    ):
        from_env = (env.get(var) or "").strip()
        if from_env:
            values[key], origins[key] = from_env, f"env:{var}"

    def secret(key: str) -> Secret | None:
        return Secret(values[key]) if key in values else None

    common = {
        "config_file": path,
        "client_id": values.get("client_id"),
        "client_secret": secret("client_secret"),
        "redirect_uri": values.get("redirect_uri", DEFAULT_REDIRECT_URI),
        "refresh_token": secret("refresh_token"),
        "spartan_token": secret("spartan_token"),
        "clearance_token": secret("clearance_token"),
        "origins": origins,
    }
    azure_keys = ("client_id", "client_secret", "refresh_token")
    if all(k in values for k in azure_keys):
        return Credentials(mode="azure", **common)
    if "spartan_token" in values:
        return Credentials(mode="tokens", **common)
    partial = []
    if any(k in values for k in azure_keys):
        partial = [_FILE_FIELDS[k] for k in azure_keys if k not in values]
    if "clearance_token" in values:
        partial.append(ENV_SPARTAN_TOKEN)
    raise ConfigError(_missing_message(path, partial))

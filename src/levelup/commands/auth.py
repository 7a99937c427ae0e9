"""`levelup auth`: sign in to Halo Waypoint with your Azure app and save the credentials.

Interactive:

    levelup auth
    # asks the app's client id, secret and redirect URI, prints a Microsoft
    # sign-in address; open it, sign in, and paste back the address the browser
    # was sent to (or just its code=... value)

Non-interactive (scripts, tests):

    levelup auth --client-id ID --redirect-uri https://localhost --code 'https://localhost/?code=M.C1_...'
    # the secret from $SPNKR_AZURE_CLIENT_SECRET or --client-secret

Which credentials a sync would use (secrets are never printed):

    levelup auth --status
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from typing import Any

from spnkr.auth import oauth
from spnkr.auth.app import AzureApp

from levelup.commands.common import add_command, key_value_table, print_json, stdout_console
from levelup.config import (
    DEFAULT_REDIRECT_URI,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_REDIRECT_URI,
    ENV_REFRESH_TOKEN,
    ENV_SPARTAN_TOKEN,
    CorruptConfigFile,
    Secret,
    config_path,
    file_is_private,
    load_credentials,
    read_config_file,
    update_config_file,
)
from levelup.errors import ConfigError, UsageError
from levelup.sources.auth import SignIn, azure_app, extract_code, sign_in
from levelup.sources.base import AuthError
from levelup.sources.http import WaypointSession, host_map_from_env


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "auth", *__doc__.split("\n\n", 1))
    parser.add_argument("--client-id", metavar="ID", help="the Azure app's Application (client) ID")
    parser.add_argument(
        "--client-secret",
        metavar="SECRET",
        help="the app's client secret (visible to other users in the process list: "
        f"prefer the prompt or ${ENV_CLIENT_SECRET})",
    )
    parser.add_argument(
        "--redirect-uri",
        metavar="URI",
        help=f"the app's redirect URI (default {DEFAULT_REDIRECT_URI})",
    )
    parser.add_argument(
        "--code",
        metavar="CODE_OR_URL",
        help="the authorization code, or the whole address the browser was sent to "
        "(skips the prompt)",
    )
    parser.add_argument(
        "--status",
        action="store_true",
        help="show which credentials a sync would use (no secret is printed)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON (last line)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.status:
        return _status(args.json)
    return _sign_in(args)


def _ask(prompt: str, *, secret: bool = False, default: str | None = None) -> str:
    """Read one value from the user; UsageError when there is no one to ask."""
    suffix = f" [{default}]" if default else ""
    try:
        if secret and sys.stdin.isatty():  # piped answers have no echo to hide
            value = getpass.getpass(f"{prompt}: ")
        else:
            print(f"{prompt}{suffix}: ", end="", file=sys.stderr, flush=True)
            line = sys.stdin.readline()
            if not line:
                raise EOFError
            value = line
    except EOFError:
        raise UsageError(f"{prompt}: no input (pass it as an option)") from None
    value = value.strip()
    if not value and default:
        return default
    if not value:
        raise UsageError(f"{prompt}: a value is needed")
    return value


def _sign_in(args: argparse.Namespace) -> int:
    path = config_path()
    try:
        stored = read_config_file(path)
    except CorruptConfigFile as exc:
        # Signing in is how a broken file gets repaired: it is set aside once the
        # new credentials are known, never lost.
        print(f"note: {exc}; it will be replaced (the old file kept as .bad)", file=sys.stderr)
        stored = {}
    client_id, client_secret, redirect_uri = _app_settings(args, stored)
    app = azure_app(client_id, client_secret, redirect_uri)
    pasted = args.code if args.code is not None else _ask_for_code(app, redirect_uri)
    result = asyncio.run(_exchange(app, extract_code(pasted)))
    if result.refresh_token is None:
        raise AuthError(
            "the sign-in returned no refresh token: check that the app asks for "
            "Xboxlive.offline_access (a personal-account app registration)"
        )
    saved = {
        "client_id": client_id,
        "client_secret": client_secret,
        "redirect_uri": redirect_uri,
        "refresh_token": result.refresh_token,
        "gamertag": result.gamertag,
        "xuid": result.xuid,
    }
    aside = update_config_file(path, saved, replace_corrupt=True)
    overridden = [v for v in (ENV_REFRESH_TOKEN, ENV_SPARTAN_TOKEN) if os.environ.get(v)]
    if args.json:
        print_json(
            {
                "signed_in": True,
                "gamertag": result.gamertag,
                "xuid": result.xuid,
                "config_file": str(path),
                "replaced_file_kept_as": str(aside) if aside else None,
                "overridden_by_environment": overridden,
            }
        )
        return 0
    who = result.gamertag or "the account"
    xuid = f" (xuid {result.xuid})" if result.xuid else ""
    print(f"Signed in as {who}{xuid}. Credentials saved in {path} (readable by you only).")
    if aside:
        print(f"The unusable previous file is kept as {aside}.")
    for var in overridden:
        print(f"note: ${var} is set and takes precedence over the saved file.")
    return 0


def _app_settings(args: argparse.Namespace, stored: dict[str, Any]) -> tuple[str, Secret, str]:
    """The Azure app's client id, secret and redirect URI: from the option, else the
    environment, else the saved file, else asked (without a prompt, when the code
    was given, the redirect URI is the default)."""

    def pick(option: str | None, var: str, key: str) -> str | None:
        for value in (option, os.environ.get(var), stored.get(key)):
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None

    client_id = pick(args.client_id, ENV_CLIENT_ID, "client_id") or _ask("Azure app client id")
    secret = pick(args.client_secret, ENV_CLIENT_SECRET, "client_secret") or _ask(
        "Azure app client secret (not echoed)", secret=True
    )
    redirect_uri = pick(args.redirect_uri, ENV_REDIRECT_URI, "redirect_uri")
    if redirect_uri is None and args.code is None:
        redirect_uri = _ask("Redirect URI", default=DEFAULT_REDIRECT_URI)
    return client_id, Secret(secret), redirect_uri or DEFAULT_REDIRECT_URI


def _ask_for_code(app: AzureApp, redirect_uri: str) -> str:
    """Show the sign-in address and read back where the browser was sent."""
    url = oauth.generate_authorization_url(app)
    print(
        "Open this address in a browser and sign in with the Microsoft account of "
        "your Xbox profile:\n\n"
        f"  {url}\n\n"
        f"The browser is then sent to {redirect_uri}/?code=... (the page itself may "
        "fail to load: that is expected). Copy that whole address from the address bar.",
        file=sys.stderr,
    )
    return _ask("Paste the address (or just the code)")


async def _exchange(app: AzureApp, code: str) -> SignIn:
    session = WaypointSession(requests_per_second=5, concurrency=1, host_map=host_map_from_env())
    try:
        return await sign_in(session, app, code=code, with_identity=True)
    finally:
        await session.close()


def _status(as_json: bool) -> int:
    path = config_path()
    try:
        stored = read_config_file(path)
    except ConfigError as exc:
        stored, file_problem = {}, str(exc)
    else:
        file_problem = None
    file_state = (
        "not found"
        if not path.exists()
        else file_problem
        or ("private (0600)" if file_is_private(path) else "READABLE BY OTHERS: chmod 600")
    )
    try:
        creds = load_credentials()
    except ConfigError as exc:
        creds, problem = None, str(exc)
    else:
        problem = None
    if creds is None:
        mode = "none"
    elif creds.mode == "azure":
        mode = "Azure app sign-in (renews tokens by itself)"
    else:
        mode = "raw spartan token (cannot be renewed; lasts about 4 hours)"
    rows = creds.describe() if creds else []
    signed_in = stored.get("gamertag") if isinstance(stored.get("gamertag"), str) else None
    if as_json:
        print_json(
            {
                "usable": creds is not None,
                "mode": creds.mode if creds else None,
                "config_file": str(path),
                "config_file_state": file_state,
                "signed_in_as": signed_in,
                "fields": dict(rows),
                "problem": problem,
            }
        )
    else:
        table_rows = [
            ("credentials", mode),
            ("config file", f"{path} ({file_state})"),
        ]
        if signed_in:
            table_rows.append(("saved sign-in", signed_in))
        table_rows.extend(rows)
        console = stdout_console()
        console.print(key_value_table("Halo Waypoint credentials", table_rows))
        if problem:
            console.print(f"[red]{problem}[/red]")
    return 0 if creds is not None else 2

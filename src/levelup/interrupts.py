"""The first SIGINT or SIGTERM stops a long run cleanly; a second one stops it now.

`run_interruptibly` runs a command's coroutine with both signals turned into
a cancellation of that coroutine: the pipeline's tasks unwind (none of them may
wait on a queue nobody drains), what was fetched is written, the run is
recorded as interrupted, and the command ends with `Interrupted` (exit 130 for
SIGINT, 143 for SIGTERM). The handlers are removed by the first signal, so a
second Ctrl-C raises KeyboardInterrupt at once and a second SIGTERM ends the
process, whatever the cleanup is doing.

Outside such a run (parsing, imports, a report), `install_termination_handler`
makes SIGTERM raise `Terminated` the way SIGINT raises KeyboardInterrupt, so
both end with one line and their exit status instead of a traceback or silence.
Both handlers also remember the signal (`signal_received`): DuckDB, when a
signal's exception is raised while it runs a query, drops it and raises
`RuntimeError("Query interrupted")` instead, which the CLI then maps back.
"""

from __future__ import annotations

import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

from levelup.errors import Interrupted

T = TypeVar("T")

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Terminated(BaseException):
    """SIGTERM outside an interruptible run (a BaseException, like KeyboardInterrupt)."""


_received: list[int] = []


def signal_received() -> int | None:
    """The last SIGINT or SIGTERM this process received, if any."""
    return _received[-1] if _received else None


def _raise_terminated(signum: int, _frame: object) -> None:
    _received.append(signum)
    raise Terminated(signum)


def _raise_keyboard_interrupt(signum: int, _frame: object) -> None:
    _received.append(signum)
    raise KeyboardInterrupt


def install_termination_handler() -> None:
    """SIGTERM raises `Terminated`, SIGINT KeyboardInterrupt, in the main thread from
    now on, both remembering the signal."""
    signal.signal(signal.SIGTERM, _raise_terminated)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _raise_keyboard_interrupt)


def run_interruptibly(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coro)`, where the first SIGINT or SIGTERM cancels `coro`.

    Raises:
        Interrupted: a signal cancelled the run (after `coro`'s own cleanup).
    """
    import asyncio  # here: the commands that run no coroutine (export, sql, report) skip it

    return asyncio.run(_guarded(coro))


async def _guarded(coro: Coroutine[Any, Any, T]) -> T:
    import asyncio

    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    received: list[signal.Signals] = []
    # After the run (or its first signal): Ctrl-C raises KeyboardInterrupt again,
    # SIGTERM does what it did before.
    ours = signal.getsignal(signal.SIGINT) is _raise_keyboard_interrupt
    after = {
        signal.SIGINT: _raise_keyboard_interrupt if ours else signal.default_int_handler,
        signal.SIGTERM: signal.getsignal(signal.SIGTERM),
    }

    def remove_handlers() -> None:
        for sig in _SIGNALS:
            loop.remove_signal_handler(sig)
            signal.signal(sig, after[sig])

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig)
        _received.append(int(sig))
        remove_handlers()
        task.cancel()

    for sig in _SIGNALS:
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        return await coro
    except asyncio.CancelledError:
        if not received:
            raise
        sig = received[0]
        raise Interrupted(int(sig), sig.name) from None
    finally:
        if not received:
            remove_handlers()

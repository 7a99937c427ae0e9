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
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

from levelup.errors import Interrupted

T = TypeVar("T")

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Terminated(BaseException):
    """SIGTERM outside an interruptible run (a BaseException, like KeyboardInterrupt)."""


def _raise_terminated(signum: int, _frame: object) -> None:
    raise Terminated(signum)


def install_termination_handler() -> None:
    """SIGTERM raises `Terminated` in the main thread from now on."""
    signal.signal(signal.SIGTERM, _raise_terminated)


def run_interruptibly(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coro)`, where the first SIGINT or SIGTERM cancels `coro`.

    Raises:
        Interrupted: a signal cancelled the run (after `coro`'s own cleanup).
    """
    return asyncio.run(_guarded(coro))


async def _guarded(coro: Coroutine[Any, Any, T]) -> T:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    received: list[signal.Signals] = []
    # After the run (or its first signal): Ctrl-C raises KeyboardInterrupt again,
    # SIGTERM does what it did before.
    after = {
        signal.SIGINT: signal.default_int_handler,
        signal.SIGTERM: signal.getsignal(signal.SIGTERM),
    }

    def remove_handlers() -> None:
        for sig in _SIGNALS:
            loop.remove_signal_handler(sig)
            signal.signal(sig, after[sig])

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig)
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

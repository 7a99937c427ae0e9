"""Process-wide thread settings: how the parsing thread and a writer thread share the GIL."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

# See `prompt_gil_handoff`.
_GIL_SWITCH_INTERVAL = 0.0005


@contextlib.contextmanager
def prompt_gil_handoff() -> Iterator[None]:
    """Shorten Python's GIL switch interval (5 ms by default) for the duration.

    A writer thread (`MatchWriter(background=True)`, the backfill's writes)
    needs the GIL only for moments (to start each DuckDB statement, to hand
    over a frame), but the main thread parses almost without pause, so with the
    default interval each of those moments can cost the writer up to 5 ms of
    waiting, and a batch then takes longer to write than the next one takes to
    parse. Measured on a 20,000-match sync: ~15% more matches per second with
    0.5 ms. Restored on exit.
    """
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, _GIL_SWITCH_INTERVAL))
    try:
        yield
    finally:
        sys.setswitchinterval(previous)

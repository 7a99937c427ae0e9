"""Process-wide runtime settings for bulk work: how the parsing thread and a writer
thread share the GIL, when the cyclic garbage collector runs, and which allocator
Arrow's buffers come from."""

from __future__ import annotations

import contextlib
import gc
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
    parse; with 0.5 ms the writer keeps up (the gain: benchmarks/ANALYSIS.md).
    Restored on exit.
    """
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, _GIL_SWITCH_INTERVAL))
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


@contextlib.contextmanager
def paused_collector() -> Iterator[None]:
    """Pause the cyclic garbage collector for the duration; one full collection on exit.

    A sync or backfill allocates millions of short-lived containers (parsed
    JSON documents, row tuples), none of them in a cycle: reference counting
    frees them all. The collector, triggered every few hundred allocations,
    would scan them anyway, and its older generations scan every live object
    (the whole batch being built), again and again, for nothing. Even one
    young collection per batch costs a scan of the batch being built, while
    the few cycles a run makes (asyncio's futures and exceptions) hold no
    measurable memory over a 20,000-match sync (benchmarks/ANALYSIS.md):
    so none runs until the phase ends. The collector's previous state is
    restored.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


@contextlib.contextmanager
def system_arrow_memory() -> Iterator[None]:
    """Arrow buffers from the C library's allocator (`malloc`) for the duration.

    pyarrow's default pool (mimalloc) keeps the pages of freed buffers for reuse.
    A bulk phase builds and drops a batch's frames (tens of MB) every batch, and
    what mimalloc kept added ~55 MiB to the peak RSS of a 20,000-match sync, for
    no CPU saved (benchmarks/ANALYSIS.md); `malloc` gives large blocks back as they
    are freed. A buffer is freed by the pool that made it, so buffers outliving
    the phase are safe. The previous pool is restored on exit.
    """
    import pyarrow as pa  # only bulk phases need it (`levelup --help` must not)

    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)

"""The process-wide settings of bulk work: the collector paused, the cycles freed after;
Arrow's buffers from malloc, the previous pool back after."""

from __future__ import annotations

import gc
import weakref

import pyarrow as pa
import pytest

from levelup.threads import paused_collector, system_arrow_memory


class _Node:
    """An object that can sit in a reference cycle."""

    def __init__(self) -> None:
        self.other: _Node | None = None


def _cycle() -> weakref.ref:
    first, second = _Node(), _Node()
    first.other, second.other = second, first
    return weakref.ref(first)


def test_no_collection_runs_while_paused_and_the_cycles_go_on_exit() -> None:
    assert gc.isenabled()
    with paused_collector():
        assert not gc.isenabled()
        alive = _cycle()
        for _ in range(10_000):  # allocations that would trigger an automatic collection
            [object() for _ in range(10)]
        assert alive() is not None  # nothing collects it on its own
    assert alive() is None
    assert gc.isenabled()


def test_the_collector_state_is_restored_when_it_was_off() -> None:
    gc.disable()
    try:
        with paused_collector():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_arrow_buffers_come_from_malloc_during_a_bulk_phase_only() -> None:
    before = pa.default_memory_pool()
    if before.backend_name == "system":  # ARROW_DEFAULT_MEMORY_POOL=system: nothing to see
        pytest.skip("the process already uses the system pool")
    with pytest.raises(RuntimeError), system_arrow_memory():
        raise RuntimeError("a phase that fails")
    assert pa.default_memory_pool().backend_name == before.backend_name  # restored anyway
    with system_arrow_memory():
        assert pa.default_memory_pool().backend_name == "system"
        kept = pa.array(list(range(100_000)))  # allocated by the system pool
        assert pa.default_memory_pool().bytes_allocated() >= 800_000
    assert pa.default_memory_pool().backend_name == before.backend_name
    assert kept.sum().as_py() == sum(range(100_000))  # outlives the phase, freed by its pool
    del kept

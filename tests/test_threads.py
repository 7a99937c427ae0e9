"""The process-wide settings of bulk work: the collector paused, young cycles still freed."""

from __future__ import annotations

import gc
import weakref

from levelup.threads import collect_young, young_collections_only


class _Node:
    """An object that can sit in a reference cycle."""

    def __init__(self) -> None:
        self.other: _Node | None = None


def _cycle() -> weakref.ref:
    first, second = _Node(), _Node()
    first.other, second.other = second, first
    return weakref.ref(first)


def test_the_collector_is_paused_and_a_young_cycle_is_freed_by_collect_young() -> None:
    assert gc.isenabled()
    with young_collections_only():
        assert not gc.isenabled()
        gc.collect(0)  # anything older than the cycle out of the way
        alive = _cycle()
        for _ in range(10_000):  # allocations that would trigger an automatic collection
            [object() for _ in range(10)]
        assert alive() is not None  # nothing collects it on its own
        collect_young()
        assert alive() is None
    assert gc.isenabled()


def test_the_collector_state_is_restored_when_it_was_off() -> None:
    gc.disable()
    try:
        with young_collections_only():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_cycle_left_when_the_phase_ends_is_collected_on_exit() -> None:
    with young_collections_only():
        alive = _cycle()
        held = alive()
        gc.collect(0)  # survives (held), so promoted: collect_young no longer sees it
        del held
        collect_young()
        assert alive() is not None
    assert alive() is None

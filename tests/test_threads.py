"""The process-wide settings of bulk work: the collector paused, the cycles freed after."""

from __future__ import annotations

import gc
import weakref

from levelup.threads import paused_collector


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

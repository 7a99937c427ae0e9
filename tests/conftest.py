"""What several test modules share: the marker of tests that read the shared API
fixtures (../shared/fixtures/halo_api), and the fake Waypoint server fixtures.

Helpers live in `tests/helpers.py` and `tests/http_helpers.py`, pytest fixtures
here, so a test module does not import them (nor a skip marker) from another test
module. A test is skipped for missing
fixtures only when it reads them: it carries `needs_fixtures`
(`@pytest.mark.shared_fixtures`), or uses a helper or fixture that reads them
(`fixture_recorded_dir`, `make_recorded`, `recorded_dir`, `fake`, ...), which skips
through `require_shared_fixtures`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from levelup.testing.fake_waypoint import FakeWaypoint
from tests.helpers import FIXTURES, SHARED_MISSING
from tests.http_helpers import TOKEN, make_recorded


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "shared_fixtures: reads ../shared/fixtures/halo_api (skipped when they are absent)",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A `shared_fixtures` test is skipped (reported at the test) when they are absent."""
    if FIXTURES.is_dir():
        return
    skip = pytest.mark.skip(reason=SHARED_MISSING)
    for item in items:
        if item.get_closest_marker("shared_fixtures") is not None:
            item.add_marker(skip)


@pytest.fixture()
def recorded_dir(tmp_path: Path) -> Path:
    """30 copies of the real ranked match for "Tester" (reads ../shared)."""
    return make_recorded(tmp_path / "rec", 30)


@pytest.fixture()
def fake(recorded_dir: Path) -> Iterator[FakeWaypoint]:
    """The fake Waypoint server on `recorded_dir`, accepting the raw test token."""
    server = FakeWaypoint.start_in_thread(recorded_dir)
    server.accept_token(TOKEN)
    try:
        yield server
    finally:
        server.stop()

"""Test support shipped with LevelUp: the fake Halo Waypoint server.

Not a source: nothing of the sync or the backfill imports it. Tests,
benchmarks and `python -m levelup.testing.fake_waypoint DIR` (for subprocess
tests) serve a recorded-responses directory over real HTTP with it.
"""

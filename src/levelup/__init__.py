"""LevelUp: a Halo Infinite player's match history in a local DuckDB database."""

__version__ = "0.1.0"

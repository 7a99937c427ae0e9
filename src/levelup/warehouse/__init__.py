"""Data out of the per-player databases: Parquet/CSV export and SQL across every player.

Both read the player databases read-only and never migrate them (a sync may be
writing elsewhere, and an old layout is read as it is): `tables` says which
tables and columns exist, `reading` opens the databases and projects each one
onto the registry's columns, `export` writes Hive-partitioned files with
DuckDB's `COPY`, and `sql` answers one read-only statement over views that
union every selected player.
"""

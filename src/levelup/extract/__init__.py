"""Pure extraction: API JSON documents -> row dataclasses.

Nothing here does I/O or knows the database: the store and the sync both sit
above it, so every layer can read the row types without importing another.
"""

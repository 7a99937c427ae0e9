"""Counts value warnings during a run, for the report: warnings never change the
exit status, but a user must be able to see that some happened."""

from __future__ import annotations

import logging


class WarningCounter(logging.Handler):
    """Attach to the `levelup.values` logger for the duration of a run."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.count = 0
        self._logger = logging.getLogger("levelup.values")

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1

    def __enter__(self) -> WarningCounter:
        self._logger.addHandler(self)
        return self

    def __exit__(self, *_: object) -> None:
        self._logger.removeHandler(self)

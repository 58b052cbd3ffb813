"""After-commit hints to a job queue, for the outboxes (webhooks, e-mails).

An outbox table is the source of truth; a listener (the worker's queue) only hears "this row may be due now". A
listener that fails (its queue down) loses a hint, never the row: the worker's periodic sweep finds it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)

Listener = Callable[[str], None]


class CommitHints:
    def __init__(self, kind: str) -> None:
        self._kind = kind  # "webhook" or "mail", for the log line
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        """Call `listener(id)` after the transaction that wrote a row has committed."""
        self._listeners.append(listener)

    def committed(self, ids: Iterable[str]) -> None:
        for row_id in ids:
            for listener in self._listeners:
                try:
                    listener(row_id)
                except Exception:  # whatever the queue raised: the sweep will find the row
                    log.warning("%s %s: enqueue failed, left to the sweep", self._kind, row_id, exc_info=True)

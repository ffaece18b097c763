"""Errors raised by the store."""

from __future__ import annotations


class StoreError(Exception):
    """The event log could not be read or written.

    The database error, if any, is chained as ``__cause__``. After a failed
    :meth:`EventStore.append` nothing of the batch is in the log.
    """

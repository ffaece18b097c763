"""The central record: every center's event log in one PostgreSQL database.

Each hall keeps its own server and log and works alone when its link is down; a shipper
beside it (``novbe ship``, :mod:`central.ship`) copies the log to the central database as
it is written, and the central side checks each center's hash chain on arrival
(:mod:`central.record`, the ``novbe_ship`` function of migration 0001). ``novbe report
--central`` reports on any center or on all of them, ranked (:mod:`central.reports`), and
``novbe central queues`` shows every center's queues now (:mod:`central.queues`).
docs/deployment.md tells how it is run.
"""

from __future__ import annotations

from .exceptions import CentralError, CentralUnavailable, ChainRefused, NotRegistered
from .record import Alert, CenterLog, CenterStatus, CentralRecord, Head, Shipped, public_config

__all__ = [
    "Alert",
    "CenterLog",
    "CenterStatus",
    "CentralError",
    "CentralRecord",
    "CentralUnavailable",
    "ChainRefused",
    "Head",
    "NotRegistered",
    "Shipped",
    "public_config",
]

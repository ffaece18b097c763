"""The hub: the websockets server between the hall's devices and the queue engine.

* :mod:`.hub`: the composition and the flow of a request (:class:`Hub`);
* :mod:`.clients`: the connections, by role and by counter;
* :mod:`.auth`: devices by token, supervisors and operators by password;
* :mod:`.dispatch`: the table from a request to the engine command it asks for;
* :mod:`.audience`: who is told which event and notice;
* :mod:`.writer`: the group-commit writer of the event log, and recovery;
* :mod:`.health`: ``GET /health``, request figures, device health changes.
"""

from __future__ import annotations

from .clients import Client
from .health import health_change
from .hub import Hub
from .writer import StoreUnavailable

__all__ = ["Client", "Hub", "StoreUnavailable", "health_change"]

"""The figures of service days, from the event log: what ``novbe report`` prints and the
supervisor's desk shows for today, computed by one piece of code.

* :mod:`.facts`: the log read once into facts (tickets, queue visits, outcomes, ratings);
* :mod:`.figures`: the figures of those facts, per center, agency, service, counter,
  operator and day.

The server answers a supervisor's ``figures`` request with :func:`today` (``report`` imports
the server; the server never imports ``report``).
"""

from __future__ import annotations

from .facts import Facts, day_starts, read_facts
from .figures import Columns, Figures, Row, compute
from .today import today

__all__ = ["Columns", "Facts", "Figures", "Row", "compute", "day_starts", "read_facts", "today"]

"""``novbe report``: the figures of a center for a period, from its event log alone.

:func:`build_report` reads the log once (:mod:`server.tally.facts`), computes the figures of
the period and of the one before (:mod:`server.tally.figures`, the code the supervisor's
desk gets today's figures from) and ranks the agencies
(:mod:`report.index`); :mod:`report.html` and :mod:`report.tables` write them out, in the
language of a :class:`Words`. docs/reports.md explains every figure.
"""

from __future__ import annotations

from .build import NoDays, Report, build_report
from .periods import Period, PeriodError
from .text import Words

__all__ = ["NoDays", "Period", "PeriodError", "Report", "Words", "build_report"]

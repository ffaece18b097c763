"""Errors of the central record and the shipper.

* CentralError
    * CentralUnavailable    # the central database cannot be reached, or the link broke
    * NotRegistered         # the center is not registered centrally (or not for this role)
    * ChainRefused          # a batch broke or forked the center's chain: refused, alert recorded
"""

from __future__ import annotations


class CentralError(Exception):
    """Something about the central record; the database error, if any, is chained."""


class CentralUnavailable(CentralError):
    """The central database cannot be reached, or the connection broke mid-way.

    Nothing of a batch whose transaction did not commit is in the central record; the
    shipper tries again later from the head the central side reports.
    """


class NotRegistered(CentralError):
    """The central record refuses the center: it is not registered (``novbe central add``),
    or the database role may not ship for it."""


class ChainRefused(CentralError):
    """The central record refused events of a center: the chain is broken or forked there.

    The events before :attr:`seq` were accepted; an alert row names the problem.
    """

    def __init__(self, center: str, seq: int | None, problem: str, head_seq: int) -> None:
        super().__init__(problem)
        self.center = center
        self.seq = seq
        """The first event refused."""
        self.problem = problem
        self.head_seq = head_seq
        """The head of the center's chain in the central record, after the events accepted."""

    def __str__(self) -> str:
        return self.problem

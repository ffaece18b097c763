"""Errors of the queue engine.

Every error means "nothing changed": the engine checks before it acts.

* QueueError
    * InvalidTransition     # the ticket's or counter's state doesn't allow the command
    * UnknownTicket
    * UnknownService
    * UnknownCounter
    * CounterNotOpen        # the counter is closed or paused
    * CounterBusy           # the counter already holds a ticket
    * NoCurrentTicket       # the command needs the counter's current ticket
    * NothingToCall         # no ticket waiting for this counter
    * DayNotOpen            # the center's day has not been opened, or is closed
    * ServiceUnavailable    # new tickets refused: closed for today, or full
    * NoOpenCounter         # a transfer to where no open counter would take the citizen
    * RatingRefused         # a rating the rules don't allow (details["reason"] says which)
    * CounterTaken          # a login at a counter where another operator works
    * OperatorElsewhere     # a login of an operator who works at another counter
"""

from __future__ import annotations


class QueueError(Exception):
    """Base class, never raised itself: each refusal has a subclass whose ``code`` is
    its stable, machine-readable name on the wire (docs/protocol.md lists them all)."""

    code = "queue_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class InvalidTransition(QueueError):
    code = "invalid_transition"


class UnknownTicket(QueueError):
    code = "unknown_ticket"


class UnknownService(QueueError):
    code = "unknown_service"


class UnknownCounter(QueueError):
    code = "unknown_counter"


class CounterNotOpen(QueueError):
    code = "counter_not_open"


class CounterBusy(QueueError):
    code = "counter_busy"


class NoCurrentTicket(QueueError):
    code = "no_current_ticket"


class NothingToCall(QueueError):
    code = "nothing_to_call"


class DayNotOpen(QueueError):
    code = "day_not_open"


class ServiceUnavailable(QueueError):
    """``details["reason"]`` is ``"closed"`` (no open counter serves it today) or
    ``"full"`` (it can no longer be served before closing)."""

    code = "service_unavailable"


class NoOpenCounter(QueueError):
    """A transfer refused because nobody could take the citizen there: no counter serving
    ``details["service"]`` is open or paused, or the named ``details["counter"]`` is closed.
    Accepting it would leave the citizen waiting for good."""

    code = "no_open_counter"


class RatingRefused(QueueError):
    """``details["reason"]`` says why:

    * ``"score"``: the score is not 1 to 5, or a reason is not one of the fixed set;
    * ``"no_visit"``: the counter has finished no visit today;
    * ``"not_last"``: the ticket is not the last one finished at that counter;
    * ``"already_rated"``: that visit has its rating;
    * ``"expired"``: the rating comes more than the hall's ``rating_window_min`` after the finish.
    """

    code = "rating_refused"


class CounterTaken(QueueError):
    """A login refused: ``details["operator"]`` works at ``details["counter"]`` already.
    One counter has one operator; the other logs out first."""

    code = "counter_taken"


class OperatorElsewhere(QueueError):
    """A login refused: ``details["operator"]`` works at ``details["counter"]``, another
    counter. One operator works at one counter; they log out there first."""

    code = "operator_elsewhere"

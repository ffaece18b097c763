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

* InconsistentEvent         # an applied event contradicts the state: a broken log (or our bug)
    * ReplayError           # the same, met replaying a log: names the event's seq

A ``QueueError`` refuses a command, before anything changed. An
``InconsistentEvent`` comes from :meth:`QueueEngine.apply`, which trusts its events:
the engine may be half-changed and must be thrown away.
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


class CheckInRefused(QueueError):
    """A booked citizen checking in outside the hall's window around the slot.

    ``details["reason"]`` is ``"early"`` (with ``details["opens_at"]``, the ISO time the
    window opens) or ``"late"`` (the window closed at ``details["closed_at"]``)."""

    code = "check_in_refused"


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
    * ``"expired"``: the rating comes more than the hall's ``rating_window_min`` after the finish;
    * ``"other_counter"``: the ticket was not finished at the rating terminal's counter (the hub
      checks this before the engine, which knows nothing of terminals).
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


class InconsistentEvent(Exception):
    """An event that cannot follow the engine's state: a ticket that was never issued,
    a counter that holds another ticket, a move the state tables forbid.

    Events come from the engine itself, through the log, so this means the log is
    broken (edited, reordered, or from another hall) or the engine has a bug. The
    engine that raised it may be half-changed: discard it.
    """

    def __init__(self, event: object, problem: str) -> None:
        super().__init__(f"{type(event).__name__}: {problem}")
        self.event = event
        self.problem = problem


class ReplayError(InconsistentEvent):
    """An event of the log that the state built from the events before it can't take.

    ``seq`` is the event's place in the log; ``str()`` is one line naming it, for an
    operator: ``event 1234 (TicketCalled) cannot follow the log before it: counter 2
    holds B061 already``.
    """

    def __init__(self, seq: int, event: object, problem: str) -> None:
        super().__init__(event, problem)
        self.seq = seq
        self.args = (f"event {seq} ({type(event).__name__}) cannot follow the log before it: {problem}",)

"""State and decisions of the rating terminal, without Qt.

A small touchscreen beside a counter, facing the citizen. Between visits it shows the
counter, the operator's name and the ticket being served; when a visit finishes it asks
"how satisfied are you?" with five faces (one tap), then, for anything below the best,
what could have been better (optional), thanks the citizen and goes quietly back.

What the server says arrives typed (``wire.messages``): the center in the ``Welcome``, and
after it and after every change at the counter a :class:`~wire.messages.CounterNotice`: the
counter, who works there, and the visit it finished last, in the citizen's language and
with the time until which it may be rated. The visit to rate is read off that notice, so a
terminal that starts or reconnects right after a finish still asks.

Rules of the screen:

* each visit is offered once, and only while it may still be rated: the faces stay until
  :attr:`Timings.faces` after the finish, never past the server's ``rate_until``. Calling the
  next citizen does not take them away (an operator must not be able to skip a rating);
* one rating per visit: the request goes out once, when the citizen is done (a face of 5,
  the send button, or the reasons screen left alone), with an id of its own. Made while
  offline, it waits for the connection and is sent with that same id, so the server records
  it once;
* the language is the citizen's: the ticket's (``lang`` of the visit, or of the ticket being
  served), else the device file's.

Threads and time as in the kiosk: used from one thread; answers arrive through ``post``;
``clock`` (monotonic seconds) drives the screens' timeouts through :meth:`tick`, ``now`` is
the server's clock (``Session.now``) for the visit's times.
"""

from __future__ import annotations

import enum
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psygnal import Signal

from wire.client import ConnState, RequestFailed, RequestTimeout, Result
from wire.events import VisitRated
from wire.i18n import catalog, tr
from wire.messages import (
    CenterInfo,
    CounterNotice,
    CounterView,
    EventMessage,
    OperatorInfo,
    RatingResult,
    ServerMessage,
    TicketView,
    VisitView,
    Welcome,
    pick,
)
from wire.session import Post, Requester
from wire.types import LANGS, CounterNo, CounterState, Lang, RatingReason, TicketState

log = logging.getLogger("novbe.rating")

SCORES: tuple[int, ...] = (1, 2, 3, 4, 5)
"""The five faces, from very unhappy to very satisfied, left to right."""

BEST = 5
"""The score after which no reasons are asked: nothing to make better."""

REASONS: tuple[RatingReason, ...] = tuple(RatingReason)
"""The reasons offered, in the order the screen shows them."""

RETRY_CODES = frozenset({"store_unavailable", "shutting_down", "internal_error"})
"""Answers after which nothing was recorded and the same request may run again."""


class Screen(enum.StrEnum):
    IDLE = "idle"
    """The counter, its operator, the ticket being served."""
    FACES = "faces"
    REASONS = "reasons"
    THANKS = "thanks"


@dataclass(frozen=True)
class Timings:
    """Every delay of the terminal, in seconds. Tests and screenshots shorten some."""

    faces: float = 60.0
    """The faces stay this long after the visit finished (never past the server's window)."""
    reasons: float = 20.0
    """The reasons screen sends what was chosen once left alone this long."""
    thanks: float = 5.0
    tap_guard: float = 0.35
    """Taps this soon after a screen change are ignored (the second half of a double tap)."""
    offline_grace: float = 2.0
    """A connection that drops and comes back within this time is not shown."""
    send_timeout: float = 3600.0
    """A rating made offline waits this long for the connection."""
    retry: float = 5.0
    """After an answer that recorded nothing (``store_unavailable``), send again this much later."""
    window_margin: float = 10.0
    """The reasons screen sends this long before the server's window closes, at the latest."""


@dataclass
class _Rating:
    """A rating on its way to the server."""

    request_id: str
    visit: VisitView
    score: int
    reasons: tuple[RatingReason, ...]
    retry_at: float | None = None
    """When to send it again (an answer that recorded nothing); None while it is out."""


class RatingViewModel:
    """Everything the rating terminal shows and every decision it makes.

    Args:
        server: the session with the server (``request`` returns a future of the typed result).
        counter: the counter this terminal stands at.
        device: this terminal's code (the counter's number), for the request ids.
        default_lang: the language when no citizen's is known.
        clock: monotonic seconds.
        now: the server's clock, in the center's time zone.
        post: runs a function in the model's thread.
    """

    changed = Signal()
    """Something on screen changed; the view redraws."""

    def __init__(
        self,
        server: Requester,
        *,
        counter: CounterNo,
        device: str | None = None,
        default_lang: str = "az",
        clock: Callable[[], float],
        now: Callable[[], datetime],
        post: Post,
        timings: Timings | None = None,
    ) -> None:
        self._server = server
        self.counter = counter
        self.device = device or str(counter)
        self.default_lang: Lang = _lang(default_lang) or "az"
        self._clock = clock
        self._now = now
        self._post = post
        self.timings = timings or Timings()
        self._catalog = catalog("rating")

        # What the server told us.
        self.center: CenterInfo | None = None
        self.desk: CounterView | None = None
        """The counter as the server last described it."""
        self.operator: OperatorInfo | None = None
        """Who works at the counter now, with their name."""
        self._latest: VisitView | None = None
        """The visit the counter finished last, as the last notice said."""

        # The connection.
        self.online = False
        self.refused = False
        self._offline_since: float | None = clock()
        self._offline_shown = False

        # The citizen.
        self.screen = Screen.IDLE
        self.visit: VisitView | None = None
        """The visit being rated (faces, reasons, thanks)."""
        self.score: int | None = None
        self.reasons: list[RatingReason] = []
        self._screen_since = clock()
        self._last_touch = clock()
        self._offered: set[tuple[str, datetime]] = set()
        """Visits already offered (ticket, finish): never asked twice."""

        # Ratings sent and not yet answered, by request id.
        self.unsent: dict[str, _Rating] = {}

    # --- reading ------------------------------------------------------------------------

    def tr(self, key: str, /, **values: Any) -> str:
        """A text of the terminal in the language shown: its own, else the words of a rating
        it shares with the phone page (``rating.*`` in the ``wire`` catalog)."""
        if key in self._catalog.texts["az"]:
            return self._catalog.tr(key, self.lang, **values)
        return tr(f"rating.{key}", self.lang, **values)

    @property
    def lang(self) -> Lang:
        """The citizen's language: the rated visit's ticket's, else the ticket being served's."""
        if self.visit is not None and self.screen is not Screen.IDLE:
            return self.visit.lang
        current = self.serving
        return current.lang if current is not None else self.default_lang

    @property
    def serving(self) -> TicketView | None:
        """The ticket called to or served at the counter now."""
        current = self.desk.current if self.desk is not None else None
        if current is None or current.state not in (TicketState.CALLED, TicketState.SERVING):
            return None
        return current

    @property
    def counter_state(self) -> CounterState:
        return self.desk.state if self.desk is not None else CounterState.CLOSED

    @property
    def operator_name(self) -> str | None:
        """The name of who works at the counter now (None: nobody is logged in)."""
        if self.operator is None or self.desk is None or self.desk.operator is None:
            return None
        return self.operator.name

    @property
    def agency_name(self) -> str:
        """The name of the agency the counter works for ("" before the welcome)."""
        if self.center is None:
            return ""
        info = self.center.counter(self.counter)
        agency = self.center.agency(info.agency) if info is not None and info.agency else None
        return pick(agency.name, self.lang) if agency is not None else ""

    @property
    def offline_shown(self) -> bool:
        """Whether the screen says the server can't be reached: down longer than the grace
        period, or never up."""
        return self._offline_shown

    @property
    def waiting_to_send(self) -> int:
        """Ratings made here that the server has not recorded yet."""
        return len(self.unsent)

    @property
    def kept(self) -> bool:
        """On the thank-you screen: whether the citizen's rating still waits for the connection."""
        return any(r.visit is self.visit for r in self.unsent.values()) and not self.online

    # --- taps ---------------------------------------------------------------------------

    def touch(self) -> None:
        """Any touch on the screen: restarts the reasons screen's timer."""
        self._last_touch = self._clock()

    def rate(self, score: int) -> None:
        """A face was tapped."""
        if self.screen is not Screen.FACES or score not in SCORES or not self._accept_tap():
            return
        self.score = score
        if score == BEST:
            self._send()
            return
        self.reasons = []
        self._show(Screen.REASONS)

    def toggle_reason(self, reason: RatingReason) -> None:
        if self.screen is not Screen.REASONS or reason not in REASONS or not self._accept_tap():
            return
        if reason in self.reasons:
            self.reasons.remove(reason)
        else:
            self.reasons.append(reason)
        self.changed.emit()

    def send(self) -> None:
        """The citizen is done with the reasons."""
        if self.screen is not Screen.REASONS or not self._accept_tap():
            return
        self._send()

    def dismiss(self) -> None:
        """A tap on the thank-you screen: back at once."""
        if self.screen is Screen.THANKS and self._accept_tap():
            self._idle()

    # --- the server ---------------------------------------------------------------------

    def on_message(self, message: ServerMessage) -> None:
        match message:
            case Welcome(center=center, snapshot=snapshot):
                self.center = center
                if snapshot is not None and self.counter in snapshot.counters:
                    self.desk = snapshot.counters[self.counter]
                self.changed.emit()
            case CounterNotice(counter=desk, operator=operator, visit=visit) if desk.number == self.counter:
                self.desk, self.operator, self._latest = desk, operator, visit
                self._on_visit(visit)
                self.changed.emit()
            case EventMessage(event=VisitRated(counter=number, ticket=ticket)) if number == self.counter:
                # Rated elsewhere (the ticket's phone page) while the faces are up: nothing to ask.
                if self.screen is Screen.FACES and self.visit is not None and self.visit.ticket == ticket:
                    self._idle()

    def on_connection(self, state: ConnState) -> None:
        self.refused = state is ConnState.REFUSED
        online = state is ConnState.ONLINE
        if online != self.online:
            self.online = online
            if online:
                self._offline_since = None
                self._offline_shown = False
            else:
                self._offline_since = self._clock()
        self.changed.emit()

    # --- time ---------------------------------------------------------------------------

    def tick(self) -> None:
        """Called a few times a second: the screens' timeouts, the offline notice, resends."""
        clock = self._clock()
        dirty = False
        shown = not self.online and (
            self._offline_shown
            or self.center is None
            or (self._offline_since is not None and clock - self._offline_since >= self.timings.offline_grace)
        )
        if shown != self._offline_shown:
            self._offline_shown = shown
            dirty = True
        for rating in list(self.unsent.values()):
            if rating.retry_at is not None and clock >= rating.retry_at:
                self._request(rating)
        if self.screen is Screen.FACES and self.visit is not None:
            if self._now() >= self._faces_until(self.visit):
                log.info("visit %s not rated: the faces timed out", self.visit.number)
                self._idle()
                return
        elif self.screen is Screen.REASONS and self.visit is not None:
            late = self.visit.rate_until - timedelta(seconds=self.timings.window_margin)
            if (
                clock - max(self._last_touch, self._screen_since) >= self.timings.reasons
                or self._now() >= late
            ):
                self._send()
                return
        elif self.screen is Screen.THANKS and clock - self._screen_since >= self.timings.thanks:
            self._idle()
            return
        if dirty:
            self.changed.emit()

    # --- internals ----------------------------------------------------------------------

    def _faces_until(self, visit: VisitView) -> datetime:
        return min(visit.rate_until, visit.finished_at + timedelta(seconds=self.timings.faces))

    def _on_visit(self, visit: VisitView | None) -> None:
        """A notice said which visit the counter finished last."""
        if visit is None:
            # A new day: nothing finished here yet.
            if self.screen in (Screen.FACES, Screen.REASONS):
                self._idle(emit=False)
            return
        if visit.rated_at is not None:
            rated_here = self.visit is not None and self.visit.ticket == visit.ticket
            if rated_here and self.screen is Screen.FACES:
                self._idle(emit=False)  # rated elsewhere: nothing to ask
            return
        if self.screen is Screen.IDLE:
            self._offer(visit)
        elif self.visit is not None and (visit.ticket, visit.finished_at) != _key(self.visit):
            # The counter finished another visit while this one was being rated.
            if self.screen is Screen.REASONS:
                self._send()
            if self.screen is Screen.FACES:
                self._idle(emit=False)
                self._offer(visit)
            # On the thank-you screen: offered when it ends (_idle).

    def _offer(self, visit: VisitView) -> None:
        """Show the faces for ``visit`` if it may still be rated and was not offered yet."""
        key = _key(visit)
        if key in self._offered or visit.rated_at is not None:
            return
        if self._now() >= self._faces_until(visit):
            return
        self._offered.add(key)
        self.visit = visit
        self.score = None
        self.reasons = []
        log.info("asking for a rating of visit %s", visit.number)
        self._show(Screen.FACES, emit=False)

    def _accept_tap(self) -> bool:
        now = self._clock()
        self._last_touch = now
        return now - self._screen_since >= self.timings.tap_guard

    def _show(self, screen: Screen, *, emit: bool = True) -> None:
        self.screen = screen
        self._screen_since = self._last_touch = self._clock()
        if emit:
            self.changed.emit()

    def _idle(self, *, emit: bool = True) -> None:
        self.visit = None
        self.score = None
        self.reasons = []
        self._show(Screen.IDLE, emit=False)
        if self._latest is not None:
            self._offer(self._latest)
        if emit:
            self.changed.emit()

    def _send(self) -> None:
        """Send the rating of the visit on screen, and thank the citizen."""
        assert self.visit is not None, "a rating without a visit"
        assert self.score is not None, "a rating without a score"
        rating = _Rating(
            request_id=f"rating-{self.device}-{uuid.uuid4().hex[:16]}",
            visit=self.visit,
            score=self.score,
            reasons=tuple(self.reasons),
        )
        self.unsent[rating.request_id] = rating
        self._request(rating)
        self._show(Screen.THANKS)

    def _request(self, rating: _Rating) -> None:
        rating.retry_at = None
        future = self._server.request(
            "rate",
            timeout=self.timings.send_timeout,
            request_id=rating.request_id,
            ticket=rating.visit.ticket,
            score=rating.score,
            reasons=[reason.value for reason in rating.reasons],
        )
        future.add_done_callback(lambda f: self._post(lambda: self._answered(rating, f)))

    def _answered(self, rating: _Rating, future: Future[Result]) -> None:
        try:
            result = future.result()
        except RequestTimeout:
            log.warning(
                "rating of %s dropped: not sent within %.0f s", rating.visit.number, self.timings.send_timeout
            )
        except RequestFailed as exc:
            if exc.code in RETRY_CODES:
                # Nothing was recorded: the same request, with the same id, a little later.
                rating.retry_at = self._clock() + self.timings.retry
                return
            if exc.code != "stopped":
                reason = exc.details.get("reason", "")
                log.warning(
                    "rating of %s refused: %s %s (%s)", rating.visit.number, exc.code, reason, exc.message
                )
        else:
            assert isinstance(result, RatingResult), f"a rating answered with {type(result).__name__}"
            log.info("rating of %s recorded: %s", rating.visit.number, result.rating.score)
        self.unsent.pop(rating.request_id, None)
        self.changed.emit()


def _key(visit: VisitView) -> tuple[str, datetime]:
    return visit.ticket, visit.finished_at


def _lang(value: str) -> Lang | None:
    return next((lang for lang in LANGS if lang == value), None)

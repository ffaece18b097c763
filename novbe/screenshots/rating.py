"""Pictures of every screen of the rating terminal: ``python -m novbe.screenshots.rating OUT_DIR``.

Each screen in az, ru and en on a 7" landscape touchscreen (800x480), and the faces also on
a 1024x600 one, drawn offscreen from the reference center (no server), saved as
``rating-<screen>-<lang>.png``.

The terminal is fed what the server would send it: a ``Welcome`` for the reference center
(the kiosk's sample, :mod:`novbe.screenshots.kiosk`) and :class:`~wire.messages.CounterNotice`
values made by :func:`notice`; the terminal's tests use them too.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from novbe.screenshots.kiosk import REFERENCE, sample_center
from rating.viewmodel import RatingViewModel, Timings
from wire.client import ConnState, Result
from wire.events import VisitRated
from wire.messages import (
    CenterInfo,
    CounterNotice,
    CounterView,
    OperatorInfo,
    Snapshot,
    TicketView,
    VisitView,
    Welcome,
)
from wire.types import CounterState, Lang, RatingReason, TicketState

COUNTER = 12
OPERATOR = OperatorInfo(login="op12", name="Leyla Məmmədova")
FINISHED_AT = datetime.fromisoformat("2026-11-23T10:42:00+04:00")
"""When the sample visit finished (and the sample welcome was sent)."""
WINDOW = timedelta(minutes=5)
"""The hall's rating window in the samples (``rating_window_min``)."""

SIZES = {"": (800, 480), "-1024x600": (1024, 600)}
SCREENS = ("idle", "faces", "reasons", "thanks", "offline", "closed")
"""``offline``: the connection is down with a rating waiting to be sent; ``closed``: nobody works
at the counter."""


# --- what the server would send -------------------------------------------------------------


def sample_welcome(center: CenterInfo | None = None, counter: int = COUNTER) -> Welcome:
    """A rating terminal's ``welcome`` for the reference center, the counter closed."""
    center = center or sample_center(REFERENCE)
    desk = CounterView(number=counter, state=CounterState.CLOSED)
    return Welcome(
        role="rating",
        device=str(counter),
        seq=1,
        server_time=FINISHED_AT,
        center=center,
        snapshot=Snapshot(day=FINISHED_AT.date(), open=True, counters={counter: desk}),
    )


def ticket(number: str, state: TicketState, *, lang: Lang = "az", counter: int = COUNTER) -> TicketView:
    """Ticket ``number`` of the identity-card service, at ``counter`` in ``state``."""
    return TicketView(
        id=f"{FINISHED_AT:%Y%m%d}-{number}",
        number=number,
        service="DIN-ID",
        agency="DIN",
        state=state,
        counter=counter,
        lang=lang,
        issued_at=FINISHED_AT - timedelta(minutes=20),
    )


def visit(
    number: str,
    *,
    lang: Lang = "az",
    finished_at: datetime = FINISHED_AT,
    rated_at: datetime | None = None,
    window: timedelta = WINDOW,
) -> VisitView:
    """The visit of ticket ``number``, finished at ``finished_at`` by :data:`OPERATOR`."""
    return VisitView(
        ticket=f"{finished_at:%Y%m%d}-{number}",
        number=number,
        service="DIN-ID",
        lang=lang,
        operator=OPERATOR,
        finished_at=finished_at,
        rate_until=finished_at + window,
        rated_at=rated_at,
    )


def notice(
    *,
    serving: TicketView | None = None,
    last: VisitView | None = None,
    state: CounterState = CounterState.OPEN,
    operator: OperatorInfo | None = OPERATOR,
    counter: int = COUNTER,
) -> CounterNotice:
    """The counter notice: ``operator`` works there (None: closed), serving ``serving``,
    and finished ``last`` last."""
    if operator is None:
        state = CounterState.CLOSED
    desk = CounterView(
        number=counter,
        state=state,
        operator=operator.login if operator is not None else None,
        current=serving,
    )
    return CounterNotice(counter=desk, operator=operator, visit=last)


def rated(visit: VisitView, score: int, at: datetime, reasons: tuple[str, ...] = ()) -> VisitRated:
    """The event the server records when ``visit``, at :data:`COUNTER`, is rated ``score``."""
    return VisitRated(
        ticket=visit.ticket,
        number=visit.number,
        counter=COUNTER,
        service=visit.service,
        agency="DIN",
        score=score,
        reasons=tuple(RatingReason(r) for r in reasons),
        finished_at=visit.finished_at,
        at=at,
        operator=visit.operator.login if visit.operator else None,
    )


# --- the terminal, brought to each screen ---------------------------------------------------


class _Server:
    """Takes every rating and never answers (the screenshots need no answer)."""

    def request(self, kind: str, /, *, timeout: float = 10.0, **fields: Any) -> Future[Result]:
        assert kind == "rate", f"the terminal asked for {kind}"
        return Future()


def staged_model(screen: str, lang: Lang) -> RatingViewModel:
    """A view-model brought to ``screen`` the way a citizen would get there."""
    clock = [0.0]
    model = RatingViewModel(
        _Server(),
        counter=COUNTER,
        default_lang=lang,  # the device file's: what the screen says when nobody is served
        clock=lambda: clock[0],
        now=lambda: FINISHED_AT + timedelta(seconds=clock[0]),
        post=lambda fn: fn(),
        timings=Timings(),
    )
    step: Callable[[], None] = lambda: clock.__setitem__(0, clock[0] + 1.0)  # noqa: E731
    model.on_connection(ConnState.ONLINE)
    model.on_message(sample_welcome())
    if screen == "closed":
        model.on_message(notice(operator=None))
        return model
    if screen == "idle":
        model.on_message(notice(serving=ticket("A014", TicketState.SERVING, lang=lang)))
        return model
    model.on_message(notice(last=visit("A014", lang=lang)))
    step()
    if screen == "faces":
        return model
    model.rate(2)
    step()
    if screen == "reasons":
        model.toggle_reason(RatingReason.WAITED_TOO_LONG)
        model.toggle_reason(RatingReason.NEEDED_DOCUMENTS)
        return model
    if screen == "offline":
        # The next citizen is called, then the connection drops before the rating is sent.
        model.on_message(notice(serving=ticket("A015", TicketState.CALLED, lang=lang), last=visit("A014")))
        model.on_connection(ConnState.OFFLINE)
    model.send()
    if screen == "offline":
        step()
        model.dismiss()
        clock[0] += 5.0
        model.tick()
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m novbe.screenshots.rating", description=__doc__)
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QSize
    from PySide6.QtWidgets import QApplication

    from rating.qt_rating import RatingWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    args.out.mkdir(parents=True, exist_ok=True)
    langs: tuple[Lang, ...] = ("az", "ru", "en")
    for suffix, (width, height) in SIZES.items():
        for lang in langs:
            for screen in SCREENS if not suffix else ("faces",):
                model = staged_model(screen, lang)
                window = RatingWindow(model, size=QSize(width, height))
                window.show()
                app.processEvents()
                path = args.out / f"rating-{screen}{suffix}-{lang}.png"
                window.grab().save(str(path), "PNG")
                window.close()
                window.deleteLater()
                sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

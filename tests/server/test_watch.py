"""The queues a supervisor must look at (server/watch.py), on the engine itself: when a wait
passes the standard, who is stranded, and how the alerts begin and end."""

from __future__ import annotations

from datetime import timedelta

from server import views
from server.hub.presence import Presence
from server.queue import (
    CallNext,
    CloseCounter,
    OpenCounter,
    OpenDay,
    PauseCounter,
    QueueEngine,
    SetCounterServices,
    Transfer,
)
from server.queue.estimate import PoolEstimator
from server.watch import CLEAR_AFTER, QueueWatch, breach_in_min, stranded
from tests.queue.builders import DAY, at, issue, make_hall, open_engine
from wire.messages import QueueFigures


def test_nobody_waiting_passes_nothing() -> None:
    engine = open_engine()
    assert breach_in_min(engine, "ID", engine.waiting("ID"), at(0)) is None


def test_a_wait_past_the_standard_is_zero_minutes_away() -> None:
    engine = open_engine()
    issue(engine, "TAX", 0)
    assert breach_in_min(engine, "TAX", engine.waiting("TAX"), at(16)) == 0
    # At 14 min, with one 6-minute service ahead of a new ticket, in about a minute.
    assert breach_in_min(engine, "TAX", engine.waiting("TAX"), at(14)) == 1


def test_a_long_queue_at_one_counter_is_forecast_to_pass_the_standard() -> None:
    """TAX takes 6 min and one counter serves it: the fourth in line waits about 24 min."""
    engine = open_engine()
    for minute in range(4):
        issue(engine, "TAX", minute)
    queue = engine.waiting("TAX")
    minutes = breach_in_min(engine, "TAX", queue, at(4))
    assert minutes is not None
    assert 0 < minutes <= 15


def test_the_engines_own_estimator_decides_the_forecast() -> None:
    """With the server's pool estimator: a second counter for TAX takes half the work, and
    the breach comes later or not at all."""

    def forecast(*, shared: bool) -> int | None:
        engine = QueueEngine(make_hall(), estimator=PoolEstimator())
        engine.handle(OpenDay(day=DAY, at=at(-60)))
        for no in (3, 4):
            engine.handle(OpenCounter(counter=no, at=at(-60), operator=f"op{no}"))
        if shared:
            engine.handle(SetCounterServices(counter=3, services=("BANK", "TAX"), at=at(-1)))
        for minute in range(4):
            issue(engine, "TAX", minute / 10)
        return breach_in_min(engine, "TAX", engine.waiting("TAX"), at(1))

    alone, shared = forecast(shared=False), forecast(shared=True)
    assert alone is not None
    assert shared is None or shared > alone


def test_citizens_nobody_would_call_are_stranded() -> None:
    engine = open_engine(counters=(1, 2, 4))  # the bank's counter 3 is closed
    issue(engine, "BANK", 0)
    assert stranded(engine, "BANK", engine.waiting("BANK")) == 1
    assert breach_in_min(engine, "BANK", engine.waiting("BANK"), at(1)) is None
    # Sent by name to counter 2, which then closes: stranded too.
    tid = issue(engine, "ID", 1)
    engine.handle(CallNext(counter=1, at=at(2)))
    engine.handle(Transfer(counter=1, to_counter=2, at=at(3)))
    assert stranded(engine, "ID", engine.waiting("ID")) == 0
    engine.handle(CloseCounter(counter=2, at=at(4)))
    assert [t.id for t in engine.waiting("ID")] == [tid]
    assert stranded(engine, "ID", engine.waiting("ID")) == 1


def test_paused_counters_strand_nobody() -> None:
    engine = open_engine(counters=(3,))
    engine.handle(PauseCounter(counter=3, at=at(0)))
    issue(engine, "BANK", 0)
    assert stranded(engine, "BANK", engine.waiting("BANK")) == 0


def test_queue_figures_carry_the_forecast_and_the_stranded() -> None:
    engine = open_engine(counters=(1, 2, 4))
    issue(engine, "BANK", 0)
    issue(engine, "TAX", 0)
    figures = views.queue_stats(engine, at(20))
    assert (figures["BANK"].stranded, figures["BANK"].breach_in_min) == (1, 0)
    assert (figures["TAX"].stranded, figures["TAX"].breach_in_min) == (0, 0)
    assert figures["ID"].breach_in_min is None


def figures(**services: QueueFigures) -> dict[str, QueueFigures]:
    return dict(services)


def fig(*, breach: int | None = None, stranded: int = 0) -> QueueFigures:
    return QueueFigures(
        waiting=1,
        oldest_wait_min=0.0,
        open_counters=1,
        available=True,
        breach_in_min=breach,
        stranded=stranded,
    )


def test_an_alert_begins_once_and_ends_after_its_reason_has_gone() -> None:
    watch = QueueWatch()
    (alert,) = watch.update(figures(ID=fig(breach=20)), at(0))
    assert (alert.service, alert.kind, alert.since) == ("ID", "forecast", at(0))
    # Beyond 30 minutes is no reason: the alert stays until CLEAR_AFTER from its last reason.
    assert watch.update(figures(ID=fig(breach=40)), at(1)) == (alert,)
    assert watch.update(figures(ID=fig()), at(0) + CLEAR_AFTER - timedelta(seconds=1)) == (alert,)
    assert watch.update(figures(ID=fig()), at(0) + CLEAR_AFTER) == ()


def test_over_the_standard_replaces_the_forecast_and_stranded_stands_beside() -> None:
    watch = QueueWatch()
    watch.update(figures(ID=fig(breach=5)), at(0))
    alerts = watch.update(figures(ID=fig(breach=0), BANK=fig(stranded=2)), at(1))
    assert [(a.service, a.kind) for a in alerts] == [
        ("ID", "forecast"),
        ("BANK", "stranded"),
        ("ID", "over_standard"),
    ]
    watch.clear()
    assert watch.alerts() == ()


def test_presence_reports_only_devices_away_longer_than_the_grace() -> None:
    presence = Presence(grace=timedelta(seconds=60))
    presence.connected("kiosk:kiosk-1")
    presence.disconnected("kiosk:kiosk-1", "kiosk", at(0))
    assert presence.overdue(at(0.5)) == []
    assert presence.overdue(at(1)) == [("kiosk:kiosk-1", "kiosk")]
    presence.connected("kiosk:kiosk-1")
    assert presence.overdue(at(5)) == []
    # A counter app replaced by a new connection of its own is not away.
    presence.connected("counter:3")
    presence.disconnected("counter:3", "counter", at(2), still_here=True)
    assert presence.is_here("counter:3")
    # Seen before the server started: away from the start until it connects.
    presence.known("display:lobby", "display", at(0))
    assert presence.overdue(at(2)) == [("display:lobby", "display")]

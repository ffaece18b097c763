"""Server messages for the display's tests, built from the wire's own models (``wire.messages``,
``wire.events``), so that a change of the wire breaks them as it would break the display."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from wire import events as ev
from wire.messages import (
    AgencyInfo,
    CenterInfo,
    CounterInfo,
    DisplayInfo,
    EventMessage,
    MessageNotice,
    Names,
    QueueFigures,
    QueuesNotice,
    ServiceInfo,
    Snapshot,
    TicketView,
    Welcome,
    ZoneInfo,
)
from wire.types import CounterNo, Lang, TicketState, WaitRange

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 12:00 in Baku, a Monday


class FakeClock:
    """The server's clock as the session gives it (``Session.now``), moved by hand."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _service(code: str, agency: str, prefix: str) -> ServiceInfo:
    return ServiceInfo(code=code, agency=agency, prefix=prefix, name={"az": code}, mean_service_min=6.0)


def center(display_zones: dict[str, list[str]] | None = None) -> CenterInfo:
    """A small center: floor-1 has agency DIN (A, counters 1-3) and KOM (K, counter 4);
    floor-2 has EDL (B, counters 11-12)."""
    displays = display_zones or {
        "lobby": ["floor-1", "floor-2"],
        "floor-1": ["floor-1"],
        "floor-2": ["floor-2"],
    }
    return CenterInfo(
        code="BAKU1",
        timezone="Asia/Baku",
        opens=time(9),
        closes=time(18),
        name={
            "az": "Bakı 1 nömrəli ASAN xidmət mərkəzi",
            "ru": "Центр ASAN xidmət № 1",
            "en": "Baku ASAN 1",
        },
        languages=("az", "ru", "en"),
        zones=(
            ZoneInfo(code="floor-1", name={"az": "1-ci mərtəbə"}),
            ZoneInfo(code="floor-2", name={"az": "2"}),
        ),
        agencies=(
            AgencyInfo(
                code="DIN", prefix="A", zone="floor-1", name={"az": "Daxili İşlər Nazirliyi", "ru": "МВД"}
            ),
            AgencyInfo(
                code="EDL", prefix="B", zone="floor-2", name={"az": "Ədliyyə Nazirliyi", "ru": "Минюст"}
            ),
            AgencyInfo(
                code="KOM", prefix="K", zone="floor-1", name={"az": "ASAN Kommunal", "ru": "Коммунал"}
            ),
        ),
        services=(
            _service("DIN-ID", "DIN", "A"),
            _service("DIN-PASS", "DIN", "A"),
            _service("EDL-POA", "EDL", "B"),
            _service("KOM-GAS", "KOM", "K"),
        ),
        counters=(
            *(CounterInfo(number=n, zone="floor-1", agency="DIN", services=("DIN-ID",)) for n in (1, 2, 3)),
            CounterInfo(number=4, zone="floor-1", agency="KOM", services=("KOM-GAS",)),
            *(CounterInfo(number=n, zone="floor-2", agency="EDL", services=("EDL-POA",)) for n in (11, 12)),
        ),
        displays=tuple(DisplayInfo(code=code, zones=tuple(zones)) for code, zones in displays.items()),
    )


def ticket(
    number: str,
    counter: CounterNo,
    called_at: datetime,
    state: TicketState = TicketState.CALLED,
    lang: Lang = "az",
) -> TicketView:
    return TicketView(
        id=f"20260302-{number}",
        number=number,
        service="DIN-ID",
        agency="DIN",
        state=state,
        counter=counter,
        lang=lang,
        issued_at=called_at - timedelta(minutes=10),
        called_at=called_at,
        recalls=0,
    )


def figures(waiting: int, wait: WaitRange | None = None) -> QueueFigures:
    return QueueFigures(waiting=waiting, oldest_wait_min=0.0, open_counters=1, available=True, wait=wait)


def welcome(
    device: str = "lobby",
    *,
    seq: int = 0,
    server_time: datetime = T0,
    tickets: list[TicketView] | None = None,
    queues: dict[str, int] | None = None,
    message: Names | None = None,
    resumed: bool = False,
) -> Welcome:
    """A display's ``welcome``: with a snapshot, or (``resumed``) without one.
    ``queues``: the number waiting per service code."""
    snapshot = None
    if not resumed:
        snapshot = Snapshot(
            day=date(2026, 3, 2),
            open=True,
            tickets=tuple(tickets or ()),
            queues={code: figures(n) for code, n in (queues or {}).items()},
            message=message,
        )
    return Welcome(
        role="display",
        device=device,
        seq=seq,
        server_time=server_time,
        center=center(),
        resumed=resumed,
        snapshot=snapshot,
    )


TicketEnd = type[ev.ServiceStarted] | type[ev.TicketFinished] | type[ev.TicketNoShow] | type[ev.TicketParked]


class Events:
    """Numbered event messages, the way the server sends them."""

    def __init__(self, seq: int = 0) -> None:
        self.seq = seq

    def _message(self, event: ev.Event) -> EventMessage:
        self.seq += 1
        return EventMessage(seq=self.seq, event=event)

    def called(self, number: str, counter: CounterNo, at: datetime, lang: Lang | None = None) -> EventMessage:
        return self._message(
            ev.TicketCalled(
                ticket=f"20260302-{number}",
                number=number,
                service="DIN-ID",
                counter=counter,
                at=at,
                lang=lang,
            )
        )

    def recalled(
        self, number: str, counter: CounterNo, at: datetime, recalls: int = 1, lang: Lang | None = None
    ) -> EventMessage:
        return self._message(
            ev.TicketRecalled(
                ticket=f"20260302-{number}", number=number, counter=counter, recalls=recalls, at=at, lang=lang
            )
        )

    def ticket_event(self, kind: TicketEnd, number: str, counter: CounterNo, at: datetime) -> EventMessage:
        return self._message(kind(ticket=f"20260302-{number}", number=number, counter=counter, at=at))

    def transferred(self, number: str, counter: CounterNo, at: datetime) -> EventMessage:
        return self._message(
            ev.TicketTransferred(
                ticket=f"20260302-{number}", number=number, from_counter=counter, to_service="EDL-POA", at=at
            )
        )

    def counter_closed(self, counter: CounterNo, at: datetime) -> EventMessage:
        return self._message(ev.CounterClosed(counter=counter, at=at))

    def day_closed(self, at: datetime) -> EventMessage:
        return self._message(ev.DayClosed(at=at))

    def day_opened(self, at: datetime) -> EventMessage:
        return self._message(ev.DayOpened(day=at.date(), at=at))


def queues(**waiting: int) -> QueuesNotice:
    """A ``queues`` notice: ``queues(DIN_ID=4)`` for service DIN-ID with 4 waiting."""
    return QueuesNotice(services={code.replace("_", "-"): figures(n) for code, n in waiting.items()})


def message(text: Names | None) -> MessageNotice:
    """The displays' scrolling line changed (None: removed)."""
    return MessageNotice(text=text)

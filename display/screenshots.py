"""Screenshots of the hall display for the documentation: ``python -m display.screenshots OUT_DIR``.

Renders the real window offscreen with a sample hall (the first floor and lobby of a Baku center)
at 1080p landscape, 4K (saved at half size to keep the file small), 1080x1920 portrait, and a
720p screen that has lost its connection. Writes display-1080p.png, display-4k.png,
display-portrait.png and display-offline.png.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from display.viewmodel import Clock, DisplayViewModel
from wire.events import TicketCalled
from wire.messages import (
    AgencyInfo,
    CenterInfo,
    CounterInfo,
    DisplayInfo,
    EventMessage,
    QueueFigures,
    ServiceInfo,
    Snapshot,
    TicketView,
    Welcome,
    ZoneInfo,
)
from wire.types import TicketState

SAMPLE_TIME = datetime(2026, 3, 2, 6, 42, 10, tzinfo=UTC)
"""10:42 in Baku, a Monday."""

_AGENCIES = [
    ("DIN", "A", "Daxili İşlər Nazirliyi", "Министерство внутренних дел", [1, 2, 3, 7, 12]),
    ("EDL", "B", "Ədliyyə Nazirliyi", "Министерство юстиции", [21, 22]),
    ("DMX", "C", "Dövlət Miqrasiya Xidməti", "Государственная миграционная служба", [31, 32]),
    ("EMDX", "D", "Əmlak Məsələləri Dövlət Xidməti", "Служба по вопросам имущества", [40]),
    ("EHSMN", "G", "Əmək və Əhalinin Sosial Müdafiəsi Nazirliyi", "Министерство труда", [51]),
    ("KOM", "K", "ASAN Kommunal", "ASAN Коммунал", [4, 5]),
    ("BANK", "L", "Bank xidmətləri", "Банковские услуги", [9]),
    ("MED", "M", "Tibbi arayış", "Медицинская справка", [10]),
]

SAMPLE_MESSAGE = {
    "az": "Hörmətli vətəndaşlar! Biletinizin nömrəsi ekranda göründükdə göstərilən masaya yaxınlaşın. "
    "Məlumat üçün 108 nömrəsinə zəng edin. Sağ olun!",
    "ru": "Уважаемые граждане! Когда номер вашего билета появится на экране, подойдите к указанному окну.",
}


def sample_center() -> CenterInfo:
    """The center as the server's ``welcome`` describes it."""
    return CenterInfo(
        code="BAKU1",
        name={
            "az": "Bakı 1 nömrəli ASAN xidmət mərkəzi",
            "ru": "Центр ASAN xidmət № 1 г. Баку",
            "en": "Baku ASAN service center No. 1",
        },
        timezone="Asia/Baku",
        languages=("az", "ru", "en"),
        opens=time(9),
        closes=time(18),
        zones=(ZoneInfo(code="floor-1", name={"az": "1-ci mərtəbə"}),),
        agencies=tuple(
            AgencyInfo(code=code, prefix=prefix, zone="floor-1", name={"az": az, "ru": ru})
            for code, prefix, az, ru, _ in _AGENCIES
        ),
        services=tuple(
            ServiceInfo(code=f"{code}-1", agency=code, prefix=prefix, name={"az": az}, mean_service_min=8.0)
            for code, prefix, az, _, _ in _AGENCIES
        ),
        counters=tuple(
            CounterInfo(number=n, zone="floor-1", agency=code, services=(f"{code}-1",))
            for code, _, _, _, numbers in _AGENCIES
            for n in numbers
        ),
        displays=(DisplayInfo(code="lobby", zones=("floor-1",)),),
    )


def sample_model(
    now: datetime = SAMPLE_TIME, *, message: bool = True, clock: Clock | None = None
) -> DisplayViewModel:
    """A lobby display a few minutes into a busy morning, the newest call just made at ``now``."""
    model = DisplayViewModel("lobby", "az", clock=clock or (lambda: now))
    calls = [
        ("D008", 40, 300, TicketState.SERVING),
        ("L003", 9, 240, TicketState.SERVING),
        ("A109", 12, 180, TicketState.SERVING),
        ("K015", 4, 120, TicketState.CALLED),
        ("B023", 21, 60, TicketState.CALLED),
        ("A112", 7, 40, TicketState.CALLED),
    ]
    center = sample_center()
    agency_of = {c.number: c.agency or "" for c in center.counters}
    tickets = tuple(
        TicketView(
            id=f"20260302-{number}",
            number=number,
            service=f"{agency_of[counter]}-1",
            agency=agency_of[counter],
            state=state,
            counter=counter,
            issued_at=now - timedelta(minutes=20),
            called_at=now - timedelta(seconds=ago),
        )
        for number, counter, ago, state in calls
    )
    waiting = {"DIN": 23, "EDL": 11, "DMX": 7, "EMDX": 4, "EHSMN": 2, "KOM": 9, "BANK": 0, "MED": 3}
    snapshot = Snapshot(
        day=now.date(),
        open=True,
        tickets=tickets,
        queues={
            f"{code}-1": QueueFigures(waiting=n, oldest_wait_min=0.0, open_counters=1, available=True)
            for code, n in waiting.items()
        },
        message=SAMPLE_MESSAGE if message else None,
    )
    model.on_message(
        Welcome(role="display", device="lobby", seq=100, server_time=now, center=center, snapshot=snapshot)
    )
    called = TicketCalled(ticket="20260302-C047", number="C047", service="DMX-1", counter=31, at=now)
    model.on_message(EventMessage(seq=101, event=called))
    return model


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m display.screenshots OUT_DIR\n")
        return 2
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from display.qt_display import DisplayWindow

    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    shots: list[tuple[str, int, int, float, bool]] = [
        ("display-1080p.png", 1920, 1080, 1.0, True),
        ("display-4k.png", 3840, 2160, 0.5, True),
        ("display-portrait.png", 1080, 1920, 1.0, True),
        ("display-offline.png", 1280, 720, 1.0, False),
    ]
    for name, width, height, scale, online in shots:
        model = sample_model(message=name != "display-offline.png")
        # SAMPLE_TIME is on a whole second: the blinking row is caught in its "on" phase.
        model.tick()
        if not online:
            model.set_online(False)
        window = DisplayWindow(model)
        window.resize(width, height)
        window.show()
        app.processEvents()
        image = window.grab().toImage()
        if scale != 1.0:
            image = image.scaledToWidth(round(width * scale), Qt.TransformationMode.SmoothTransformation)
        image.save(str(out / name))
        window.close()
        sys.stdout.write(f"{out / name}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Screenshots of the hall display for the documentation: ``python -m display.screenshots OUT_DIR``.

Renders the real window offscreen with a sample hall (the first floor and lobby of a Baku center):
the calls at 1080p, at 4K (saved at half size to keep the file small) and in portrait, each
screen in Azerbaijani, Russian and English (720p), the two languages paired, the screen offline,
the idle screen with the queues' figures, and the idle screen with a picture. ``SHOTS`` lists them.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from display.announce import Call
from display.viewmodel import Clock, DisplaySettings, DisplayViewModel, ScreenLanguages
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
from wire.types import Lang, TicketState, WaitRange

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

SAMPLE_TIME = datetime(2026, 3, 2, 6, 42, 10, tzinfo=UTC)
"""10:42 in Baku, a Monday."""

_AGENCIES = [
    ("DIN", "A", "Daxili İşlər Nazirliyi", "Министерство внутренних дел", "Ministry of Internal Affairs"),
    ("EDL", "B", "Ədliyyə Nazirliyi", "Министерство юстиции", "Ministry of Justice"),
    (
        "DMX",
        "C",
        "Dövlət Miqrasiya Xidməti",
        "Государственная миграционная служба",
        "State Migration Service",
    ),
    (
        "EMDX",
        "D",
        "Əmlak Məsələləri Dövlət Xidməti",
        "Служба по вопросам имущества",
        "State Property Service",
    ),
    (
        "EHSMN",
        "G",
        "Əmək və Əhalinin Sosial Müdafiəsi Nazirliyi",
        "Министерство труда",
        "Ministry of Labour and Social Protection",
    ),
    ("KOM", "K", "ASAN Kommunal", "ASAN Коммунал", "ASAN Kommunal utilities"),
    ("BANK", "L", "Bank xidmətləri", "Банковские услуги", "Banking services"),
    ("MED", "M", "Tibbi arayış", "Медицинская справка", "Medical certificate"),
]
_COUNTERS = {"DIN": [1, 2, 3, 7, 12], "EDL": [21, 22], "DMX": [31, 32], "EMDX": [40], "EHSMN": [51]}
_COUNTERS |= {"KOM": [4, 5], "BANK": [9], "MED": [10]}

# (code, agency, az, ru, en, waiting, promised wait or why none can be taken)
_SERVICES: list[tuple[str, str, str, str, str, int, WaitRange | Literal["closed", "full"]]] = [
    (
        "DIN-ID",
        "DIN",
        "Şəxsiyyət vəsiqəsinin verilməsi",
        "Выдача удостоверения личности",
        "Identity card issuance",
        14,
        WaitRange(9, 17),
    ),
    (
        "DIN-PASS",
        "DIN",
        "Ümumvətəndaş pasportunun verilməsi",
        "Выдача общегражданского паспорта",
        "Passport issuance",
        6,
        WaitRange(5, 11),
    ),
    (
        "DIN-DRV",
        "DIN",
        "Sürücülük vəsiqəsinin dəyişdirilməsi",
        "Замена водительского удостоверения",
        "Driving licence replacement",
        3,
        WaitRange(2, 6),
    ),
    (
        "EDL-POA",
        "EDL",
        "Etibarnamənin təsdiqi",
        "Удостоверение доверенности",
        "Power of attorney",
        7,
        WaitRange(6, 12),
    ),
    (
        "EDL-MARR",
        "EDL",
        "Nikahın dövlət qeydiyyatı",
        "Государственная регистрация брака",
        "Marriage registration",
        4,
        "full",
    ),
    (
        "DMX-TRP",
        "DMX",
        "Müvəqqəti yaşamaq icazəsi",
        "Разрешение на временное проживание",
        "Temporary residence permit",
        7,
        WaitRange(12, 21),
    ),
    (
        "EMDX-REG",
        "EMDX",
        "Daşınmaz əmlakın qeydiyyatı",
        "Регистрация недвижимого имущества",
        "Real estate registration",
        4,
        WaitRange(4, 9),
    ),
    (
        "EHSMN-BEN",
        "EHSMN",
        "Ünvanlı sosial yardım",
        "Адресная социальная помощь",
        "Targeted social assistance",
        2,
        WaitRange(0, 1),
    ),
    (
        "KOM-ELEC",
        "KOM",
        "Azərişıq: abunəçi xidmətləri",
        "Азеришыг: абонентские услуги",
        "Azerishig: subscriber services",
        5,
        WaitRange(3, 8),
    ),
    (
        "KOM-GAS",
        "KOM",
        "Azəriqaz: abunəçi xidmətləri",
        "Азеригаз: абонентские услуги",
        "Azerigaz: subscriber services",
        4,
        WaitRange(2, 7),
    ),
    (
        "BANK-FEE",
        "BANK",
        "Dövlət rüsumunun ödənilməsi",
        "Оплата государственной пошлины",
        "State fee payment",
        0,
        WaitRange(0, 0),
    ),
    (
        "MED-MEDC",
        "MED",
        "Sürücülük üçün tibbi arayış",
        "Медицинская справка для водителей",
        "Medical certificate for drivers",
        3,
        "closed",
    ),
]

SAMPLE_MESSAGE = {
    "az": "Hörmətli vətəndaşlar! Talonunuzun nömrəsi ekranda göründükdə göstərilən masaya yaxınlaşın. "
    "Məlumat üçün 108 nömrəsinə zəng edin. Sağ olun!",
    "ru": "Уважаемые граждане! Когда номер вашего талона появится на экране, подойдите к указанному окну.",
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
            AgencyInfo(code=code, prefix=prefix, zone="floor-1", name={"az": az, "ru": ru, "en": en})
            for code, prefix, az, ru, en in _AGENCIES
        ),
        services=tuple(
            ServiceInfo(
                code=code,
                agency=agency,
                prefix=next(p for c, p, *_ in _AGENCIES if c == agency),
                name={"az": az, "ru": ru, "en": en},
                mean_service_min=8.0,
            )
            for code, agency, az, ru, en, _, _ in _SERVICES
        ),
        counters=tuple(
            CounterInfo(
                number=n, zone="floor-1", agency=code, services=tuple(s[0] for s in _SERVICES if s[1] == code)
            )
            for code, numbers in _COUNTERS.items()
            for n in numbers
        ),
        displays=(DisplayInfo(code="lobby", zones=("floor-1",)),),
    )


def sample_queues() -> dict[str, QueueFigures]:
    return {
        code: QueueFigures(
            waiting=waiting,
            oldest_wait_min=0.0,
            open_counters=0 if wait == "closed" else 1,
            available=isinstance(wait, WaitRange),
            reason=None if isinstance(wait, WaitRange) else wait,
            wait=wait if isinstance(wait, WaitRange) else None,
        )
        for code, _, _, _, _, waiting, wait in _SERVICES
    }


def sample_model(
    now: datetime = SAMPLE_TIME,
    *,
    message: bool = True,
    clock: Clock | None = None,
    screen: ScreenLanguages | None = None,
    calls: bool = True,
    pictures: Sequence[Path] = (),
) -> DisplayViewModel:
    """A lobby display a few minutes into a busy morning, the newest call just made at ``now``
    (without ``calls``: a quiet moment, nobody at a counter)."""
    model = DisplayViewModel(
        "lobby",
        "az",
        clock=clock or (lambda: now),
        screen=screen,
        pictures=pictures,
        settings=DisplaySettings(),
    )
    rows = [
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
            service=next(s[0] for s in _SERVICES if s[1] == agency_of[counter]),
            agency=agency_of[counter],
            state=state,
            counter=counter,
            issued_at=now - timedelta(minutes=20),
            called_at=now - timedelta(seconds=ago),
        )
        for number, counter, ago, state in (rows if calls else [])
    )
    snapshot = Snapshot(
        day=now.date(),
        open=True,
        tickets=tickets,
        queues=sample_queues(),
        message=SAMPLE_MESSAGE if message else None,
    )
    model.on_message(
        Welcome(role="display", device="lobby", seq=100, server_time=now, center=center, snapshot=snapshot)
    )
    if calls:
        called = TicketCalled(ticket="20260302-C047", number="C047", service="DMX-TRP", counter=31, at=now)
        model.on_message(EventMessage(seq=101, event=called))
    return model


@dataclass(frozen=True)
class Shot:
    """One screenshot: the window's size and what the sample hall shows in it."""

    name: str
    width: int = 1280
    height: int = 720
    scale: float = 1.0
    langs: tuple[Lang, ...] = ("az",)
    calls: bool = True
    offline: bool = False
    picture: bool = False
    message: bool = True
    unannounced: int = 0


def _in_each_language(shot: Shot) -> list[Shot]:
    """``shot`` in az, ru and en: ``display-idle`` -> ``display-idle-az.png`` ..."""
    return [replace(shot, name=f"{shot.name}-{lang}.png", langs=(lang,)) for lang in ("az", "ru", "en")]


SHOTS: list[Shot] = [
    Shot("display-1080p.png", 1920, 1080),
    Shot("display-4k.png", 3840, 2160, scale=0.5),
    Shot("display-portrait.png", 1080, 1920),
    Shot("display-pair.png", 1920, 1080, langs=("az", "ru")),
    *_in_each_language(Shot("display-calls", unannounced=2)),
    *_in_each_language(Shot("display-offline", offline=True, message=False)),
    *_in_each_language(Shot("display-idle", calls=False)),
    Shot("display-idle-pair.png", langs=("az", "ru"), calls=False),
    *_in_each_language(Shot("display-pictures", calls=False, picture=True, message=False)),
]


def sample_picture(path: Path) -> Path:
    """A center's poster for the idle screen: "rate our service", in its three languages."""
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QImage, QLinearGradient, QPainter, QPolygonF

    from display import FONT_FAMILY

    image = QImage(1600, 1000, QImage.Format.Format_RGB32)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    gradient = QLinearGradient(0, 0, 0, 1000)
    gradient.setColorAt(0, QColor("#0b5d8f"))
    gradient.setColorAt(1, QColor("#05304d"))
    p.fillRect(image.rect(), gradient)
    lines = [
        ("Xidmətimizi qiymətləndirin!", 96, True),
        ("Оцените наше обслуживание!", 64, False),
        ("Rate our service!", 64, False),
    ]
    y = 120.0
    for text, px, bold in lines:
        f = QFont(FONT_FAMILY)
        f.setPixelSize(px)
        f.setBold(bold)
        p.setFont(f)
        p.setPen(QColor("#ffffff"))
        p.drawText(QRectF(0, y, 1600, px * 1.5), Qt.AlignmentFlag.AlignCenter, text)
        y += px * 1.6
    # Five stars.
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#ffc629"))
    for i in range(5):
        cx, cy, r = 400 + i * 200, 760, 80
        points = [
            QPointF(
                cx + (r if k % 2 == 0 else r * 0.42) * math.sin(k * math.pi / 5),
                cy - (r if k % 2 == 0 else r * 0.42) * math.cos(k * math.pi / 5),
            )
            for k in range(10)
        ]
        p.drawPolygon(QPolygonF(points))
    p.end()
    image.save(str(path))
    return path


def render(shot: Shot, pictures: Sequence[Path] = ()) -> QImage:
    """The window of ``shot``, grabbed."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from display.qt_display import DisplayWindow

    app = QApplication.instance()
    assert app is not None, "make a QApplication first"
    # The idle screen's first page (its pages turn every ten seconds).
    now = [SAMPLE_TIME + timedelta(seconds=0 if shot.calls else 10)]
    mode: Literal["alternate", "pair"] = "pair" if len(shot.langs) > 1 else "alternate"
    model = sample_model(
        message=shot.message,
        clock=lambda: now[0],
        screen=ScreenLanguages(shot.langs, mode),
        calls=shot.calls,
        pictures=pictures if shot.picture else (),
    )
    # SAMPLE_TIME is on a whole second: the blinking row is caught in its "on" phase.
    model.tick()
    if shot.offline:
        model.set_online(False)
        now[0] += timedelta(minutes=3)  # offline for three minutes now
        model.tick()
    for n in range(shot.unannounced):
        model.call_unannounced(Call(f"A{100 + n}", 7), "stale")
    window = DisplayWindow(model)
    window.resize(shot.width, shot.height)
    window.show()
    app.processEvents()
    image = window.grab().toImage()
    window.close()
    if shot.scale != 1.0:
        image = image.scaledToWidth(
            round(shot.width * shot.scale), Qt.TransformationMode.SmoothTransformation
        )
    return image


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m display.screenshots OUT_DIR\n")
        return 2
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    _app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        pictures = [sample_picture(Path(tmp) / "poster.png")]
        for shot in SHOTS:
            render(shot, pictures).save(str(out / shot.name))
            sys.stdout.write(f"{out / shot.name}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

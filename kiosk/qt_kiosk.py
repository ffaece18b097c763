"""Qt view of the kiosk: the touchscreen a citizen uses.

A thin view over :class:`kiosk.viewmodel.KioskViewModel`: taps call model methods,
``model.changed`` redraws. It holds no state of its own beyond widgets.

Sizes: a touch target is at least 15 mm on the actual screen, computed from the screen's
physical DPI, and never under :data:`MIN_TARGET_PX` (a screen may report a wrong DPI, the
offscreen platform reports 96). Text sizes follow the window's shorter side so that the
same layout reads well in portrait (1080x1920) and landscape (1920x1080).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import qrcode
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QFontMetricsF,
    QGuiApplication,
    QImage,
    QPixmap,
)
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from shell.touchscreen import (
    ACCENT,
    ACTION,
    ACTION_PRESSED,
    ALERT_BG,
    MUTED_BG,
    MUTED_INK,
    PAPER,
    WARN_INK,
    TouchscreenWindow,
    install_fonts,
    text_label,
)
from wire.types import LANGS, Priority

from .viewmodel import RIGHTS, KioskViewModel, PrintState, Screen

TARGET_MM = 15.0
"""Smallest touch target, in millimetres (fingertips of elderly users, gloves)."""
MIN_TARGET_PX = 96
"""Smallest touch target in pixels, whatever the screen says about its DPI."""


@dataclass(frozen=True)
class Metrics:
    """Sizes in pixels for one window size and screen."""

    target: int
    """Smallest touch target (height of a button)."""
    text: int
    """Body text."""
    small: int
    title: int
    number: int
    """The ticket number."""
    gap: int
    family: str

    @classmethod
    def compute(cls, size: QSize, dpi: float, family: str) -> Metrics:
        short = min(size.width(), size.height())
        target = max(MIN_TARGET_PX, math.ceil(TARGET_MM / 25.4 * dpi))
        text = max(22, round(short / 30))
        return cls(
            target=target,
            text=text,
            small=max(20, round(text * 0.8)),
            title=round(text * 1.45),
            number=round(short * 0.2),
            gap=max(12, round(short / 70)),
            family=family,
        )

    def font(self, px: int, bold: bool = False) -> QFont:
        font = QFont(self.family)
        font.setPixelSize(px)
        font.setBold(bold)
        return font


def qr_pixmap(data: str, size_px: int) -> QPixmap:
    """The QR code of ``data`` as a black-on-white pixmap about ``size_px`` wide, drawn
    module by module so it stays sharp for a phone camera."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    n = len(matrix)
    module = max(2, size_px // n)
    image = QImage(n, n, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    black = QColor("black").rgb()
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                image.setPixel(x, y, black)
    # Nearest-neighbour scaling keeps the modules' edges hard.
    image = image.scaled(
        n * module, n * module, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.FastTransformation
    )
    return QPixmap.fromImage(image)


class Tile(QPushButton):
    """A big button with a wrapped title and a smaller second line. The title's font
    shrinks (down to 55%) when a long name would not fit the tile: some agencies' names
    run to seventy letters."""

    def __init__(self, metrics: Metrics, title: str, detail: str = "", *, primary: bool = True) -> None:
        super().__init__()
        self.metrics = metrics
        self.primary = primary
        self.setMinimumHeight(metrics.target)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        pad = metrics.gap
        layout.setContentsMargins(pad, pad // 2, pad, pad // 2)
        layout.setSpacing(pad // 3)
        self.title = text_label(title, metrics.font(metrics.text, bold=True))
        self.detail = text_label(detail, metrics.font(metrics.small))
        for label in (self.title, self.detail):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            layout.addWidget(label)
        self.detail.setVisible(bool(detail))
        self._restyle()

    def set_content(self, title: str, detail: str, enabled: bool) -> None:
        if self.title.text() != title:
            self.title.setText(title)
            self._fit()
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        if self.isEnabled() != enabled:
            self.setEnabled(enabled)
            self._restyle()

    def _restyle(self) -> None:
        if not self.isEnabled():
            bg, ink, border = MUTED_BG, MUTED_INK, "#8a9099"
        elif self.primary:
            bg, ink, border = ACTION, "#ffffff", ACTION_PRESSED
        else:
            bg, ink, border = PAPER, ACTION, ACTION
        self.setStyleSheet(
            f"QPushButton {{ background: {bg}; border: 4px solid {border}; border-radius: 18px; }}"
            f"QPushButton:pressed {{ background: {ACTION_PRESSED}; }}"
        )
        for label in (self.title, self.detail):
            label.setStyleSheet(f"color: {ink}; background: transparent;")

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._fit()

    def _fit(self) -> None:
        m = self.metrics
        layout = self.layout()
        if layout is None:
            return
        margins = layout.contentsMargins()
        width = self.width() - margins.left() - margins.right()
        room = self.height() - margins.top() - margins.bottom()
        if self.detail.isVisible():
            room -= QFontMetrics(self.detail.font()).height() * 2 + m.gap // 3
        if width <= 0 or room <= 0:
            return
        px = m.text
        while px > round(m.text * 0.55):
            font = m.font(px, bold=True)
            needed = QFontMetrics(font).boundingRect(
                QRect(0, 0, width, 10_000), Qt.TextFlag.TextWordWrap, self.title.text()
            )
            if needed.height() <= room and needed.width() <= width:
                break
            px -= 1
        self.title.setFont(m.font(px, bold=True))


class KioskWindow(TouchscreenWindow):
    """Qt view for the KioskViewModel."""

    first_paint = Signal()
    """Emitted once, when the window has been drawn for the first time (start-up time)."""

    def __init__(
        self, model: KioskViewModel, *, size: QSize | None = None, parent: QWidget | None = None
    ) -> None:
        screen = QGuiApplication.primaryScreen()
        if size is None:
            size = screen.size() if screen is not None else QSize(1080, 1920)
        dpi = screen.physicalDotsPerInch() if screen is not None else 96.0
        self.metrics = m = Metrics.compute(size, dpi if 40 <= dpi <= 600 else 96.0, install_fonts())
        super().__init__(
            model, size, gap=m.gap, banner_font=m.font(m.text, bold=True), banner_padding=m.gap, parent=parent
        )
        self.model = model
        self.setWindowTitle("novbe")
        self.portrait = size.height() >= size.width()
        self.setFont(m.font(m.text))

        self.nav = QWidget()
        nav = QHBoxLayout(self.nav)
        nav.setContentsMargins(0, 0, 0, 0)
        nav.setSpacing(m.gap * 2)
        self.back_button = self._button("", model.back, primary=False)
        self.home_button = self._button("", model.start_over, primary=False)
        nav.addWidget(self.back_button)
        nav.addWidget(self.home_button)
        self.outer.addWidget(self.nav)

        self._build_start()
        self._build_agencies()
        self._build_services()
        self._build_priority()
        self._build_ticket()
        self._build_offline()
        self._built_key: tuple[object, ...] = ()

        self._painted = False
        self.follow_model()

    # --- Qt plumbing --------------------------------------------------------------------

    def paintEvent(self, event: object) -> None:
        super().paintEvent(event)  # type: ignore[arg-type]
        if not self._painted:
            self._painted = True
            self.first_paint.emit()

    def _button(self, text: str, slot: Callable[[], None], *, primary: bool = True) -> Tile:
        tile = Tile(self.metrics, text, primary=primary)
        tile.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        tile.setFixedHeight(self.metrics.target)
        tile.clicked.connect(slot)
        return tile

    # --- pages --------------------------------------------------------------------------

    def _build_start(self) -> None:
        m = self.metrics
        layout = self.page(Screen.START)
        self.center_label = text_label("", m.font(m.text, bold=True), color=ACTION)
        layout.addWidget(self.center_label)
        layout.addStretch(1)
        self.lang_buttons: dict[str, Tile] = {}
        for lang in LANGS:
            welcome = text_label(self.model.tr("start.welcome", lang), m.font(m.title, bold=True))
            choose = text_label(self.model.tr("start.choose", lang), m.font(m.small), color=MUTED_INK)
            button = Tile(m, self.model.tr("lang.self", lang))
            button.title.setFont(m.font(m.title, bold=True))
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setFixedHeight(round(m.target * 1.6))
            button.clicked.connect(lambda _=False, lang=lang: self.model.choose_language(lang))
            self.lang_buttons[lang] = button
            layout.addWidget(welcome)
            layout.addWidget(choose)
            layout.addWidget(button)
            layout.addSpacing(m.gap * 2)
        layout.addStretch(1)

    def _build_agencies(self) -> None:
        m = self.metrics
        layout = self.page(Screen.AGENCIES)
        self.agencies_title = text_label("", m.font(m.title, bold=True))
        layout.addWidget(self.agencies_title)
        self.agency_grid = QGridLayout()
        self.agency_grid.setSpacing(m.gap)
        layout.addLayout(self.agency_grid, 1)
        self.agency_tiles: dict[str, Tile] = {}

    def _build_services(self) -> None:
        m = self.metrics
        layout = self.page(Screen.SERVICES)
        self.services_title = text_label("", m.font(m.title, bold=True))
        self.services_zone = text_label("", m.font(m.small), color=MUTED_INK)
        layout.addWidget(self.services_title)
        layout.addWidget(self.services_zone)
        self.service_grid = QGridLayout()
        self.service_grid.setSpacing(m.gap)
        layout.addLayout(self.service_grid, 1)
        self.service_tiles: dict[str, Tile] = {}
        self.priority_button = Tile(m, "", primary=False)
        self.priority_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.priority_button.setFixedHeight(round(m.target * 1.5))
        self.priority_button.clicked.connect(self.model.open_priority)
        layout.addWidget(self.priority_button)

    def _build_priority(self) -> None:
        m = self.metrics
        layout = self.page(Screen.PRIORITY)
        self.priority_title = text_label("", m.font(m.title, bold=True))
        self.priority_hint = text_label("", m.font(m.small), color=MUTED_INK)
        layout.addWidget(self.priority_title)
        layout.addWidget(self.priority_hint)
        grid = QGridLayout()
        grid.setSpacing(m.gap)
        self.priority_tiles: dict[str, Tile] = {}
        columns = 1 if self.portrait else 2
        for i, right in enumerate(RIGHTS):
            tile = Tile(m, "", primary=False)
            tile.clicked.connect(lambda _=False, right=right: self.model.choose_priority(right))
            self.priority_tiles[right] = tile
            grid.addWidget(tile, i // columns, i % columns)
        layout.addLayout(grid, 1)
        self.no_priority = Tile(m, "")
        self.no_priority.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.no_priority.setFixedHeight(round(m.target * 1.5))
        self.no_priority.clicked.connect(lambda: self.model.choose_priority(Priority.NONE))
        layout.addWidget(self.no_priority)

    def _build_ticket(self) -> None:
        m = self.metrics
        layout = self.page(Screen.TICKET)
        page = self.pages[Screen.TICKET]
        # A tap anywhere on the ticket takes the citizen back (the model ignores the
        # first moment, so the tap that asked for the ticket doesn't dismiss it).
        page.mousePressEvent = lambda event: self.model.dismiss_ticket()  # type: ignore[method-assign]
        self.ticket_title = text_label("", m.font(m.title))
        self.ticket_number = text_label("", m.font(m.number, bold=True), color=ACTION)
        self.ticket_service = text_label("", m.font(m.title, bold=True))
        self.ticket_agency = text_label("", m.font(m.small), color=MUTED_INK)
        self.ticket_zone = text_label("", m.font(m.title, bold=True), color=ACCENT)
        self.ticket_ahead = text_label("", m.font(m.text))
        self.ticket_wait = text_label("", m.font(m.text))
        self.ticket_priority = text_label("", m.font(m.small), color=MUTED_INK)
        self.ticket_qr = QLabel()
        self.ticket_qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.ticket_qr_caption = text_label("", m.font(m.small), color=MUTED_INK)
        self.ticket_print = text_label("", m.font(m.text, bold=True))
        self.done_button = self._button("", self.model.dismiss_ticket)
        info = QVBoxLayout()
        info.setSpacing(m.gap // 2)
        for widget in (
            self.ticket_title,
            self.ticket_number,
            self.ticket_service,
            self.ticket_agency,
            self.ticket_zone,
            self.ticket_ahead,
            self.ticket_wait,
            self.ticket_priority,
        ):
            info.addWidget(widget)
        qr = QVBoxLayout()
        qr.addWidget(self.ticket_qr)
        qr.addWidget(self.ticket_qr_caption)
        if self.portrait:
            layout.addLayout(info)
            layout.addStretch(1)
            layout.addLayout(qr)
        else:
            row = QHBoxLayout()
            row.addLayout(info, 3)
            row.addLayout(qr, 2)
            layout.addLayout(row, 1)
        layout.addStretch(1)
        layout.addWidget(self.ticket_print)
        layout.addWidget(self.done_button)
        self._qr_for = ""

    def _build_offline(self) -> None:
        m = self.metrics
        layout = self.page("offline")
        layout.addStretch(1)
        for lang in LANGS:
            layout.addWidget(
                text_label(self.model.tr("offline.title", lang), m.font(m.title, bold=True), color=WARN_INK)
            )
            layout.addWidget(text_label(self.model.tr("offline.body", lang), m.font(m.text)))
            layout.addSpacing(m.gap * 3)
        self.offline_retry = text_label("", m.font(m.small), color=MUTED_INK)
        layout.addWidget(self.offline_retry)
        layout.addStretch(1)

    # --- drawing ------------------------------------------------------------------------

    def _on_model_changed(self) -> None:
        model = self.model
        key = (model.screen, model.lang, model.agency, len(model.agencies))
        if key != self._built_key:
            self._built_key = key
            self._rebuild()
        self._refresh()

    def _rebuild(self) -> None:
        """Make the tiles of the screen shown (they depend on language and agency)."""
        model, m = self.model, self.metrics
        if model.screen is Screen.AGENCIES:
            _clear(self.agency_grid)
            self.agency_tiles = {}
            columns = 3 if self.portrait else 4
            for i, agency in enumerate(model.agencies):
                tile = Tile(m, model.name(agency.name), model.zone_name(agency.zone))
                tile.clicked.connect(lambda _=False, code=agency.code: model.choose_agency(code))
                self.agency_tiles[agency.code] = tile
                self.agency_grid.addWidget(tile, i // columns, i % columns)
        elif model.screen is Screen.SERVICES:
            _clear(self.service_grid)
            self.service_tiles = {}
            services = model.agency_services()
            columns = 1 if self.portrait or len(services) < 3 else 2
            for i, service in enumerate(services):
                tile = Tile(m, model.name(service.name))
                tile.setMinimumHeight(round(m.target * 1.8))
                tile.clicked.connect(lambda _=False, code=service.code: model.choose_service(code))
                self.service_tiles[service.code] = tile
                self.service_grid.addWidget(tile, i // columns, i % columns)
            # Few services: keep tiles a comfortable height instead of stretching one
            # tile over the whole screen.
            rows = math.ceil(len(services) / columns) if services else 1
            for r in range(rows, 5):
                self.service_grid.setRowStretch(r, 1)

    def _refresh(self) -> None:
        model = self.model
        tr = model.tr
        if model.offline_shown and model.screen is not Screen.TICKET:
            self.stack.setCurrentWidget(self.pages["offline"])
            self.offline_retry.setText(" · ".join(tr("offline.retrying", lang) for lang in LANGS))
            self.nav.hide()
            self.banner.hide()
            return
        self.stack.setCurrentWidget(self.pages[model.screen])
        self.nav.setVisible(model.screen in (Screen.AGENCIES, Screen.SERVICES, Screen.PRIORITY))
        self.back_button.set_content(tr("nav.back"), "", model.pending is None)
        self.home_button.set_content(tr("nav.start"), "", model.pending is None)
        banner = ""
        if model.screen is Screen.SERVICES and model.pending is not None:
            banner = tr("issuing")
        elif model.notice is not None and model.screen is Screen.SERVICES:
            banner = tr(model.notice.key, **model.notice.values)
        elif not model.printer_ok and model.screen is not Screen.TICKET:
            key = "printer.down" if model.has_printer else "printer.none"
            banner = tr(key) if model.screen is not Screen.START else _all_langs(model, key)
        self.show_banner(banner)
        getattr(self, f"_refresh_{model.screen.value}")()

    def _refresh_start(self) -> None:
        self.center_label.setText(self.model.name(self.model.center_name))
        ready = self.model.can_issue
        for tile in self.lang_buttons.values():
            tile.set_content(tile.title.text(), "", ready)

    def _refresh_agencies(self) -> None:
        model = self.model
        self.agencies_title.setText(model.tr("agencies.title"))
        for agency in model.agencies:
            tile = self.agency_tiles.get(agency.code)
            if tile is None:
                continue
            available = model.agency_available(agency.code)
            detail = model.zone_name(agency.zone) if available else model.tr("service.closed")
            tile.set_content(model.name(agency.name), detail, available)

    def _refresh_services(self) -> None:
        model = self.model
        agency = next((a for a in model.agencies if a.code == model.agency), None)
        self.services_title.setText(model.name(agency.name) if agency else model.tr("services.title"))
        self.services_zone.setText(
            f"{model.tr('services.title')} · {model.zone_name(agency.zone)}" if agency else ""
        )
        for service in model.agency_services():
            tile = self.service_tiles.get(service.code)
            if tile is None:
                continue
            available = model.availability(service.code).available
            detail = model.service_detail(service.code)
            tile.set_content(model.name(service.name), detail, available and model.pending is None)
        if model.priority is Priority.NONE:
            text = model.tr("priority.ask")
        else:
            text = model.tr("priority.chosen", right=model.tr(f"priority.{model.priority}"))
        self.priority_button.set_content(text, "", model.pending is None)

    def _refresh_priority(self) -> None:
        model = self.model
        self.priority_title.setText(model.tr("priority.title"))
        self.priority_hint.setText(model.tr("priority.hint"))
        for right, tile in self.priority_tiles.items():
            tile.set_content(model.tr(f"priority.{right}"), "", True)
        self.no_priority.set_content(model.tr("priority.none"), "", True)

    def _number_font(self, number: str) -> QFont:
        """The ticket number's font: smaller when a long number (DN10234) would not fit."""
        m = self.metrics
        font = m.font(m.number, bold=True)
        room = self.width() - 4 * m.gap  # inside the window's margins
        if not self.portrait:
            room = room * 3 // 5 - m.gap  # the text column beside the QR code
        wide = QFontMetricsF(font).horizontalAdvance(number)
        if wide > room > 0:
            font.setPixelSize(max(1, int(m.number * room / wide)))
        return font

    def _refresh_ticket(self) -> None:
        model, m = self.model, self.metrics
        ticket = model.ticket
        if ticket is None:
            return
        tr = model.tr
        service = model.services.get(ticket.service)
        agency = next((a for a in model.agencies if a.code == ticket.agency), None)
        self.ticket_title.setText(tr("ticket.title"))
        self.ticket_number.setFont(self._number_font(ticket.number))
        self.ticket_number.setText(ticket.number)
        self.ticket_service.setText(model.name(service.name) if service else ticket.service)
        self.ticket_agency.setText(model.name(agency.name) if agency else "")
        self.ticket_zone.setText(tr("ticket.zone", zone=model.zone_name(ticket.zone)))
        self.ticket_ahead.setText(tr("ticket.ahead", n=ticket.ahead))
        self.ticket_wait.setText(model.wait_words(ticket.wait))
        has_priority = ticket.priority is not Priority.NONE
        self.ticket_priority.setVisible(has_priority)
        if has_priority:
            self.ticket_priority.setText(tr("ticket.priority", right=tr(f"priority.{ticket.priority}")))
        if self._qr_for != ticket.qr_data:
            self._qr_for = ticket.qr_data
            side = round(min(self.width(), self.height()) * (0.36 if self.portrait else 0.4))
            self.ticket_qr.setPixmap(qr_pixmap(ticket.qr_data, side))
        self.ticket_qr_caption.setText(tr("ticket.qr"))
        state = model.print_state
        if state in (PrintState.FAILED, PrintState.NO_PRINTER):
            self.ticket_print.setText(
                tr("ticket.not_printed" if state is PrintState.FAILED else "ticket.no_printer")
            )
            self.ticket_print.setStyleSheet(
                f"color: #ffffff; background: {ALERT_BG}; border-radius: 12px; padding: {m.gap}px;"
            )
        else:
            self.ticket_print.setText(
                tr("ticket.printed" if state is PrintState.PRINTED else "ticket.printing")
            )
            self.ticket_print.setStyleSheet(f"color: {ACCENT}; background: transparent; padding: {m.gap}px;")
        self.done_button.set_content(tr("ticket.done"), "", True)


def _all_langs(model: KioskViewModel, key: str) -> str:
    return "\n".join(model.tr(key, lang) for lang in LANGS)


def _clear(layout: QGridLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widget.setParent(None)
            widget.deleteLater()
    for r in range(layout.rowCount()):
        layout.setRowStretch(r, 0)

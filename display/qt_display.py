"""Qt view of the DisplayViewModel: the full-screen window of a hall display.

Everything is painted with QPainter from sizes computed out of the window's own width and height,
so the same code serves a 720p and a 4K television, landscape or portrait: no size here is in
fixed pixels. The window holds no state of the hall; it repaints the part of the screen whose
view-model signal fired (rows, header, waiting figures, ticker).

Readability from 10 m: a row's digits are about 6 % of the screen height (the newest row about
11 %), which on a 55" screen is 4-7 cm, in bold DejaVu Sans (it has every Azerbaijani letter) on a
dark background.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from psygnal import SignalInstance
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QColor, QFont, QFontMetricsF, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QWidget

from display import FONT_FAMILY
from display.viewmodel import CallRow, DisplayViewModel, RowState

BACKGROUND = QColor("#061428")
BAND = QColor("#0c2c57")
ROW_LINE = QColor("#1d3d6b")
TEXT = QColor("#ffffff")
DIM = QColor("#8d9bb0")
ACCENT = QColor("#ffc629")
ACCENT_TEXT = QColor("#000000")
NEWEST = QColor("#163f78")
OFFLINE = QColor("#ff6b5f")

TICK_MS = 250
"""The view-model's clock: blinking at 2 Hz needs 4 ticks a second."""
TICKER_FRAME_MS = 33


def font(px: float, *, bold: bool = False) -> QFont:
    f = QFont(FONT_FAMILY)
    f.setPixelSize(max(1, round(px)))
    f.setBold(bold)
    return f


def fitted_font(text: str, px: float, width: float, *, bold: bool = False) -> QFont:
    """``font(px)``, made smaller if ``text`` would be wider than ``width``."""
    f = font(px, bold=bold)
    wide = QFontMetricsF(f).horizontalAdvance(text)
    if wide > width > 0:
        f.setPixelSize(max(1, int(px * width / wide)))
    return f


class _Part(QWidget):
    """A painted part of the screen that reads the shared view-model."""

    def __init__(self, model: DisplayViewModel, parent: QWidget) -> None:
        super().__init__(parent)
        self.model = model
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)


class HeaderView(_Part):
    """Center name on the left; date, clock and the offline marker on the right."""

    def paintEvent(self, event: QPaintEvent) -> None:
        m = self.model
        w, h = float(self.width()), float(self.height())
        pad = h * 0.22
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), BAND)
        p.fillRect(QRectF(0, h - max(2.0, h * 0.04), w, max(2.0, h * 0.04)), ACCENT)

        clock_font = font(h * 0.56, bold=True)
        clock = m.clock_text
        clock_w = QFontMetricsF(clock_font).horizontalAdvance("00:00")
        p.setFont(clock_font)
        p.setPen(TEXT)
        clock_rect = QRectF(w - pad - clock_w, 0, clock_w, h)
        p.drawText(clock_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, clock)

        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        name, date, offline = m.center_name, m.date_text, m.offline_text
        if w >= h * 10:
            # Wide (landscape): name on the left; date over the offline marker left of the clock.
            side_w = min(w * 0.3, h * 4.2)
            side_x = clock_rect.left() - pad * 0.8 - side_w
            p.setFont(fitted_font(date, h * 0.22, side_w))
            p.drawText(QRectF(side_x, h * 0.12, side_w, h * 0.4), right, date)
            if offline:
                self._paint_offline(p, offline, QRectF(side_x, h * 0.52, side_w, h * 0.34), right)
            name_rect = QRectF(pad, 0, max(0.0, side_x - pad * 1.5), h)
            p.setFont(fitted_font(name, h * 0.3, name_rect.width(), bold=True))
            p.setPen(TEXT)
            p.drawText(name_rect, left, name)
        else:
            # Narrow (portrait): name on the upper line, date and offline marker on the lower one.
            text_w = max(0.0, clock_rect.left() - pad * 1.8)
            p.setFont(fitted_font(name, h * 0.25, text_w, bold=True))
            p.drawText(QRectF(pad, h * 0.08, text_w, h * 0.42), left, name)
            date_font = fitted_font(date, h * 0.2, text_w * 0.6)
            p.setFont(date_font)
            p.drawText(QRectF(pad, h * 0.5, text_w, h * 0.38), left, date)
            if offline:
                date_w = QFontMetricsF(date_font).horizontalAdvance(date) + pad
                box = QRectF(pad + date_w, h * 0.5, max(0.0, text_w - date_w), h * 0.38)
                self._paint_offline(p, offline, box, right)
        p.end()

    def _paint_offline(self, p: QPainter, text: str, box: QRectF, align: Qt.AlignmentFlag) -> None:
        # Discreet: small, in the corner, and the last known state stays on the screen.
        h = float(self.height())
        f = fitted_font(text, h * 0.17, box.width() - h * 0.25)
        p.setFont(f)
        text_w = QFontMetricsF(f).horizontalAdvance(text)
        p.setPen(OFFLINE)
        p.drawText(box, align, text)
        r = h * 0.055
        p.setBrush(OFFLINE)
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(QRectF(box.right() - text_w - r * 3.2, box.center().y() - r, 2 * r, 2 * r))
        p.setPen(TEXT)


class CallsView(_Part):
    """The "A015 -> 12" rows: the newest large at the top, the rest below, as many as fit."""

    painted = Signal()
    """Emitted after every paint (the benchmark measures call -> row on the screen with it)."""

    HEADING = 0.085
    NEWEST_ROW = 0.25
    ROW = 0.14

    def row_geometry(self) -> tuple[float, float, float, int]:
        """(heading height, newest row height, other rows' height, number of rows that fit)."""
        h = float(self.height())
        heading = h * self.HEADING
        newest = h * self.NEWEST_ROW
        rest = h - heading - newest
        # As many rows as fit at about ROW of the height, stretched to fill the space exactly.
        count = max(1, round(rest / (h * self.ROW)))
        return heading, newest, rest / count, 1 + count

    def paintEvent(self, event: QPaintEvent) -> None:
        m = self.model
        w = float(self.width())
        heading, newest, row_h, fit = self.row_geometry()
        margin = w * 0.05
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), BACKGROUND)

        p.setFont(font(heading * 0.5, bold=True))
        p.setPen(DIM)
        ticket_col = QRectF(margin, 0, w * 0.55 - margin, heading)
        counter_col = QRectF(w * 0.6, 0, w * 0.4 - margin, heading)
        p.drawText(
            ticket_col, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, m.tr("heading.ticket")
        )
        p.drawText(
            counter_col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, m.tr("heading.counter")
        )

        rows = m.rows[:fit]
        if not rows:
            self._paint_empty(p, heading)
        y = heading
        for index, row in enumerate(rows):
            height = newest if index == 0 else row_h
            self._paint_row(p, row, QRectF(0, y, w, height), index == 0, margin)
            y += height
        p.end()
        self.painted.emit()

    def _paint_empty(self, p: QPainter, top: float) -> None:
        m = self.model
        if not m.ever_online:
            text = m.tr("starting")
        elif not m.day_open:
            text = m.tr("closed")
        else:
            return
        rect = QRectF(0, top, self.width(), self.height() - top)
        p.setFont(fitted_font(text, self.height() * 0.08, rect.width() * 0.9))
        p.setPen(DIM)
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_row(self, p: QPainter, row: CallRow, rect: QRectF, newest: bool, margin: float) -> None:
        m = self.model
        blinking = m.blinking(row)
        gap = max(1.0, rect.height() * 0.06)
        box = rect.adjusted(margin * 0.4, gap / 2, -margin * 0.4, -gap / 2)
        number_color, arrow_color, counter_color = TEXT, DIM, ACCENT
        if blinking and m.blink_on:
            p.fillRect(box, ACCENT)
            number_color = arrow_color = counter_color = ACCENT_TEXT
        elif newest or blinking:
            p.fillRect(box, NEWEST)
        if row.state is RowState.LEAVING:
            number_color = arrow_color = counter_color = DIM
        else:
            p.fillRect(QRectF(box.left(), box.bottom(), box.width(), max(1.0, gap * 0.3)), ROW_LINE)

        px = rect.height() * 0.62
        number_font = fitted_font(row.number, px, rect.width() * 0.45, bold=True)
        counter_text = str(row.counter)
        counter_font = fitted_font(counter_text, px, rect.width() * 0.3, bold=True)
        centre = Qt.AlignmentFlag.AlignVCenter
        p.setFont(number_font)
        p.setPen(number_color)
        p.drawText(QRectF(margin, rect.top(), rect.width() * 0.5, rect.height()), centre, row.number)
        p.setFont(font(px * 0.8, bold=True))
        p.setPen(arrow_color)
        p.drawText(
            QRectF(rect.width() * 0.5, rect.top(), rect.width() * 0.14, rect.height()),
            centre | Qt.AlignmentFlag.AlignHCenter,
            "\u2192",
        )
        p.setFont(counter_font)
        p.setPen(counter_color)
        p.drawText(
            QRectF(rect.width() * 0.6, rect.top(), rect.width() * 0.4 - margin, rect.height()),
            centre | Qt.AlignmentFlag.AlignRight,
            counter_text,
        )


class WaitingView(_Part):
    """How many wait for each agency of this display's zones."""

    def paintEvent(self, event: QPaintEvent) -> None:
        m = self.model
        w, h = float(self.width()), float(self.height())
        pad = min(w, h) * 0.05
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), BACKGROUND)
        panel = QRectF(pad * 0.5, pad * 0.5, w - pad, h - pad)
        p.fillRect(panel, BAND)

        title = m.tr("heading.waiting")
        heading = min(panel.height() * 0.1, panel.width() * 0.12)
        p.setFont(fitted_font(title, heading * 0.5, panel.width() - 2 * pad, bold=True))
        p.setPen(DIM)
        p.drawText(
            QRectF(panel.left() + pad, panel.top(), panel.width() - 2 * pad, heading),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            title,
        )
        items = m.waiting
        if not items:
            p.end()
            return
        avail = panel.height() - heading - pad * 0.5
        row_h = min(avail / len(items), heading * 1.6)
        y = panel.top() + heading
        for item in items:
            if y + row_h > panel.bottom() + 1:
                break
            self._paint_item(
                p, item.prefix, item.name, item.waiting, QRectF(panel.left(), y, panel.width(), row_h)
            )
            y += row_h
        p.end()

    def _paint_item(self, p: QPainter, prefix: str, name: str, waiting: int, rect: QRectF) -> None:
        pad = rect.height() * 0.18
        badge = rect.height() * 0.72
        badge_rect = QRectF(rect.left() + pad, rect.center().y() - badge / 2, badge, badge)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(ACCENT)
        p.drawRoundedRect(badge_rect, badge * 0.18, badge * 0.18)
        p.setFont(fitted_font(prefix, badge * 0.7, badge * 0.9, bold=True))
        p.setPen(ACCENT_TEXT)
        p.drawText(badge_rect, Qt.AlignmentFlag.AlignCenter, prefix)

        count = str(waiting)
        count_font = font(rect.height() * 0.6, bold=True)
        count_w = QFontMetricsF(count_font).horizontalAdvance("000")
        count_rect = QRectF(rect.right() - pad - count_w, rect.top(), count_w, rect.height())
        p.setFont(count_font)
        p.setPen(TEXT)
        p.drawText(count_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, count)

        name_rect = QRectF(
            badge_rect.right() + pad,
            rect.top(),
            count_rect.left() - badge_rect.right() - 2 * pad,
            rect.height(),
        )
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap
        px = rect.height() * 0.34
        f = font(px)
        # Long agency names wrap onto a second line; the font shrinks only if two lines are not enough.
        while px > rect.height() * 0.18:
            f = font(px)
            bound = QFontMetricsF(f).boundingRect(name_rect, int(flags), name)
            if bound.height() <= name_rect.height() and bound.width() <= name_rect.width() + 1:
                break
            px *= 0.9
        p.setFont(f)
        p.setPen(TEXT)
        p.drawText(name_rect, int(flags), name)


class TickerView(_Part):
    """The supervisor's message, scrolling from right to left when it is longer than the screen."""

    SPEED = 2.2
    """Heights of the band per second: a comfortable reading pace at any screen size."""
    PAUSE_S = 2.0
    """A new message first stands still, so its beginning can be read."""

    def __init__(self, model: DisplayViewModel, parent: QWidget) -> None:
        super().__init__(model, parent)
        self._started = time.monotonic()
        self._timer = QTimer(self)
        self._timer.setInterval(TICKER_FRAME_MS)
        self._timer.timeout.connect(self.update)

    def restart(self) -> None:
        self._started = time.monotonic()
        self._timer.stop()
        if self.model.message:
            self._timer.start()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        w, h = float(self.width()), float(self.height())
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), ACCENT)
        text = self.model.message or ""
        f = font(h * 0.55, bold=True)
        p.setFont(f)
        p.setPen(ACCENT_TEXT)
        margin = h * 0.5
        text_w = QFontMetricsF(f).horizontalAdvance(text)
        if text_w <= w - 2 * margin:
            self._timer.stop()
            p.drawText(QRectF(margin, 0, w - 2 * margin, h), Qt.AlignmentFlag.AlignVCenter, text)
        else:
            # An endless band: the text, a gap, the text again.
            loop = text_w + w * 0.3
            moving = max(0.0, time.monotonic() - self._started - self.PAUSE_S)
            x = margin - (moving * self.SPEED * h) % loop
            while x < w:
                p.drawText(QRectF(x, 0, text_w + 2, h), Qt.AlignmentFlag.AlignVCenter, text)
                x += loop
        p.end()


class DisplayWindow(QWidget):
    """Qt view for the DisplayViewModel: header, calls, waiting panel and ticker."""

    HEADER = 0.12
    TICKER = 0.08

    def __init__(self, model: DisplayViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.setWindowTitle("novbe")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setCursor(Qt.CursorShape.BlankCursor)
        self.header = HeaderView(model, self)
        self.calls = CallsView(model, self)
        self.waiting = WaitingView(model, self)
        self.ticker = TickerView(model, self)
        for signal, slot in self._connections():
            signal.connect(slot)
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(model.tick)
        self._tick.start()
        self._on_message_changed()

    def _connections(self) -> list[tuple[SignalInstance, Callable[[], None]]]:
        return [
            (self.model.rows_changed, self._on_rows_changed),
            (self.model.header_changed, self._on_header_changed),
            (self.model.waiting_changed, self._on_waiting_changed),
            (self.model.message_changed, self._on_message_changed),
        ]

    def closeEvent(self, event: QCloseEvent) -> None:
        self._tick.stop()
        # The model may outlive the window (tests, a restarted window): it must not call into
        # deleted widgets.
        for signal, slot in self._connections():
            signal.disconnect(slot)
        super().closeEvent(event)

    # Python methods rather than the widgets' update(): psygnal can read their signatures.
    def _on_rows_changed(self) -> None:
        self.calls.update()

    def _on_header_changed(self) -> None:
        self.header.update()

    def _on_waiting_changed(self) -> None:
        self.waiting.update()

    @property
    def portrait(self) -> bool:
        return self.height() > self.width()

    def _on_message_changed(self) -> None:
        self._layout()
        self.ticker.restart()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._layout()
        super().resizeEvent(event)

    def _layout(self) -> None:
        w, h = self.width(), self.height()
        portrait = self.portrait
        header_h = round(h * (self.HEADER * 0.75 if portrait else self.HEADER))
        ticker_h = round(h * (self.TICKER * 0.62 if portrait else self.TICKER)) if self.model.message else 0
        self.ticker.setVisible(ticker_h > 0)
        body_top, body_h = header_h, h - header_h - ticker_h
        self.header.setGeometry(0, 0, w, header_h)
        if portrait:
            calls_h = round(body_h * 0.6)
            self.calls.setGeometry(0, body_top, w, calls_h)
            self.waiting.setGeometry(0, body_top + calls_h, w, body_h - calls_h)
        else:
            calls_w = round(w * 0.64)
            self.calls.setGeometry(0, body_top, calls_w, body_h)
            self.waiting.setGeometry(calls_w, body_top, w - calls_w, body_h)
        self.ticker.setGeometry(0, h - ticker_h, w, ticker_h)

    def paintEvent(self, event: QPaintEvent) -> None:
        # The parts cover the whole window; this only fills the edges left by rounding.
        p = QPainter(self)
        p.fillRect(self.rect(), BACKGROUND)
        p.end()

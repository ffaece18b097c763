"""Qt view of the DisplayViewModel: the full-screen window of a hall display.

Everything is painted with QPainter from sizes computed out of the window's own width and height,
so the same code serves a 720p and a 4K television, landscape or portrait: no size here is in
fixed pixels. The window holds no state of the hall; it repaints the part of the screen whose
view-model signal fired (rows, header, waiting figures, idle screen, ticker).

Where the screen shows two languages together (``pair``), a text is drawn in the first language
and, under it, smaller and dimmer, in the others; a short label is written "Talon / Талон".

Readability from 10 m: a row's digits are about 6 % of the screen height (the newest row about
11 %), which on a 55" screen is 4-7 cm, in bold DejaVu Sans (it has every Azerbaijani letter) on a
dark background.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from psygnal import SignalInstance
from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QImageReader,
    QPainter,
    QPaintEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import QWidget

from display import FONT_FAMILY
from display.viewmodel import CallRow, DisplayViewModel, RowState, ServiceWaiting

BACKGROUND = QColor("#061428")
BAND = QColor("#0c2c57")
ROW_LINE = QColor("#1d3d6b")
TEXT = QColor("#ffffff")
DIM = QColor("#8d9bb0")
ACCENT = QColor("#ffc629")
ACCENT_TEXT = QColor("#000000")
NEWEST = QColor("#163f78")
OFFLINE = QColor("#b3261e")
"""The offline banner: a red no hall can miss, with white text on it."""
STALE = QColor("#6f7c8f")
"""Calls and figures that may be stale (the display is offline)."""

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


def label(texts: Sequence[str]) -> str:
    """A short label in every language on the screen: "Talon / Талон"."""
    return " / ".join(texts)


def paint_languages(
    p: QPainter,
    rect: QRectF,
    texts: Sequence[str],
    px: float,
    align: Qt.AlignmentFlag,
    color: QColor,
    *,
    bold: bool = False,
    second: QColor = DIM,
) -> None:
    """``texts[0]`` at ``px`` in ``rect``; with more languages, it takes the upper part of
    ``rect`` and the others follow under it, smaller and in ``second``."""
    if not texts:
        return
    if len(texts) == 1:
        p.setFont(fitted_font(texts[0], px, rect.width(), bold=bold))
        p.setPen(color)
        p.drawText(rect, align | Qt.AlignmentFlag.AlignVCenter, texts[0])
        return
    main_h = rect.height() * 0.58
    rest_h = (rect.height() - main_h) / (len(texts) - 1)
    p.setFont(fitted_font(texts[0], min(px, main_h * 0.78), rect.width(), bold=bold))
    p.setPen(color)
    p.drawText(
        QRectF(rect.left(), rect.top(), rect.width(), main_h), align | Qt.AlignmentFlag.AlignBottom, texts[0]
    )
    p.setPen(second)
    for i, text in enumerate(texts[1:]):
        top = rect.top() + main_h + i * rest_h
        p.setFont(fitted_font(text, min(px * 0.62, rest_h * 0.8), rect.width(), bold=bold))
        p.drawText(
            QRectF(rect.left(), top, rect.width(), rest_h), align | Qt.AlignmentFlag.AlignVCenter, text
        )


class _Part(QWidget):
    """A painted part of the screen that reads the shared view-model."""

    def __init__(self, model: DisplayViewModel, parent: QWidget) -> None:
        super().__init__(parent)
        self.model = model
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def painter(self, background: QColor) -> QPainter:
        """A painter on this part, its whole surface filled with ``background`` first."""
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), background)
        return p


class HeaderView(_Part):
    """Center name on the left; date and clock on the right."""

    def paintEvent(self, event: QPaintEvent) -> None:
        m = self.model
        w, h = float(self.width()), float(self.height())
        pad = h * 0.22
        p = self.painter(BAND)
        p.fillRect(QRectF(0, h - max(2.0, h * 0.04), w, max(2.0, h * 0.04)), OFFLINE if m.offline else ACCENT)

        clock_font = font(h * 0.56, bold=True)
        clock = m.clock_text
        clock_w = QFontMetricsF(clock_font).horizontalAdvance("00:00")
        p.setFont(clock_font)
        p.setPen(TEXT)
        clock_rect = QRectF(w - pad - clock_w, 0, clock_w, h)
        p.drawText(clock_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, clock)

        right = Qt.AlignmentFlag.AlignRight
        left = Qt.AlignmentFlag.AlignLeft
        names, dates = m.center_names, m.date_texts
        if w >= h * 10:
            # Wide (landscape): name on the left; the date left of the clock.
            side_w = min(w * 0.3, h * 4.2)
            side_x = clock_rect.left() - pad * 0.8 - side_w
            paint_languages(p, QRectF(side_x, h * 0.12, side_w, h * 0.76), dates, h * 0.22, right, TEXT)
            name_rect = QRectF(pad, h * 0.08, max(0.0, side_x - pad * 1.5), h * 0.84)
            paint_languages(p, name_rect, names, h * 0.3, left, TEXT, bold=True)
        else:
            # Narrow (portrait): name on the upper line, date on the lower one.
            text_w = max(0.0, clock_rect.left() - pad * 1.8)
            paint_languages(
                p, QRectF(pad, h * 0.06, text_w, h * 0.46), names, h * 0.25, left, TEXT, bold=True
            )
            paint_languages(p, QRectF(pad, h * 0.52, text_w, h * 0.42), [label(dates)], h * 0.2, left, TEXT)
        p.end()


class OfflineBanner(_Part):
    """Across the screen under the header while the display is offline: "no connection", and
    since when the calls below have not been updated. Meant to be seen from the back of the hall."""

    def paintEvent(self, event: QPaintEvent) -> None:
        m = self.model
        w, h = float(self.width()), float(self.height())
        pad = h * 0.3
        p = self.painter(OFFLINE)
        inner = QRectF(pad, h * 0.06, w - 2 * pad, h * 0.88)
        p.setFont(fitted_font(label(m.trs("offline")), h * 0.46, inner.width(), bold=True))
        p.setPen(TEXT)
        p.drawText(
            QRectF(inner.left(), inner.top(), inner.width(), inner.height() * 0.6),
            Qt.AlignmentFlag.AlignCenter,
            label(m.trs("offline")),
        )
        detail = "   ".join(m.offline_details)
        p.setFont(fitted_font(detail, h * 0.24, inner.width()))
        p.drawText(
            QRectF(inner.left(), inner.top() + inner.height() * 0.6, inner.width(), inner.height() * 0.4),
            Qt.AlignmentFlag.AlignCenter,
            detail,
        )
        p.end()


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
        p = self.painter(BACKGROUND)

        p.setPen(DIM)
        ticket_col = QRectF(margin, 0, w * 0.55 - margin, heading)
        counter_col = QRectF(w * 0.55, 0, w * 0.45 - margin, heading)
        tickets, counters = label(m.trs("heading.ticket")), label(m.trs("heading.counter"))
        p.setFont(fitted_font(tickets, heading * 0.5, ticket_col.width(), bold=True))
        p.drawText(ticket_col, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, tickets)
        p.setFont(fitted_font(counters, heading * 0.5, counter_col.width(), bold=True))
        p.drawText(counter_col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, counters)

        rows = m.rows[:fit]
        if not rows:
            self._paint_empty(p, heading)
        y = heading
        for index, row in enumerate(rows):
            height = newest if index == 0 else row_h
            self._paint_row(p, row, QRectF(0, y, w, height), index == 0, margin)
            y += height
        paint_unannounced(p, m, QRectF(0, 0, w, self.height()))
        p.end()
        self.painted.emit()

    def _paint_empty(self, p: QPainter, top: float) -> None:
        m = self.model
        if not m.ever_online:
            texts = m.trs("starting")
        elif not m.day_open:
            texts = m.trs("closed")
        else:
            return
        rect = QRectF(self.width() * 0.05, top, self.width() * 0.9, self.height() * 0.3)
        paint_languages(p, rect, texts, self.height() * 0.08, Qt.AlignmentFlag.AlignHCenter, DIM)

    def _paint_row(self, p: QPainter, row: CallRow, rect: QRectF, newest: bool, margin: float) -> None:
        m = self.model
        # Offline, a row may be stale: grey, still, and without the newest row's highlight.
        live = not m.offline
        blinking = live and m.blinking(row)
        gap = max(1.0, rect.height() * 0.06)
        box = rect.adjusted(margin * 0.4, gap / 2, -margin * 0.4, -gap / 2)
        number_color, arrow_color, counter_color = TEXT, DIM, ACCENT
        if blinking and m.blink_on:
            p.fillRect(box, ACCENT)
            number_color = arrow_color = counter_color = ACCENT_TEXT
        elif live and (newest or blinking):
            p.fillRect(box, NEWEST)
        if not live:
            number_color = arrow_color = counter_color = STALE
        elif row.state is RowState.LEAVING:
            number_color = arrow_color = counter_color = DIM
        if row.state is not RowState.LEAVING:
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


def paint_badge(p: QPainter, rect: QRectF, prefix: str, *, live: bool = True) -> None:
    """A ticket prefix in its yellow square ("A"), centred in ``rect``; grey when stale."""
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(ACCENT if live else STALE)
    p.drawRoundedRect(rect, rect.width() * 0.18, rect.width() * 0.18)
    p.setFont(fitted_font(prefix, rect.height() * 0.7, rect.width() * 0.9, bold=True))
    p.setPen(ACCENT_TEXT)
    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, prefix)


def paint_name(p: QPainter, rect: QRectF, names: Sequence[str], px: float, color: QColor) -> None:
    """An agency's or service's name: in one language it wraps onto a second line when long
    (the font shrinks only if two lines are not enough); in more, one line each."""
    if len(names) != 1:
        paint_languages(p, rect, names, px, Qt.AlignmentFlag.AlignLeft, color)
        return
    name = names[0]
    flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap
    f = font(px)
    while px > rect.height() * 0.18:
        f = font(px)
        bound = QFontMetricsF(f).boundingRect(rect, int(flags), name)
        if bound.height() <= rect.height() and bound.width() <= rect.width() + 1:
            break
        px *= 0.9
    p.setFont(f)
    p.setPen(color)
    p.drawText(rect, int(flags), name)


def paint_unannounced(p: QPainter, m: DisplayViewModel, rect: QRectF) -> None:
    """The day's calls the hall never heard, small in the corner of ``rect``, for the staff."""
    if not m.unannounced:
        return
    text = m.tr("unannounced", count=m.unannounced)
    h = rect.height() * 0.035
    p.setFont(font(h * 0.7))
    p.setPen(DIM)
    p.drawText(
        QRectF(rect.left(), rect.bottom() - h * 1.3, rect.width() - h * 0.6, h),
        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
        text,
    )


class WaitingView(_Part):
    """How many wait for each agency of this display's zones."""

    def paintEvent(self, event: QPaintEvent) -> None:
        m = self.model
        w, h = float(self.width()), float(self.height())
        pad = min(w, h) * 0.05
        p = self.painter(BACKGROUND)
        panel = QRectF(pad * 0.5, pad * 0.5, w - pad, h - pad)
        p.fillRect(panel, BAND)

        title = label(m.trs("heading.waiting"))
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
            rect = QRectF(panel.left(), y, panel.width(), row_h)
            self._paint_item(p, item.prefix, m.names(item.names), item.waiting, rect)
            y += row_h
        p.end()

    def _paint_item(self, p: QPainter, prefix: str, names: list[str], waiting: int, rect: QRectF) -> None:
        live = not self.model.offline
        pad = rect.height() * 0.18
        badge = rect.height() * 0.72
        badge_rect = QRectF(rect.left() + pad, rect.center().y() - badge / 2, badge, badge)
        paint_badge(p, badge_rect, prefix, live=live)

        count = str(waiting)
        count_font = font(rect.height() * 0.6, bold=True)
        count_w = QFontMetricsF(count_font).horizontalAdvance("000")
        count_rect = QRectF(rect.right() - pad - count_w, rect.top(), count_w, rect.height())
        p.setFont(count_font)
        p.setPen(TEXT if live else STALE)
        p.drawText(count_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, count)

        name_rect = QRectF(
            badge_rect.right() + pad,
            rect.top(),
            count_rect.left() - badge_rect.right() - 2 * pad,
            rect.height(),
        )
        paint_name(p, name_rect, names, rect.height() * 0.34, TEXT if live else STALE)


class IdleView(_Part):
    """In the calls' place while no call is on the screen: the queues of this display's services
    (waiting, and the wait a ticket taken now is promised), a page at a time, big enough to read
    from across the hall; or the display's pictures, in turn."""

    LINE = 0.12
    """A service's line: about an eighth of the height (at 1080p landscape, names of about 40 px
    and figures of about 60 px)."""

    def __init__(self, model: DisplayViewModel, parent: QWidget) -> None:
        super().__init__(model, parent)
        self._picture: tuple[Path, QSize, QImage] | None = None
        """The last picture drawn, scaled to the view: one at a time in memory."""

    def paintEvent(self, event: QPaintEvent) -> None:
        m = self.model
        p = self.painter(BACKGROUND)
        picture = m.idle_picture()
        if picture is None or not self._paint_picture(p, picture):
            self._paint_queues(p)
        paint_unannounced(p, m, QRectF(self.rect()))
        p.end()

    def _paint_picture(self, p: QPainter, path: Path) -> bool:
        size = self.size()
        if self._picture is None or self._picture[:2] != (path, size):
            reader = QImageReader(str(path))
            reader.setAutoTransform(True)
            image = reader.read()
            if image.isNull():
                self._picture = None
                self.model.drop_picture(path)
                return False
            image = image.scaled(
                size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
            self._picture = (path, size, image)
        image = self._picture[2]
        x = (self.width() - image.width()) / 2
        y = (self.height() - image.height()) / 2
        p.drawImage(QRectF(x, y, image.width(), image.height()), image)
        return True

    def _paint_queues(self, p: QPainter) -> None:
        m = self.model
        w, h = float(self.width()), float(self.height())
        margin = w * 0.04
        live = not m.offline
        text = TEXT if live else STALE
        # Column headings in two languages are stacked, so they need more room.
        title_h, columns_h = h * 0.11, h * (0.06 if len(m.langs) == 1 else 0.09)
        line_h = h * self.LINE
        lines = max(1, int((h - title_h - columns_h - h * 0.05) // line_h))
        page = m.idle_page(lines)

        title = QRectF(margin, 0, w - 2 * margin, title_h)
        paint_languages(
            p, title, m.trs("idle.title"), title_h * 0.5, Qt.AlignmentFlag.AlignLeft, text, bold=True
        )
        if page.pages > 1:
            p.setFont(font(title_h * 0.32))
            p.setPen(DIM)
            p.drawText(
                title,
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                f"{page.number}/{page.pages}",
            )
        if not page.services:
            rect = QRectF(margin, title_h, w - 2 * margin, h * 0.3)
            paint_languages(p, rect, m.trs("idle.none"), h * 0.06, Qt.AlignmentFlag.AlignHCenter, DIM)
            return

        # Columns: the prefix, the service, how many wait, the promised wait.
        badge_w = line_h * 0.62
        name_x = margin + badge_w + margin * 0.5
        wait_w = w * 0.27
        count_w = w * 0.13
        wait_x = w - margin - wait_w
        count_x = wait_x - margin * 0.5 - count_w
        name_w = count_x - margin * 0.5 - name_x
        heads = [
            (QRectF(name_x, title_h, name_w, columns_h), "idle.service", Qt.AlignmentFlag.AlignLeft),
            (QRectF(count_x, title_h, count_w, columns_h), "idle.waiting", Qt.AlignmentFlag.AlignRight),
            (QRectF(wait_x, title_h, wait_w, columns_h), "idle.wait", Qt.AlignmentFlag.AlignRight),
        ]
        for rect, key, align in heads:
            paint_languages(p, rect, m.trs(key), h * 0.033, align, DIM, bold=True)

        top = title_h + columns_h
        line_h = (h - top - h * 0.05) / lines
        for i, item in enumerate(page.services):
            y = top + i * line_h
            if i % 2 == 0:
                p.fillRect(QRectF(margin * 0.5, y, w - margin, line_h), BAND)
            self._paint_line(p, item, y, line_h, (margin, name_x, name_w, count_x, count_w, wait_x, wait_w))

    def _paint_line(
        self,
        p: QPainter,
        item: ServiceWaiting,
        y: float,
        line_h: float,
        cols: tuple[float, float, float, float, float, float, float],
    ) -> None:
        m = self.model
        margin, name_x, name_w, count_x, count_w, wait_x, wait_w = cols
        live = not m.offline
        badge = line_h * 0.62
        paint_badge(p, QRectF(margin, y + (line_h - badge) / 2, badge, badge), item.prefix, live=live)
        inner = line_h * 0.9
        paint_name(
            p,
            QRectF(name_x, y + line_h * 0.05, name_w, inner),
            m.names(item.names),
            line_h * 0.36,
            TEXT if live else STALE,
        )
        count = str(item.waiting)
        p.setFont(fitted_font(count, line_h * 0.56, count_w, bold=True))
        p.setPen(ACCENT if live else STALE)
        p.drawText(
            QRectF(count_x, y, count_w, line_h),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            count,
        )
        waits = m.wait_texts(item)
        color = (TEXT if item.wait is not None else DIM) if live else STALE
        paint_languages(
            p,
            QRectF(wait_x, y + line_h * 0.08, wait_w, line_h * 0.84),
            waits,
            line_h * 0.36,
            Qt.AlignmentFlag.AlignRight,
            color,
        )


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
        p = self.painter(ACCENT)
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
    """Qt view for the DisplayViewModel: header, offline banner, calls (or the idle screen),
    waiting panel and ticker."""

    HEADER = 0.12
    BANNER = 0.13
    TICKER = 0.08

    def __init__(self, model: DisplayViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.setWindowTitle("novbe")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setCursor(Qt.CursorShape.BlankCursor)
        self.header = HeaderView(model, self)
        self.banner = OfflineBanner(model, self)
        self.calls = CallsView(model, self)
        self.idle = IdleView(model, self)
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
            (self.model.idle_changed, self._on_idle_changed),
            (self.model.message_changed, self._on_message_changed),
            (self.model.unannounced_changed, self._on_unannounced_changed),
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
        self._show_calls_or_idle()
        self.calls.update()

    def _on_header_changed(self) -> None:
        if self.banner.isVisible() != self.model.offline:
            self._layout()
        self.header.update()
        self.banner.update()
        self._show_calls_or_idle()

    def _on_waiting_changed(self) -> None:
        self.waiting.update()
        self.idle.update()

    def _on_idle_changed(self) -> None:
        self.idle.update()

    def _on_unannounced_changed(self) -> None:
        self.calls.update()
        self.idle.update()

    def _show_calls_or_idle(self) -> None:
        idle = self.model.idle
        if self.idle.isVisible() != idle or self.calls.isVisible() == idle:
            self.idle.setVisible(idle)
            self.calls.setVisible(not idle)

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
        banner_h = round(h * (self.BANNER * 0.6 if portrait else self.BANNER)) if self.model.offline else 0
        ticker_h = round(h * (self.TICKER * 0.62 if portrait else self.TICKER)) if self.model.message else 0
        self.ticker.setVisible(ticker_h > 0)
        self.banner.setVisible(banner_h > 0)
        body_top, body_h = header_h + banner_h, h - header_h - banner_h - ticker_h
        self.header.setGeometry(0, 0, w, header_h)
        self.banner.setGeometry(0, header_h, w, banner_h)
        if portrait:
            calls_h = round(body_h * 0.6)
            calls = (0, body_top, w, calls_h)
            self.waiting.setGeometry(0, body_top + calls_h, w, body_h - calls_h)
        else:
            calls_w = round(w * 0.64)
            calls = (0, body_top, calls_w, body_h)
            self.waiting.setGeometry(calls_w, body_top, w - calls_w, body_h)
        self.calls.setGeometry(*calls)
        self.idle.setGeometry(*calls)
        self._show_calls_or_idle()
        self.ticker.setGeometry(0, h - ticker_h, w, ticker_h)

    def paintEvent(self, event: QPaintEvent) -> None:
        # The parts cover the whole window; this only fills the edges left by rounding.
        p = QPainter(self)
        p.fillRect(self.rect(), BACKGROUND)
        p.end()

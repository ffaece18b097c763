"""Qt view of the kiosk: the touchscreen a citizen uses.

A thin view over :class:`kiosk.viewmodel.KioskViewModel`: taps go to the model (through
:meth:`~kiosk.viewmodel.KioskViewModel.press`, which reads a control aloud first when spoken
guidance is on), ``model.changed`` redraws. It holds no state of its own beyond widgets.

Sizes: a touch target is at least 15 mm on the actual screen, computed from the screen's
physical DPI, and never under :data:`MIN_TARGET_PX` (a screen may report a wrong DPI, the
offscreen platform reports 96). Text sizes follow the window's shorter side so that the
same layout reads well in portrait (1080x1920) and landscape (1920x1080).

The accessible mode (``model.assist``) rebuilds the window: the high-contrast palette, text
and targets :data:`ASSIST_SCALE` times larger, and the low layout: every control within the
lower :data:`REACH` of the screen, within reach of a citizen in a wheelchair, while the
upper part only shows what the screen is about. Long lists are shown a page at a time there.

Every widget a citizen touches has an accessible name (and a description) in the screen's
language: the words a screen reader says, and the ones spoken guidance reads.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import qrcode
from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QFontMetricsF,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPixmap,
)
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from shell.touchscreen import TouchscreenWindow, install_fonts, text_label
from wire.messages import ServiceInfo
from wire.types import LANGS, Lang, Priority

from .speech import Say
from .viewmodel import BROWSING, CODE_DIGITS, RIGHTS, KioskViewModel, PrintState, Screen

TARGET_MM = 15.0
"""Smallest touch target, in millimetres (fingertips of elderly users, gloves)."""
MIN_TARGET_PX = 96
"""Smallest touch target in pixels, whatever the screen says about its DPI."""
ASSIST_SCALE = 1.3
"""How much larger text and touch targets are in the accessible mode."""
REACH = {"portrait": 0.55, "landscape": 0.75}
"""In the accessible mode every control lies in this lower share of the window's height. A
32-inch kiosk screen standing upright is about 71 cm tall with its lower edge some 80 cm
above the floor: a seated citizen reaches up to about 122 cm (the usual forward reach
limit), 55 % of the way up. Lying on its side it is 40 cm tall, its lower edge some 92 cm
up: three quarters of it can be reached."""
ASSIST_SIGN = "♿"
"""The international symbol of access (ISO 7001), on the button of the accessible mode."""
KEYPAD = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "erase", "0", "clear")
"""The check-in's keypad, row by row (three keys a row), as on a phone."""


@dataclass(frozen=True)
class Palette:
    """The colours of one mode."""

    paper: str
    ink: str
    action: str
    """Background of a primary button."""
    action_ink: str
    pressed: str
    secondary_bg: str
    secondary_ink: str
    """Text and border of a secondary button."""
    muted_bg: str
    muted_ink: str
    muted_border: str
    soft_ink: str
    """Secondary text beside the main one (hints, an agency under its service)."""
    title_ink: str
    accent: str
    warn_bg: str
    warn_ink: str
    alert_bg: str
    alert_ink: str
    focus: str
    """The border of the control spoken guidance read last: a second tap chooses it."""
    border_px: int


NORMAL = Palette(
    # Dark ink on white, white on deep blue; what can't be tapped is grey but its reason
    # stays readable (contrast above 7:1 for text on the grey).
    paper="#ffffff",
    ink="#101418",
    action="#0a3a8c",
    action_ink="#ffffff",
    pressed="#062a66",
    secondary_bg="#ffffff",
    secondary_ink="#0a3a8c",
    muted_bg="#d9dce1",
    muted_ink="#2f3640",
    muted_border="#8a9099",
    soft_ink="#2f3640",
    title_ink="#0a3a8c",
    accent="#0f6b2f",
    warn_bg="#fff1b8",
    warn_ink="#6b1500",
    alert_bg="#8c1010",
    alert_ink="#ffffff",
    focus="#e07000",
    border_px=4,
)
CONTRAST = Palette(
    # High contrast for low vision: white and yellow on black (over 15:1), thick borders,
    # nothing told by colour alone.
    paper="#000000",
    ink="#ffffff",
    action="#ffd400",
    action_ink="#000000",
    pressed="#ffffff",
    secondary_bg="#000000",
    secondary_ink="#ffd400",
    muted_bg="#000000",
    muted_ink="#ffffff",
    muted_border="#bdbdbd",
    soft_ink="#ffffff",
    title_ink="#ffd400",
    accent="#7dff9a",
    warn_bg="#000000",
    warn_ink="#ffd400",
    alert_bg="#b00000",
    alert_ink="#ffffff",
    focus="#00e5ff",
    border_px=6,
)


@dataclass(frozen=True)
class Metrics:
    """Sizes in pixels for one window size and screen."""

    target: int
    """Smallest touch target (height of a button)."""
    key: int
    """A key of the search keyboard (never smaller than :data:`MIN_TARGET_PX`)."""
    text: int
    """Body text."""
    small: int
    title: int
    number: int
    """The ticket number."""
    gap: int
    family: str

    @classmethod
    def compute(cls, size: QSize, dpi: float, family: str, scale: float = 1.0) -> Metrics:
        short = min(size.width(), size.height())
        target = max(MIN_TARGET_PX, math.ceil(TARGET_MM / 25.4 * dpi))
        text = max(22, round(short / 30 * scale))
        return cls(
            target=round(target * scale),
            key=target,
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


def _label(text: str, font: QFont, color: str, *, center: bool = True, wrap: bool = True) -> QLabel:
    """A label in the mode's ``color`` (the accessible mode has its own palette)."""
    return text_label(text, font, color=color, center=center, wrap=wrap)


def spoken_name(widget: QWidget) -> str:
    """What a screen reader (and spoken guidance) says of ``widget``: its name, then its
    description."""
    parts = [widget.accessibleName(), widget.accessibleDescription()]
    return ". ".join(p.strip() for p in parts if p and p.strip())


class Tile(QPushButton):
    """A big button with a wrapped title and a smaller second line. The title's font
    shrinks (down to 55%) when a long name would not fit the tile: some agencies' names
    run to seventy letters. Its accessible name is the title, its description the line."""

    def __init__(
        self, metrics: Metrics, palette: Palette, title: str, detail: str = "", *, primary: bool = True
    ) -> None:
        super().__init__()
        self.metrics = metrics
        self.palette_ = palette
        self.primary = primary
        self.focused = False
        self.px = metrics.text
        """The title's font size (pixels) when it fits: the keypad's digits are larger."""
        self.setMinimumHeight(metrics.target)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        pad = metrics.gap
        layout.setContentsMargins(pad, pad // 2, pad, pad // 2)
        layout.setSpacing(pad // 3)
        self.title = _label(title, metrics.font(metrics.text, bold=True), palette.ink)
        self.detail = _label(detail, metrics.font(metrics.small), palette.ink)
        for label in (self.title, self.detail):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            layout.addWidget(label)
        self.detail.setVisible(bool(detail))
        self._name(title, detail)
        self._restyle()

    def set_content(self, title: str, detail: str, enabled: bool, *, description: str | None = None) -> None:
        """Show ``title`` and ``detail``; ``description``: what a screen reader says after the
        title, when not the detail."""
        if self.title.text() != title or self.detail.text() != detail:
            self.title.setText(title)
            self.detail.setText(detail)
            self.detail.setVisible(bool(detail))
            self._fit()
        self._name(title, detail if description is None else description)
        if self.isEnabled() != enabled:
            self.setEnabled(enabled)
            self._restyle()

    def set_focused(self, focused: bool) -> None:
        if focused != self.focused:
            self.focused = focused
            self._restyle()

    def _name(self, title: str, detail: str) -> None:
        self.setAccessibleName(_words_only(title))
        self.setAccessibleDescription(detail)

    def _restyle(self) -> None:
        p = self.palette_
        if not self.isEnabled():
            bg, ink, border = p.muted_bg, p.muted_ink, p.muted_border
        elif self.primary:
            bg, ink, border = p.action, p.action_ink, p.pressed
        else:
            bg, ink, border = p.secondary_bg, p.secondary_ink, p.secondary_ink
        width = p.border_px
        if self.focused:
            border, width = p.focus, p.border_px * 2
        style = "dashed" if not self.isEnabled() else "solid"
        self.setStyleSheet(
            f"QPushButton {{ background: {bg}; border: {width}px {style} {border}; border-radius: 18px; }}"
            f"QPushButton:pressed {{ background: {p.pressed}; }}"
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
        if width <= 0:
            return
        if self.detail.isVisible():
            detail = QFontMetrics(self.detail.font()).boundingRect(
                QRect(0, 0, width, 10_000), Qt.TextFlag.TextWordWrap, self.detail.text()
            )
            room -= detail.height() + m.gap // 3
        if room <= 0:
            return
        px = self.px
        while px > round(self.px * 0.55):
            font = m.font(px, bold=True)
            needed = QFontMetrics(font).boundingRect(
                QRect(0, 0, width, 10_000), Qt.TextFlag.TextWordWrap, self.title.text()
            )
            if needed.height() <= room and needed.width() <= width:
                break
            px -= 1
        self.title.setFont(m.font(px, bold=True))


class Note(QFrame):
    """A block of text that spoken guidance reads when touched (the offline and closed
    screens' message in each language). Its accessible name is its text."""

    def __init__(self, metrics: Metrics, palette: Palette, on_press: Callable[[Note], None]) -> None:
        super().__init__()
        self._on_press = on_press
        self.lang: Lang = "az"
        self.setProperty("tappable", True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(metrics.gap, metrics.gap, metrics.gap, metrics.gap)
        layout.setSpacing(metrics.gap // 2)
        self.head = _label("", metrics.font(metrics.title, bold=True), palette.warn_ink)
        self.body = _label("", metrics.font(metrics.text), palette.ink)
        for label in (self.head, self.body):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            layout.addWidget(label)

    def set_text(self, lang: Lang, head: str, body: str) -> None:
        self.lang = lang
        self.head.setText(head)
        self.body.setText(body)
        self.setAccessibleName(head)
        self.setAccessibleDescription(body.replace("\n", ". "))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._on_press(self)
        super().mousePressEvent(event)


class InfoPanel(QWidget):
    """The accessible mode's upper part: what the screen is about. Out of reach of a seated
    citizen and needed by none to choose; a touch on it reads the screen again."""

    def __init__(self, on_press: Callable[[], None]) -> None:
        super().__init__()
        self._on_press = on_press
        self.setProperty("tappable", True)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._on_press()
        super().mousePressEvent(event)


class KioskWindow(TouchscreenWindow):
    """Qt view for the KioskViewModel.

    The touchscreens' window (the clock, every touch told to the model); its body, banner
    and pages are made here, and made again when the accessible mode changes the sizes,
    the colours and the layout."""

    first_paint = Signal()
    """Emitted once, when the window has been drawn for the first time (start-up time)."""

    def __init__(
        self, model: KioskViewModel, *, size: QSize | None = None, parent: QWidget | None = None
    ) -> None:
        screen = QGuiApplication.primaryScreen()
        if size is None:
            size = screen.size() if screen is not None else QSize(1080, 1920)
        super().__init__(model, size, gap=0, banner_font=QFont(), banner_padding=0, parent=parent)
        self.model = model
        self.setWindowTitle("novbe")
        dpi = screen.physicalDotsPerInch() if screen is not None else 96.0
        self._dpi = dpi if 40 <= dpi <= 600 else 96.0
        self._family = install_fonts()
        self.portrait = size.height() >= size.width()
        # The body is made by _build, for the mode: the base's banner and stack give way.
        for shared in (self.banner, self.stack):
            self.outer.removeWidget(shared)
            shared.deleteLater()
        self.outer.setContentsMargins(0, 0, 0, 0)
        self.body: QWidget | None = None
        self._build()

        self._painted = False
        self.follow_model()

    # --- Qt plumbing --------------------------------------------------------------------

    @property
    def painted(self) -> bool:
        """Whether the window has been drawn (``first_paint`` was emitted)."""
        return self._painted

    def paintEvent(self, event: object) -> None:
        super().paintEvent(event)  # type: ignore[arg-type]
        if not self._painted:
            self._painted = True
            self.first_paint.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # A keyboard-wedge scanner types the code it reads, then Enter: into the check-in.
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and isinstance(watched, QWidget)
            and watched.window() is self
        ):
            text = event.text()
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.model.key_enter()
                return True
            if len(text) == 1 and text in "0123456789":
                self.model.key_digit(text)
                return True
        return super().eventFilter(watched, event)

    @property
    def reach_top(self) -> int:
        """In the accessible mode, the highest point (y) a control may reach."""
        share = REACH["portrait" if self.portrait else "landscape"]
        return round(self.height() * (1 - share))

    # --- building -----------------------------------------------------------------------

    def _build(self) -> None:
        """Make every widget for the current mode (the accessible mode has its own sizes,
        colours and layout, so switching it makes them again)."""
        model = self.model
        self.assist = model.assist
        self.metrics = Metrics.compute(
            self.size(), self._dpi, self._family, ASSIST_SCALE if self.assist else 1
        )
        self.colors = CONTRAST if self.assist else NORMAL
        m, c = self.metrics, self.colors
        self.setStyleSheet(f"KioskWindow {{ background: {c.paper}; }}")
        self.setFont(m.font(m.text))
        old, self.body = self.body, QWidget()
        if old is not None:
            old.setParent(None)
            old.deleteLater()
        self.controls: dict[str, Tile] = {}
        """The controls spoken guidance knows by key, on the screen's tiles."""
        self._pages_of: dict[str, int] = {}
        self.mores: dict[Screen, Tile] = {}
        outer = QVBoxLayout(self.body)
        margin = m.gap * 2
        outer.setContentsMargins(margin, margin, margin, margin)
        outer.setSpacing(m.gap)
        self.banner = _label("", m.font(m.text, bold=True), c.warn_ink)
        self.banner.setStyleSheet(
            f"color: {c.warn_ink}; background: {c.warn_bg}; border: 3px solid {c.warn_ink};"
            f" border-radius: 12px; padding: {m.gap}px;"
        )
        self.banner.hide()
        # The accessible mode's upper part: what the screen is about, out of reach and
        # needing none; the controls are below it. A touch on it reads the screen again.
        self.info = InfoPanel(model.read_again)
        info = QVBoxLayout(self.info)
        info.setContentsMargins(0, 0, 0, 0)
        info.setSpacing(m.gap // 2)
        self.info_title = _label("", m.font(m.title, bold=True), c.title_ink)
        self.info_text = _label("", m.font(m.text), c.ink)
        info.addStretch(1)
        self.info_howto = _label("", m.font(m.text, bold=True), c.accent)
        info.addWidget(self.info_title)
        info.addWidget(self.info_text)
        info.addWidget(self.info_howto)
        info.addStretch(1)
        self._info_height = max(0, self.reach_top - margin - m.gap)
        self.info.setFixedHeight(self._info_height)
        self.info.setVisible(False)
        outer.addWidget(self.info)
        if self.assist:
            info.addWidget(self.banner)
        else:
            outer.addWidget(self.banner)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack, 1)
        self.nav = QWidget()
        nav = QHBoxLayout(self.nav)
        nav.setContentsMargins(0, 0, 0, 0)
        nav.setSpacing(m.gap * 2)
        self.back_button = self._button("", primary=False)
        self.home_button = self._button("", primary=False)
        self._bind(self.back_button, "nav.back", model.back)
        self._bind(self.home_button, "nav.start", model.start_over)
        nav.addWidget(self.back_button)
        nav.addWidget(self.home_button)
        outer.addWidget(self.nav)

        self.pages: dict[str, QWidget] = {}
        self._build_start()
        self._build_agencies()
        self._build_search()
        self._build_services()
        self._build_priority()
        self._build_ticket()
        self._build_checkin()
        self._build_refused()
        self._build_offline()
        self._build_closed()
        self._built_key: tuple[object, ...] = ()
        layout = self.layout()
        assert layout is not None, "the window has its root layout"
        layout.addWidget(self.body)
        self.body.show()

    def _button(self, text: str, *, primary: bool = True, height: float = 1.0) -> Tile:
        tile = Tile(self.metrics, self.colors, text, primary=primary)
        tile.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        tile.setFixedHeight(round(self.metrics.target * height))
        return tile

    def _tile(self, title: str, detail: str = "", *, primary: bool = True) -> Tile:
        return Tile(self.metrics, self.colors, title, detail, primary=primary)

    def _bind(
        self, tile: Tile, key: str, act: Callable[[], None], say: Callable[[], Sequence[Say]] | None = None
    ) -> None:
        """Taps on ``tile`` go to the model as control ``key``: read aloud first with spoken
        guidance (its accessible name and description, or ``say``), then ``act``."""
        self.controls[key] = tile

        def pressed() -> None:
            words = say() if say is not None else [Say(self.model.lang, spoken_name(tile))]
            self.model.press(key, words, act)

        tile.clicked.connect(pressed)

    def _page(self, name: str) -> QVBoxLayout:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(self.metrics.gap)
        self.pages[name] = page
        self.stack.addWidget(page)
        return layout

    def _grid(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setSpacing(self.metrics.gap)
        return grid

    def _title(self, size: int | None = None) -> QLabel:
        """A screen's title; in the accessible mode the upper part says it instead."""
        m = self.metrics
        label = _label("", m.font(size or m.title, bold=True), self.colors.ink)
        label.setVisible(not self.assist)
        return label

    def _build_start(self) -> None:
        m, c, model = self.metrics, self.colors, self.model
        layout = self._page(Screen.START)
        self.center_label = _label("", m.font(m.text, bold=True), c.title_ink)
        self.center_label.setVisible(not self.assist)
        layout.addWidget(self.center_label)
        layout.addStretch(1)
        self.lang_buttons: dict[str, Tile] = {}
        lang_row = QHBoxLayout() if self.assist and not self.portrait else None
        for lang in LANGS:
            button = self._tile(model.tr("lang.self", lang))
            button.title.setFont(m.font(m.title, bold=True))
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setFixedHeight(round(m.target * (1.2 if self.assist else 1.6)))
            self._bind(
                button,
                f"lang.{lang}",
                partial(model.choose_language, lang),
                partial(_said, lang, model.tr("lang.self", lang)),
            )
            self.lang_buttons[lang] = button
            if not self.assist:
                layout.addWidget(_label(model.tr("start.welcome", lang), m.font(m.title, bold=True), c.ink))
                layout.addWidget(_label(model.tr("start.choose", lang), m.font(m.small), c.soft_ink))
            if lang_row is not None:
                lang_row.addWidget(button)
            else:
                layout.addWidget(button)
                layout.addSpacing(0 if self.assist else m.gap * 2)
        if lang_row is not None:
            layout.addLayout(lang_row)
        if not self.assist:
            layout.addStretch(1)
        # A booked citizen's way in: the title in the kiosk's language, the others under it.
        self.checkin_button = self._tile("", primary=False)
        self.checkin_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.checkin_button.setFixedHeight(round(m.target * (1.2 if self.assist else 1.4)))
        self._bind(self.checkin_button, "checkin", model.open_checkin, self._checkin_words)
        if self.portrait:
            layout.addWidget(self.checkin_button)
            if not self.assist:
                layout.addSpacing(m.gap)
        row = QHBoxLayout()
        row.setSpacing(m.gap * 2)
        if not self.portrait:
            # A landscape screen has no height to spare: beside the accessible mode's button.
            self.checkin_button.setFixedHeight(round(m.target * (1.0 if self.assist else 1.2)))
            row.addWidget(self.checkin_button)
        self.speech_button = self._button("", primary=False)
        self._bind(self.speech_button, "speech", model.switch_speech)
        self.speech_button.setVisible(self.assist and model.has_speech)
        self.assist_button = self._button("", primary=False, height=1.0 if self.assist else 1.2)
        self._bind(self.assist_button, "assist", model.switch_assist, self._assist_words)
        row.addWidget(self.speech_button)
        row.addWidget(self.assist_button)
        layout.addLayout(row)

    def _checkin_words(self) -> list[Say]:
        """The start screen's check-in button, read in every language (it is not chosen yet)."""
        model = self.model
        return [Say(x, model.tr("start.appointment", x)) for x in model.languages_first()]

    def _assist_words(self) -> list[Say]:
        model = self.model
        if model.assist:
            return [Say(model.lang, model.tr("assist.off"))]
        return [Say(x, f"{model.tr('assist.on', x)}: {model.tr('assist.hint', x)}") for x in LANGS]

    def _build_agencies(self) -> None:
        m, model = self.metrics, self.model
        layout = self._page(Screen.AGENCIES)
        row = QHBoxLayout()
        row.setSpacing(m.gap)
        self.search_button = self._button("", primary=False)
        self._bind(self.search_button, "search", model.open_search)
        self.agencies_priority = self._button("", primary=False)
        self._bind(self.agencies_priority, "priority", model.open_priority)
        row.addWidget(self.search_button)
        row.addWidget(self.agencies_priority)
        layout.addLayout(row)
        self.top_title = self._title(m.text)
        layout.addWidget(self.top_title)
        self.top_grid = self._grid()
        layout.addLayout(self.top_grid)
        self.agencies_title = self._title()
        layout.addWidget(self.agencies_title)
        self.agency_grid = self._grid()
        layout.addLayout(self.agency_grid, 1)
        self.top_tiles: dict[str, Tile] = {}
        self.agency_tiles: dict[str, Tile] = {}
        self.agencies_more = self._more(Screen.AGENCIES)

    def _more(self, screen: Screen) -> Tile:
        """The accessible mode's button to the next page of a list, between Back and Start
        over (a row of its own would push the list out of reach)."""
        more = self._button("")
        self._bind(more, f"more.{screen}", lambda: self.model.next_page(self._pages_of.get(screen, 1)))
        more.hide()
        self.mores[screen] = more
        nav = self.nav.layout()
        assert isinstance(nav, QHBoxLayout), "the nav row is built first"
        nav.insertWidget(1, more)
        return more

    def _build_search(self) -> None:
        m, c = self.metrics, self.colors
        layout = self._page(Screen.SEARCH)
        self.search_title = self._title()
        layout.addWidget(self.search_title)
        self.search_query = _label("", m.font(m.title, bold=True), c.ink)
        self.search_query.setStyleSheet(
            f"color: {c.ink}; background: {c.paper}; border: {c.border_px}px solid {c.secondary_ink};"
            f" border-radius: 12px; padding: {m.gap // 2}px;"
        )
        self.search_query.setVisible(not self.assist)
        layout.addWidget(self.search_query)
        body = QHBoxLayout() if not self.portrait else QVBoxLayout()
        body.setSpacing(m.gap * 2)
        self.result_grid = self._grid()
        results = QVBoxLayout()
        results.setSpacing(m.gap)
        self.search_note = _label("", m.font(m.text), c.soft_ink)
        results.addWidget(self.search_note)
        results.addLayout(self.result_grid, 1)
        self.result_tiles: dict[str, Tile] = {}
        self.keyboard = QGridLayout()
        self.keyboard.setSpacing(max(6, m.gap // 2))
        self.keys: dict[str, Tile] = {}
        self._keyboard_lang: str | None = None
        if self.portrait:
            body.addLayout(results, 1)
            body.addLayout(self.keyboard)
        else:
            body.addLayout(results, 9)
            body.addLayout(self.keyboard, 11)
        layout.addLayout(body, 1)

    def _build_services(self) -> None:
        m, c, model = self.metrics, self.colors, self.model
        layout = self._page(Screen.SERVICES)
        self.services_title = self._title()
        self.services_zone = _label("", m.font(m.small), c.soft_ink)
        self.services_zone.setVisible(not self.assist)
        layout.addWidget(self.services_title)
        layout.addWidget(self.services_zone)
        self.service_grid = self._grid()
        layout.addLayout(self.service_grid, 1)
        self.service_tiles: dict[str, Tile] = {}
        self.services_more = self._more(Screen.SERVICES)
        self.priority_button = self._button("", primary=False, height=1.0 if self.assist else 1.5)
        self._bind(self.priority_button, "priority", model.open_priority)
        layout.addWidget(self.priority_button)

    def _build_priority(self) -> None:
        m, c, model = self.metrics, self.colors, self.model
        layout = self._page(Screen.PRIORITY)
        self.priority_title = self._title()
        self.priority_hint = _label("", m.font(m.small), c.soft_ink)
        self.priority_hint.setVisible(not self.assist)
        layout.addWidget(self.priority_title)
        layout.addWidget(self.priority_hint)
        grid = self._grid()
        self.priority_tiles: dict[str, Tile] = {}
        columns = (2 if self.portrait else 3) if self.assist else (1 if self.portrait else 2)
        for i, right in enumerate(RIGHTS):
            tile = self._tile("", primary=False)
            self._bind(tile, f"priority.{right}", partial(model.choose_priority, right))
            self.priority_tiles[right] = tile
            grid.addWidget(tile, i // columns, i % columns)
        layout.addLayout(grid, 1)
        self.no_priority = self._button("", height=1.0 if self.assist else 1.5)
        self._bind(self.no_priority, "priority.none", lambda: model.choose_priority(Priority.NONE))
        layout.addWidget(self.no_priority)

    def _build_ticket(self) -> None:
        m, c, model = self.metrics, self.colors, self.model
        layout = self._page(Screen.TICKET)
        page = self.pages[Screen.TICKET]
        page.setProperty("tappable", True)
        # A tap anywhere on the ticket takes the citizen back (the model ignores the
        # first moment, so the tap that asked for the ticket doesn't dismiss it); with
        # spoken guidance, a tap reads the ticket again and a second one takes them back.
        page.mousePressEvent = lambda event: self._ticket_pressed()  # type: ignore[method-assign]
        self.ticket_title = _label("", m.font(m.title), c.ink)
        self.ticket_number = _label("", m.font(m.number, bold=True), c.title_ink)
        self.ticket_service = _label("", m.font(m.title, bold=True), c.ink)
        self.ticket_agency = _label("", m.font(m.small), c.soft_ink)
        self.ticket_zone = _label("", m.font(m.title, bold=True), c.accent)
        self.ticket_slot = _label("", m.font(m.title, bold=True), c.title_ink)
        self.ticket_ahead = _label("", m.font(m.text), c.ink)
        self.ticket_wait = _label("", m.font(m.text), c.ink)
        self.ticket_priority = _label("", m.font(m.small), c.soft_ink)
        self.ticket_qr = QLabel()
        self.ticket_qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.ticket_qr_caption = _label("", m.font(m.small), c.soft_ink)
        self.ticket_print = _label("", m.font(m.text, bold=True), c.accent)
        self.done_button = self._button("")
        self._bind(self.done_button, "ticket.done", model.dismiss_ticket)
        info = QVBoxLayout()
        info.setSpacing(m.gap // 2)
        for widget in (
            self.ticket_title,
            self.ticket_number,
            self.ticket_slot,
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

    def _lang_row(self, screen: Screen) -> QHBoxLayout:
        """The check-in's three languages, as small buttons: the citizen reads in theirs."""
        row = QHBoxLayout()
        row.setSpacing(self.metrics.gap)
        buttons: dict[str, Tile] = {}
        for lang in LANGS:
            button = self._button(self.model.tr("lang.self", lang), primary=False)
            self._bind(
                button,
                f"{screen}.lang.{lang}",
                partial(self.model.choose_language, lang),
                partial(_said, lang, self.model.tr("lang.self", lang)),
            )
            buttons[lang] = button
            row.addWidget(button)
        self.lang_rows[screen] = buttons
        return row

    def _build_checkin(self) -> None:
        m, c, model = self.metrics, self.colors, self.model
        layout = self._page(Screen.CHECKIN)
        self.lang_rows: dict[Screen, dict[str, Tile]] = {}
        languages = self._lang_row(Screen.CHECKIN)
        if not self.assist:
            layout.addLayout(languages)
        self.checkin_title = self._title()
        self.checkin_hint = _label("", m.font(m.small), c.soft_ink)
        self.checkin_hint.setVisible(not self.assist)
        layout.addWidget(self.checkin_title)
        layout.addWidget(self.checkin_hint)
        # The code as typed, in groups of four, with the places still to type.
        self.code_field = _label("", m.font(round(m.title * 1.8), bold=True), c.ink)
        self.code_field.setStyleSheet(
            f"color: {c.ink}; background: {c.paper}; border: {c.border_px}px solid {c.secondary_ink};"
            f" border-radius: 12px; padding: {m.gap // 2}px;"
        )
        self.code_field.setVisible(not self.assist)
        layout.addWidget(self.code_field)
        keypad = QGridLayout()
        keypad.setSpacing(m.gap)
        self.pad: dict[str, Tile] = {}
        for i, name in enumerate(KEYPAD):
            act: Callable[[], None]
            if name == "erase":
                text, act = model.tr("keyboard.erase"), model.erase_digit
            elif name == "clear":
                text, act = model.tr("keyboard.clear"), model.clear_code
            else:
                text, act = name, partial(model.type_digit, name)
            key = self._tile(text, primary=name not in ("erase", "clear"))
            key.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            key.setFixedHeight(round(m.target * (1.0 if self.assist or not self.portrait else 1.3)))
            if len(text) == 1:
                key.px = m.title
            self._bind(key, f"pad:{name}", act)
            self.pad[name] = key
            keypad.addWidget(key, i // 3, i % 3)
        self.code_ok = self._button("", height=1.0 if self.assist else 1.3)
        self._bind(self.code_ok, "pad:ok", model.submit_code)
        if self.portrait:
            layout.addStretch(1)
            layout.addLayout(keypad)
            layout.addWidget(self.code_ok)
        else:
            # Side by side: the code and OK on the left, the keypad on the right.
            row = QHBoxLayout()
            row.setSpacing(m.gap * 2)
            left = QVBoxLayout()
            left.addStretch(1)
            left.addWidget(self.code_ok)
            row.addLayout(left, 1)
            row.addLayout(keypad, 1)
            layout.addLayout(row, 1)
        if self.assist:
            layout.addLayout(languages)

    def _build_refused(self) -> None:
        m, c, model = self.metrics, self.colors, self.model
        layout = self._page(Screen.REFUSED)
        languages = self._lang_row(Screen.REFUSED)
        if not self.assist:
            layout.addLayout(languages)
        self.refused_title = self._title()
        layout.addWidget(self.refused_title)
        layout.addStretch(1)
        self.refused_text = _label("", m.font(m.title, bold=True), c.alert_ink)
        self.refused_text.setStyleSheet(
            f"color: {c.alert_ink}; background: {c.alert_bg}; border-radius: 12px; padding: {m.gap * 2}px;"
        )
        self.refused_text.setVisible(not self.assist)
        layout.addWidget(self.refused_text)
        self.refused_hint = _label("", m.font(m.text), c.ink)
        self.refused_hint.setVisible(not self.assist)
        layout.addWidget(self.refused_hint)
        layout.addStretch(1)
        self.walk_in_button = self._tile("")
        self.walk_in_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.walk_in_button.setFixedHeight(round(m.target * (1.2 if self.assist else 1.6)))
        self._bind(self.walk_in_button, "refused.walk_in", model.take_walk_in)
        layout.addWidget(self.walk_in_button)
        self.again_button = self._button("", primary=False, height=1.0 if self.assist else 1.2)
        self._bind(self.again_button, "refused.again", model.checkin_again)
        layout.addWidget(self.again_button)
        if self.assist:
            layout.addLayout(languages)

    def _ticket_pressed(self) -> None:
        model = self.model
        model.press("ticket", [Say(model.lang, line) for line in model.ticket_lines()], model.dismiss_ticket)

    def _notes(self, name: str) -> tuple[QVBoxLayout, dict[Lang, Note]]:
        """A page of one note per language (offline, closed)."""
        m, c = self.metrics, self.colors
        layout = self._page(name)
        layout.addStretch(1)
        notes: dict[Lang, Note] = {}
        for lang in LANGS:
            note = Note(m, c, self._note_pressed)
            notes[lang] = note
            layout.addWidget(note)
            layout.addSpacing(m.gap)
        return layout, notes

    def _note_pressed(self, note: Note) -> None:
        said = [
            Say(note.lang, note.head.text()),
            *(Say(note.lang, line) for line in note.body.text().splitlines()),
        ]
        self.model.press(f"note.{note.lang}", said, lambda: None)

    def _build_offline(self) -> None:
        m, c = self.metrics, self.colors
        layout, self.offline_notes = self._notes("offline")
        self.offline_retry = _label("", m.font(m.small), c.soft_ink)
        layout.addWidget(self.offline_retry)
        layout.addStretch(1)

    def _build_closed(self) -> None:
        m, c = self.metrics, self.colors
        layout, self.closed_notes = self._notes("closed")
        self.closed_center = _label("", m.font(m.title, bold=True), c.title_ink)
        layout.insertWidget(0, self.closed_center)
        layout.addStretch(1)
        # The accessible mode can be switched on here too: spoken guidance reads the notes.
        self.closed_assist = self._button("", primary=False)
        self._bind(self.closed_assist, "assist", self.model.switch_assist, self._assist_words)
        layout.addWidget(self.closed_assist)

    # --- drawing ------------------------------------------------------------------------

    def _on_model_changed(self) -> None:
        model = self.model
        if model.assist != self.assist:
            self._build()
        results = tuple(s.code for s in model.search_results()) if model.screen is Screen.SEARCH else ()
        key = (
            model.screen,
            model.lang,
            model.agency,
            len(model.agencies),
            model.page,
            tuple(s.code for s in model.top_services()) if model.screen is Screen.AGENCIES else (),
            results,
        )
        if key != self._built_key:
            self._built_key = key
            self._rebuild()
        self._refresh()

    def _rebuild(self) -> None:
        """Make the tiles of the screen shown (they depend on language, agency, page and query)."""
        model = self.model
        for name in [k for k in self.controls if k.split(":")[0] in ("agency", "service", "top")]:
            del self.controls[name]
        if model.screen is Screen.AGENCIES:
            self._rebuild_agencies()
        elif model.screen is Screen.SERVICES:
            services = model.agency_services()
            columns = (
                (1 if self.portrait else 2)
                if self.assist
                else (1 if self.portrait or len(services) < 3 else 2)
            )
            rows = (3 if self.portrait else 2) if self.assist else None
            self.service_tiles = self._fill(
                self.service_grid,
                services,
                columns,
                rows,
                Screen.SERVICES,
                self.services_more,
                self._service_tile,
            )
            if not self.assist:
                # Few services: keep tiles a comfortable height instead of stretching one
                # tile over the whole screen.
                used = math.ceil(len(services) / columns) if services else 1
                for r in range(used, 5):
                    self.service_grid.setRowStretch(r, 1)
        elif model.screen is Screen.SEARCH:
            self._rebuild_search()

    def _rebuild_agencies(self) -> None:
        model = self.model
        top = model.top_services()
        if self.assist:
            top = top[:2] if self.portrait else top
        columns = len(top) if (self.assist or not self.portrait) else 2
        _clear(self.top_grid)
        self.top_tiles = {}
        for i, service in enumerate(top):
            tile = self._service_tile(service, key="top")
            self.top_tiles[service.code] = tile
            self.top_grid.addWidget(tile, i // max(1, columns), i % max(1, columns))
        columns = (1 if self.portrait else 4) if self.assist else (3 if self.portrait else 4)
        rows = (3 if self.portrait else 1) if self.assist else None
        self.agency_tiles = self._fill(
            self.agency_grid,
            list(model.agencies),
            columns,
            rows,
            Screen.AGENCIES,
            self.agencies_more,
            self._agency_tile,
        )

    def _rebuild_search(self) -> None:
        model = self.model
        results = model.search_results()
        columns = 2 if self.assist and self.portrait else 1
        shown = 2 if self.assist else 4
        _clear(self.result_grid)
        self.result_tiles = {}
        for i, service in enumerate(results[:shown]):
            tile = self._service_tile(service, key="service", with_agency=True)
            tile.setMinimumHeight(round(self.metrics.target * 1.6))  # three lines: name, agency, queue
            self.result_tiles[service.code] = tile
            self.result_grid.addWidget(tile, i // columns, i % columns)
        for r in range(math.ceil(min(len(results), shown) / columns), shown // columns):
            self.result_grid.setRowStretch(r, 1)
        if self._keyboard_lang != model.lang:
            self._build_keyboard()

    def _build_keyboard(self) -> None:
        m, model = self.metrics, self.model
        _clear(self.keyboard)
        for name in [k for k in self.controls if k.startswith("key:")]:
            del self.controls[name]
        self.keys = {}
        self._keyboard_lang = model.lang
        letters = model.keyboard()
        width = self.width() - 4 * m.gap
        if not self.portrait:
            width = width * 11 // 20 - m.gap
        spacing = self.keyboard.spacing()
        per_row = max(6, min(12, (width + spacing) // (m.key + spacing)))
        rows = math.ceil(len(letters) / per_row)
        per_row = math.ceil(len(letters) / rows)  # rows of even length
        for i, letter in enumerate(letters):
            key = self._key(letter, letter, partial(model.type_letter, letter))
            self.keyboard.addWidget(key, i // per_row, i % per_row)
        row = rows
        space = self._key("space", model.tr("keyboard.space"), lambda: model.type_letter(" "))
        erase = self._key("erase", model.tr("keyboard.erase"), model.erase)
        clear = self._key("clear", model.tr("keyboard.clear"), model.clear_query)
        third = max(1, per_row // 3)
        self.keyboard.addWidget(space, row, 0, 1, per_row - 2 * third)
        self.keyboard.addWidget(erase, row, per_row - 2 * third, 1, third)
        self.keyboard.addWidget(clear, row, per_row - third, 1, third)

    def _key(self, name: str, text: str, act: Callable[[], None]) -> Tile:
        m = self.metrics
        key = self._tile(text, primary=name not in ("space", "erase", "clear"))
        key.setMinimumHeight(m.key)
        key.setMinimumWidth(m.key if len(text) == 1 else m.key * 2)
        key.layout().setContentsMargins(2, 2, 2, 2)  # type: ignore[union-attr]
        self.keys[name] = key
        self._bind(key, f"key:{name}", act)
        return key

    def _fill(
        self,
        grid: QGridLayout,
        items: Sequence[object],
        columns: int,
        rows: int | None,
        screen: Screen,
        more: Tile,
        make: Callable[..., Tile],
    ) -> dict[str, Tile]:
        """Put a tile per item in ``grid``; with ``rows``, only the model's page of them,
        and the page button ``more`` when there are more pages."""
        _clear(grid)
        per_page = columns * rows if rows else max(1, len(items))
        pages = max(1, math.ceil(len(items) / per_page))
        self._pages_of[screen] = pages
        page = self.model.page % pages
        shown = items[page * per_page : (page + 1) * per_page]
        tiles: dict[str, Tile] = {}
        for i, item in enumerate(shown):
            tile = make(item)
            tiles[getattr(item, "code", str(i))] = tile
            grid.addWidget(tile, i // columns, i % columns)
        if rows:
            for r in range(rows):
                grid.setRowStretch(r, 1)
            for r in range(columns):
                grid.setColumnStretch(r, 1)
        return tiles

    def _agency_tile(self, agency: object) -> Tile:
        model = self.model
        code = getattr(agency, "code", "")
        tile = self._tile("")
        self._bind(tile, f"agency:{code}", lambda: model.choose_agency(code))
        return tile

    def _service_tile(self, service: ServiceInfo, key: str = "service", with_agency: bool = False) -> Tile:
        model = self.model
        tile = self._tile(model.name(service.name))
        tile.setMinimumHeight(round(self.metrics.target * (1.2 if self.assist else 1.3)))
        tile.setProperty("with_agency", with_agency)
        self._bind(tile, f"{key}:{service.code}", partial(model.choose_service, service.code))
        return tile

    def _refresh(self) -> None:
        model = self.model
        tr = model.tr
        closed = model.closed() if not model.offline_shown else None
        if (model.offline_shown or closed is not None) and model.screen is not Screen.TICKET:
            page = "offline" if model.offline_shown else "closed"
            self.stack.setCurrentWidget(self.pages[page])
            self.nav.hide()
            self.banner.hide()
            self.info.hide()
            if closed is not None and not model.offline_shown:
                self.closed_center.setText(model.name(model.center_name))
                for lang, note in self.closed_notes.items():
                    head, *rest = model.closed_lines(closed, lang)
                    note.set_text(lang, head, "\n".join(rest))
                self._refresh_assist_button(self.closed_assist)
            else:
                for lang, note in self.offline_notes.items():
                    note.set_text(lang, tr("offline.title", lang), tr("offline.body", lang))
                self.offline_retry.setText(" · ".join(tr("offline.retrying", lang) for lang in LANGS))
            self._mark_focus()
            return
        self.stack.setCurrentWidget(self.pages[model.screen])
        self.nav.setVisible(model.screen in BROWSING)
        for screen, more in self.mores.items():
            more.setVisible(screen is model.screen and self._pages_of.get(screen, 1) > 1)
        self.back_button.set_content(tr("nav.back"), "", model.pending is None)
        self.home_button.set_content(tr("nav.start"), "", model.pending is None)
        banner = ""
        if model.screen in BROWSING and model.pending is not None:
            banner = tr("issuing")
        elif model.notice is not None and model.screen in BROWSING:
            banner = tr(model.notice.key, **model.notice.values)
        elif not model.printer_ok and model.screen is not Screen.TICKET:
            key = "printer.down" if model.has_printer else "printer.none"
            banner = tr(key) if model.screen is not Screen.START else _all_langs(model, key)
        self.show_banner(banner)
        self.info.setVisible(self.assist and model.screen is not Screen.TICKET)
        self.info_howto.setText(tr("assist.howto"))
        self.info_howto.setVisible(model.speech)
        getattr(self, f"_refresh_{model.screen.value}")()
        if not self.info.isHidden():
            self._size_info()
            self._fit_info()
            self.info.setAccessibleName(self.info_title.text())
            shown = [label.text() for label in (self.info_text, self.info_howto) if not label.isHidden()]
            self.info.setAccessibleDescription(". ".join(t.rstrip(".") for t in shown if t))
        self._mark_focus()

    def _mark_focus(self) -> None:
        focused = self.model.focused
        for key, tile in self.controls.items():
            tile.set_focused(key == focused)

    def _set_info(self, title: str, text: str = "", *, big: bool = False) -> None:
        self.info_title.setText(title)
        self.info_text.setText(text)
        self.info_text.setProperty("big", big)
        self.info_text.setVisible(bool(text))

    def _size_info(self) -> None:
        """The upper part's height: down to the reach line, or on the start screen (whose
        few controls never page) down to its controls, so that the center's name and the
        three welcomes stay large on a landscape screen's short upper quarter."""
        height = self._info_height
        if self.model.screen is Screen.START:
            layout = self.body.layout() if self.body is not None else None
            margins = layout.contentsMargins() if layout is not None else None
            spacing = layout.spacing() if layout is not None else 0
            controls = self.pages[Screen.START].minimumSizeHint().height()
            edge = margins.top() + margins.bottom() if margins is not None else 0
            height = max(height, self.height() - edge - 2 * spacing - controls)
        if self.info.height() != height:
            self.info.setFixedHeight(height)

    def _fit_info(self) -> None:
        """Set the upper part's text as large as fits it (a center's long name over three
        welcomes does not fit a landscape screen's upper quarter at full size)."""
        m = self.metrics
        width = self.width() - 4 * m.gap
        labels = [
            (self.info_title, m.title, True),
            (
                self.info_text,
                m.title if self.info_text.property("big") else m.text,
                bool(self.info_text.property("big")),
            ),
            (self.info_howto, m.text, True),
            (self.banner, m.text, True),
        ]
        shown = [(label, px, bold) for label, px, bold in labels if not label.isHidden()]
        room = self.info.height() - self.info.layout().spacing() * len(shown)  # type: ignore[union-attr]
        for scale in (1.0, 0.9, 0.8, 0.7, 0.6, 0.5):
            needed = 0
            for label, px, bold in shown:
                font = m.font(max(12, round(px * scale)), bold=bold)
                label.setFont(font)
                needed += (
                    QFontMetrics(font)
                    .boundingRect(QRect(0, 0, width, 10_000), Qt.TextFlag.TextWordWrap, label.text())
                    .height()
                )
            if needed <= room:
                break

    def _refresh_assist_button(self, button: Tile) -> None:
        model = self.model
        if model.assist:
            button.set_content(model.tr("assist.off"), "", True)
        else:
            names = " · ".join(model.tr("assist.on", x) for x in LANGS)
            button.set_content(f"{ASSIST_SIGN}  {names}", "", True)

    def _refresh_start(self) -> None:
        model = self.model
        center = model.name(model.center_name)
        self.center_label.setText(center)
        ready = model.can_issue
        for tile in self.lang_buttons.values():
            tile.set_content(tile.title.text(), "", ready)
        self._refresh_assist_button(self.assist_button)
        first, *others = model.languages_first()
        self.checkin_button.set_content(
            model.tr("start.appointment", first),
            " · ".join(model.tr("start.appointment", x) for x in others),
            ready,
            description=". ".join(model.tr("start.appointment", x) for x in others),
        )
        self.speech_button.set_content(model.tr("speech.on" if model.speech else "speech.off"), "", True)
        welcome = "\n".join(f"{model.tr('start.welcome', x)} {model.tr('start.choose', x)}" for x in LANGS)
        self._set_info(center, welcome)

    def _refresh_langs(self, screen: Screen) -> None:
        model = self.model
        for lang, button in self.lang_rows.get(screen, {}).items():
            button.set_content(model.tr("lang.self", lang), "", model.pending is None)

    def _refresh_checkin(self) -> None:
        model = self.model
        idle = model.pending is None
        self._refresh_langs(Screen.CHECKIN)
        title, hint = model.tr("checkin.title"), model.tr("checkin.hint")
        self.checkin_title.setText(title)
        self.checkin_hint.setText(hint)
        typed = model.code_shown
        blanks = "·" * (CODE_DIGITS - len(model.code))
        shown = f"{model.code}{blanks}"
        self.code_field.setText(f"{shown[:4]} {shown[4:]}")
        self.code_field.setAccessibleName(typed or title)
        for name, key in self.pad.items():
            if name in ("erase", "clear"):
                enabled = idle and bool(model.code)
            else:
                enabled = idle and not model.code_complete
            key.set_content(key.title.text(), "", enabled)
        self.code_ok.set_content(model.tr("checkin.ok"), "", idle and model.code_complete)
        self._set_info(title, f"{shown[:4]} {shown[4:]}" if model.code else hint, big=bool(model.code))

    def _refresh_refused(self) -> None:
        model = self.model
        idle = model.pending is None
        self._refresh_langs(Screen.REFUSED)
        refusal = model.refusal
        title = model.tr("refused.title")
        self.refused_title.setText(title)
        lines = model.refusal_lines()
        self.refused_text.setText(lines[0] if lines else "")
        self.refused_hint.setText("\n".join(lines[1:]))
        self.refused_hint.setVisible(not self.assist and len(lines) > 1)
        walk_in = refusal is not None and refusal.walk_in
        self.walk_in_button.setVisible(walk_in)
        if walk_in:
            self.walk_in_button.set_content(model.tr("refused.walk_in"), model.walk_in_words(), idle)
        self.again_button.set_content(model.tr("refused.again"), "", idle)
        self._set_info(title, " ".join(lines))

    def _priority_words(self, *, short: bool = False) -> str:
        model = self.model
        if model.priority is Priority.NONE:
            return model.tr("priority.short" if short else "priority.ask")
        key = "ticket.priority" if short else "priority.chosen"
        return model.tr(key, right=model.tr(f"priority.{model.priority}"))

    def _refresh_agencies(self) -> None:
        model = self.model
        idle = model.pending is None
        self.agencies_title.setText(model.tr("agencies.title"))
        self.search_button.set_content(model.tr("search.open"), "", idle)
        self.agencies_priority.set_content(self._priority_words(short=True), "", idle)
        self.top_title.setText(model.tr("agencies.top"))
        self.top_title.setVisible(bool(self.top_tiles) and not self.assist)
        for code, top in self.top_tiles.items():
            self._refresh_service_tile(code, top)
        for agency in model.agencies:
            tile = self.agency_tiles.get(agency.code)
            if tile is None:
                continue
            available = model.agency_available(agency.code)
            detail = model.zone_name(agency.zone) if available else model.tr("service.closed")
            tile.set_content(model.name(agency.name), detail, available and idle)
        self._refresh_more(self.agencies_more, Screen.AGENCIES)
        self._set_info(model.tr("agencies.title"))

    def _refresh_more(self, more: Tile, screen: Screen) -> None:
        pages = self._pages_of.get(screen, 1)
        model = self.model
        page = model.page % pages + 1
        more.set_content(
            f"{model.tr('page.more')} {page}/{pages}",
            "",
            model.pending is None,
            description=model.tr("say.page", page=page, pages=pages),
        )

    def _refresh_service_tile(self, code: str, tile: Tile) -> None:
        model = self.model
        service = model.services.get(code)
        if service is None:
            return
        available = model.availability(code).available
        detail = model.service_detail(code)
        if tile.property("with_agency"):
            agency = model.center.agency(service.agency) if model.center is not None else None
            if agency is not None:
                detail = f"{model.name(agency.name)}\n{detail}"
        tile.set_content(model.name(service.name), detail, available and model.pending is None)

    def _refresh_search(self) -> None:
        model = self.model
        query = model.query
        self.search_title.setText(model.tr("search.title"))
        self.search_query.setText(f"{query}▏")
        self.search_query.setAccessibleName(query.strip() or model.tr("search.title"))
        results = model.search_results()
        if not query.strip():
            note = model.tr("search.empty")
        elif not results:
            note = model.tr("search.none", query=query.strip())
        else:
            note = ""
        self.search_note.setText(note)
        self.search_note.setVisible(bool(note))
        for code, tile in self.result_tiles.items():
            self._refresh_service_tile(code, tile)
        idle = model.pending is None
        for name, key in self.keys.items():
            enabled = idle and (name not in ("erase", "clear") or bool(query))
            key.set_content(key.title.text(), "", enabled)
        self._set_info(
            model.tr("search.title"), f"{query}▏" if query else model.tr("search.empty"), big=bool(query)
        )

    def _refresh_services(self) -> None:
        model = self.model
        agency = next((a for a in model.agencies if a.code == model.agency), None)
        title = model.name(agency.name) if agency else model.tr("services.title")
        zone = f"{model.tr('services.title')} · {model.zone_name(agency.zone)}" if agency else ""
        self.services_title.setText(title)
        self.services_zone.setText(zone)
        for service in model.agency_services():
            tile = self.service_tiles.get(service.code)
            if tile is not None:
                self._refresh_service_tile(service.code, tile)
        self.priority_button.set_content(self._priority_words(short=self.assist), "", model.pending is None)
        self._refresh_more(self.services_more, Screen.SERVICES)
        self._set_info(title, zone)

    def _refresh_priority(self) -> None:
        model = self.model
        self.priority_title.setText(model.tr("priority.title"))
        self.priority_hint.setText(model.tr("priority.hint"))
        for right, tile in self.priority_tiles.items():
            tile.set_content(model.tr(f"priority.{right}"), "", True)
        self.no_priority.set_content(model.tr("priority.none"), "", True)
        self._set_info(model.tr("priority.title"), model.tr("priority.hint"))

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
        model, m, c = self.model, self.metrics, self.colors
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
        self.ticket_ahead.setText(model.ahead_words(ticket.ahead))
        self.ticket_wait.setText(model.wait_words(ticket.wait))
        slot = model.slot_words(ticket)
        self.ticket_slot.setText(slot)
        self.ticket_slot.setVisible(bool(slot))
        has_priority = ticket.priority is not Priority.NONE
        self.ticket_priority.setVisible(has_priority)
        if has_priority:
            self.ticket_priority.setText(tr("ticket.priority", right=tr(f"priority.{ticket.priority}")))
        if self._qr_for != ticket.qr_data:
            self._qr_for = ticket.qr_data
            side = round(min(self.width(), self.height()) * (0.36 if self.portrait else 0.4))
            self.ticket_qr.setPixmap(qr_pixmap(ticket.qr_data, side))
        self.ticket_qr.setAccessibleName(tr("ticket.qr"))
        self.ticket_qr.setAccessibleDescription(ticket.qr_data)
        caption = tr("ticket.qr")
        self.ticket_qr_caption.setText(f"{caption}\n{ticket.link}" if ticket.link else caption)
        page = self.pages[Screen.TICKET]
        page.setAccessibleName(f"{tr('ticket.title')}: {ticket.number}")
        page.setAccessibleDescription(". ".join(model.ticket_lines()[1:]))
        self.ticket_print.setText(tr(model.print_key()))
        if model.print_state in (PrintState.FAILED, PrintState.NO_PRINTER):
            self.ticket_print.setStyleSheet(
                f"color: {c.alert_ink}; background: {c.alert_bg}; border-radius: 12px; padding: {m.gap}px;"
            )
        else:
            self.ticket_print.setStyleSheet(
                f"color: {c.accent}; background: transparent; padding: {m.gap}px;"
            )
        self.done_button.set_content(tr("ticket.done"), "", True)


SIGNS = str.maketrans(dict.fromkeys("‹›⌨♿⌫▏"))
"""Drawn signs a screen reader would spell out: the names say the words only."""


def _words_only(text: str) -> str:
    return " ".join(text.translate(SIGNS).split())


def _said(lang: Lang, text: str) -> list[Say]:
    return [Say(lang, text)]


def _all_langs(model: KioskViewModel, key: str) -> str:
    return "\n".join(model.tr(key, lang) for lang in LANGS)


def _clear(layout: QLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widget.setParent(None)
            widget.deleteLater()
    if isinstance(layout, QGridLayout):
        for r in range(layout.rowCount()):
            layout.setRowStretch(r, 0)
        for col in range(layout.columnCount()):
            layout.setColumnStretch(col, 0)

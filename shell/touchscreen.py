"""What the citizen-facing touchscreens share (the kiosk, the rating terminal): the font,
the palette, labels, and a window of pages over a view-model that has a clock.

The window is a thin view: its model says when something changed (``model.changed``), is
told of every touch anywhere on the screen (``model.touch()``, even one that hits no
button: inactivity timers restart) and is driven by a timer (``model.tick()``), so the
model decides every timeout and the window only draws.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from psygnal import SignalInstance
from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QLabel, QStackedWidget, QVBoxLayout, QWidget

FONT_FAMILY = "DejaVu Sans"
"""Has every letter of Azerbaijani (ə ğ ı İ ş ç ö ü) and Russian; loaded from its files, so
a machine image without fontconfig defaults still renders them."""
FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)

TICK_MS = 200
"""How often the model's clock is driven."""

# High contrast: dark text on white, white text on deep blue; what can't be tapped is grey
# but its reason stays readable (contrast above 7:1 for text on the grey).
INK = "#101418"
PAPER = "#ffffff"
ACTION = "#0a3a8c"
ACTION_PRESSED = "#062a66"
ACCENT = "#0f6b2f"
MUTED_BG = "#d9dce1"
MUTED_INK = "#2f3640"
WARN_BG = "#fff1b8"
WARN_INK = "#6b1500"
ALERT_BG = "#8c1010"


def install_fonts() -> str:
    """Load the font into Qt and return its family (Qt's default one when the files are
    missing)."""
    family = FONT_FAMILY
    for path in FONT_FILES:
        if Path(path).exists():
            QFontDatabase.addApplicationFont(path)
    if family not in QFontDatabase.families():
        family = QApplication.font().family()
    return family


def text_label(text: str, font: QFont, *, color: str = INK, center: bool = True, wrap: bool = True) -> QLabel:
    """A label of ``text`` in ``font`` and ``color`` on no background."""
    widget = QLabel(text)
    widget.setFont(font)
    widget.setWordWrap(wrap)
    widget.setStyleSheet(f"color: {color}; background: transparent;")
    if center:
        widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return widget


class TouchModel(Protocol):
    """What the window needs of its view-model."""

    @property
    def changed(self) -> SignalInstance: ...

    def tick(self) -> None: ...

    def touch(self) -> None: ...


class TouchscreenWindow(QWidget):
    """A window of a fixed size: a warning band (hidden until given a text) over a stack of
    pages, on white.

    A subclass builds its pages with :meth:`page`, then calls :meth:`follow_model`; it
    redraws in :meth:`_on_model_changed`.

    Args:
        model: the view-model.
        size: the window's size (a touchscreen's whole screen).
        gap: the space between things, in pixels; the margins are twice that.
        banner_font: the warning band's font.
        banner_padding: the space inside the band, in pixels.
    """

    _on_model_changed: Callable[[], None]
    """Redraw the page the model shows: each app's window (kiosk, rating terminal) defines it
    (Qt's metaclass rules out ``abc.abstractmethod`` on a QWidget); an app that forgot fails at
    :meth:`follow_model`."""

    def __init__(
        self,
        model: TouchModel,
        size: QSize,
        *,
        gap: int,
        banner_font: QFont,
        banner_padding: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._model = model
        self.resize(size)
        self.setFixedSize(size)
        self.setAutoFillBackground(True)
        self.setStyleSheet(f"{type(self).__name__} {{ background: {PAPER}; }}")
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(gap * 2, gap * 2, gap * 2, gap * 2)
        self.outer.setSpacing(gap)
        self.banner = text_label("", banner_font, color=WARN_INK)
        self.banner.setStyleSheet(
            f"color: {WARN_INK}; background: {WARN_BG}; border: 3px solid {WARN_INK};"
            f" border-radius: 12px; padding: {banner_padding}px;"
        )
        self.banner.hide()
        self.stack = QStackedWidget()
        self.outer.addWidget(self.banner)
        self.outer.addWidget(self.stack, 1)
        self.pages: dict[str, QWidget] = {}
        self._gap = gap
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(model.tick)

    def follow_model(self) -> None:
        """Start listening: to the model's changes (drawing now) and to every touch."""
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self._model.changed.connect(self._on_model_changed)
        self._on_model_changed()

    def page(self, name: str) -> QVBoxLayout:
        """A new page named ``name`` in the stack; returns its layout."""
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(self._gap)
        self.pages[name] = page
        self.stack.addWidget(page)
        return layout

    def show_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.setVisible(bool(text))

    def start_ticking(self) -> None:
        """Drive the model's clock from the Qt event loop."""
        self._timer.start()

    def closeEvent(self, event: object) -> None:
        self._timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self._model.changed.disconnect(self._on_model_changed)
        super().closeEvent(event)  # type: ignore[arg-type]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Any touch anywhere restarts the model's inactivity timers, even one that hits no button.
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin):
            self._model.touch()
        return False

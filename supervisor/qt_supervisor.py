"""Qt view for the SupervisorViewModel: the floor manager's window.

Two pages: the login form and the desk. The desk has three tabs (the hall, the queues,
today's figures) and, beside them on every tab, the alerts. Widgets are repainted from the
view-model: a counter's tile when that counter changed, the tables when their figures did,
and the times once a second. Clicks call view-model methods and nothing else; every action
is confirmed first in a dialog that opens without blocking (``QDialog.open``): the hall
client runs in its own thread, and a dialog left open must not hold up the server's messages.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, QSize, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from shell.qt_style import set_style_property
from wire.i18n import wait_words
from wire.types import LANGS, CounterNo, CounterState, TicketState

from . import FONT_FAMILY
from .qt_sound import QtChime
from .viewmodel import Alert, AlertKind, Look, SupervisorViewModel, Tile, minutes_text

LANG_NAMES = {"az": "Azərbaycanca", "ru": "Русский", "en": "English"}

TILE_MAX = (150, 84)
"""The largest a counter's tile grows (width, height), on a large screen."""
TILE_MIN = (78, 40)
"""The smallest: below it the hall scrolls rather than shrink the tiles further."""
TILE_FULL_HEIGHT = 64
"""From this height a tile has room for its operator on a line of their own."""
TILE_SPACING = 6
ZONE_SPACING = 4
ALERTS_WIDTH = (320, 440)
"""The alerts' column: on a laptop's screen (under 1600 px wide), and wider."""

TOAST_MS = 8000
"""How long the answer to an action stays on screen."""

COLOURS = {
    Look.CLOSED: ("#e4e7eb", "#4a5562"),
    Look.IDLE: ("#dff3e4", "#1e6b34"),
    Look.CALLING: ("#dbe9ff", "#0b3d91"),
    Look.SERVING: ("#0b5cd5", "#ffffff"),
    Look.PAUSED: ("#fff1d6", "#8a5a00"),
    Look.OFFLINE: ("#b3261e", "#ffffff"),
}
"""Background and text of a tile of each look."""

STYLE = """
QWidget { font-family: "DejaVu Sans"; font-size: 14px; color: #1d2733; }
QWidget#root { background: #eef1f5; }
QFrame#card { background: white; border: 1px solid #d5dbe3; border-radius: 8px; }
QLabel#banner { background: #b3261e; color: white; font-size: 22px; font-weight: bold; padding: 12px; }
QLabel#toast[kind="done"] { background: #dff3e4; color: #1e6b34; border: 1px solid #a9d8b5;
    border-radius: 6px; padding: 6px 10px; }
QLabel#toast[kind="failed"] { background: #fde7e5; color: #8c1d18; border: 1px solid #f2b8b3;
    border-radius: 6px; padding: 6px 10px; font-weight: bold; }
QLabel#title { font-size: 20px; font-weight: bold; }
QLabel#day { font-size: 15px; font-weight: bold; padding: 4px 10px; border-radius: 6px;
    background: #dff3e4; color: #1e6b34; }
QLabel#day[open="false"] { background: #e4e7eb; color: #4a5562; }
QLabel#clock { font-size: 18px; font-weight: bold; }
QLabel#zone { font-size: 16px; font-weight: bold; color: #4a5562; padding-top: 6px; }
QLabel#section { font-size: 15px; font-weight: bold; color: #4a5562; }
QLabel#breaks { font-size: 14px; color: #8a5a00; }
QLabel#legend { font-size: 12px; border-radius: 4px; padding: 2px 8px; }
QFrame#tile { border-radius: 8px; border: 1px solid #b8c2cf; }
QFrame#tile QLabel { background: transparent; }
QLabel#tileNumber { font-size: 22px; font-weight: bold; }
QLabel#tileLine { font-size: 12px; }
QFrame#tile[fit="compact"] QLabel#tileNumber { font-size: 16px; }
QFrame#tile[fit="compact"] QLabel#tileLine { font-size: 10px; }
QPushButton { padding: 6px 12px; border-radius: 6px; border: 1px solid #b8c2cf; background: #f8fafc;
    min-height: 28px; }
QPushButton:disabled { color: #a7b1bd; background: #eceff3; border-color: #d5dbe3; }
QPushButton#primary:enabled { background: #0b5cd5; color: white; border-color: #0b5cd5; font-weight: bold; }
QPushButton#danger:enabled { color: #8c1d18; border-color: #e0a39e; }
QPushButton#lang { min-height: 24px; padding: 4px 8px; }
QPushButton#lang:checked { background: #0b5cd5; color: white; border-color: #0b5cd5; }
QLineEdit { font-size: 17px; padding: 6px; border: 1px solid #b8c2cf; border-radius: 6px; background: white; }
QLabel#loginTitle { font-size: 24px; font-weight: bold; }
QLabel#loginError { color: #8c1d18; font-size: 16px; font-weight: bold; }
QTableWidget { background: white; border: none; gridline-color: #e4e7eb; }
QHeaderView::section { font-weight: bold; background: #f1f4f8; border: none; padding: 5px; }
QListWidget#alerts { background: white; border: none; font-size: 13px; padding: 0px 6px; }
QListWidget#alerts::item { border-bottom: 1px solid #e4e7eb; padding: 6px 0px; }
QTabWidget::pane { border: 1px solid #d5dbe3; background: white; border-radius: 6px; }
QTabBar::tab { padding: 8px 18px; font-size: 15px; }
QTabBar::tab:selected { font-weight: bold; }
""" + "".join(
    f'QFrame#tile[look="{look}"] {{ background: {bg}; }}\n'
    f'QFrame#tile[look="{look}"] QLabel {{ color: {fg}; }}\n'
    f'QLabel#legend[look="{look}"] {{ background: {bg}; color: {fg}; }}\n'
    for look, (bg, fg) in COLOURS.items()
)

DIALOG_STYLE = STYLE + "QDialog { background: white; } QPushButton { min-width: 110px; }"


class ElidedLabel(QLabel):
    """One line that ends in "…" where there is no room for all of it (a long center's name
    on a laptop's screen), rather than stopping mid-word."""

    def __init__(self) -> None:
        super().__init__()
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect, int(self.alignment()), text)


def _card() -> QFrame:
    frame = QFrame()
    frame.setObjectName("card")
    return frame


def _table(columns: int) -> QTableWidget:
    table = QTableWidget(0, columns)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _headers(table: QTableWidget, labels: list[str]) -> None:
    """Column titles, a long one on two lines (broken at the space nearest its middle), so
    that every column fits a laptop's screen."""
    lines = []
    for label in labels:
        spaces = [i for i, ch in enumerate(label) if ch == " "]
        if len(label) > 12 and spaces:
            cut = min(spaces, key=lambda i: abs(i - len(label) / 2))
            label = f"{label[:cut]}\n{label[cut + 1 :]}"
        lines.append(label)
    table.setHorizontalHeaderLabels(lines)


def _fill(table: QTableWidget, rows: list[list[str]], colours: list[QColor | None] | None = None) -> None:
    """Put ``rows`` into ``table``, reusing its items (a table redrawn every second)."""
    table.setUpdatesEnabled(False)
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = table.item(r, c)
            if item is None:
                item = QTableWidgetItem()
                table.setItem(r, c, item)
            if item.text() != text:
                item.setText(text)
            if colours is not None:
                colour = colours[r]
                item.setBackground(colour if colour is not None else QColor("white"))
    table.setUpdatesEnabled(True)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _min(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _clipped_label() -> QLabel:
    """A tile's line: cut at the tile's edge rather than widen the tile."""
    label = QLabel()
    label.setObjectName("tileLine")
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


class QtTile(QFrame):
    """One counter in the hall: number, agency, operator, ticket and how long.

    Full size, the operator has a line of their own; compact (a laptop's screen), the
    operator follows the number and the tile has two lines."""

    def __init__(self, number: CounterNo, on_click: Callable[[CounterNo, QPoint], None]) -> None:
        super().__init__()
        self.number = number
        self._on_click = on_click
        self.setObjectName("tile")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self._layout = QVBoxLayout(self)
        self._layout.setSpacing(0)
        top = self._top = QHBoxLayout()
        self.number_label = QLabel(str(number))
        self.number_label.setObjectName("tileNumber")
        self.who_inline = _clipped_label()
        self.who_inline.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.agency_label = QLabel()
        self.agency_label.setObjectName("tileLine")
        self.agency_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.number_label)
        top.addWidget(self.who_inline, 1)
        top.addWidget(self.agency_label)
        self.who = _clipped_label()
        self.what = _clipped_label()
        self._layout.addLayout(top)
        self._layout.addWidget(self.who)
        self._layout.addWidget(self.what)
        self.tile: Tile | None = None
        self.state_text = ""
        self.compact = True
        self.fit(*TILE_MAX)

    def fit(self, width: int, height: int) -> None:
        """Take ``width`` x ``height`` pixels; compact below :data:`TILE_FULL_HEIGHT`."""
        compact = height < TILE_FULL_HEIGHT
        if compact != self.compact:
            self.compact = compact
            self._restyle("fit", "compact" if compact else "full")
            if compact:
                self._layout.setContentsMargins(4, 1, 4, 2)
                self._top.setSpacing(2)
            else:
                self._layout.setContentsMargins(8, 2, 8, 3)
                self._top.setSpacing(4)
            self.who.setVisible(not compact)
            self.who_inline.setVisible(compact)
        if self.size() != QSize(width, height):
            self.setFixedSize(width, height)

    def show_tile(self, tile: Tile, state_text: str, who: str, who_short: str) -> None:
        """``who``: the operator, or what is offline; ``who_short`` the same in fewer letters."""
        self.tile = tile
        self.state_text = state_text
        self._restyle("look", tile.look.value)
        if self.agency_label.text() != tile.agency:
            self.agency_label.setText(tile.agency)
        if self.who.text() != who:
            self.who.setText(who)
        if self.who_inline.text() != who_short:
            self.who_inline.setText(who_short)

    def _restyle(self, name: str, value: str) -> None:
        """Set a property the style sheet selects on; the lines (``QFrame#tile[...] QLabel``)
        are polished again too, or they would keep the colour and size they had."""
        if getattr(self, f"_shown_{name}", None) == value:
            return
        set_style_property(self, name, value)
        style = self.style()
        for label in self.findChildren(QLabel):
            style.unpolish(label)
            style.polish(label)

    def show_time(self, text: str) -> None:
        shown = f"{self.state_text} {text}".strip()
        if self.what.text() != shown:
            self.what.setText(shown)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._on_click(self.number, event.globalPosition().toPoint())


class ConfirmDialog(QDialog):
    """ "Close counter 12?" with OK and Cancel; ``then`` runs on OK."""

    def __init__(self, parent: QWidget, text: str, ok: str, cancel: str, then: Callable[[], object]) -> None:
        super().__init__(parent)
        self.setStyleSheet(DIALOG_STYLE)
        self.setModal(True)
        layout = QVBoxLayout(self)
        self.text = QLabel(text)
        self.text.setWordWrap(True)
        self.text.setMinimumWidth(420)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton(ok, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("primary")
        buttons.addButton(cancel, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.accepted.connect(lambda: then())


class ServicesDialog(QDialog):
    """The services a counter serves for the rest of the day: a checklist by agency."""

    def __init__(self, window: QtSupervisorWindow, number: CounterNo) -> None:
        super().__init__(window)
        model = window.model
        self.number = number
        self.setStyleSheet(DIALOG_STYLE)
        self.setModal(True)
        self.setWindowTitle(model.tr("services.title", counter=number))
        layout = QVBoxLayout(self)
        title = QLabel(model.tr("services.title", counter=number))
        title.setObjectName("section")
        hint = QLabel(model.tr("services.hint"))
        hint.setWordWrap(True)
        self.list = QListWidget()
        self.list.setMinimumSize(560, 420)
        current = model.services_of(number)
        center = model.center
        assert center is not None
        # Its own services first, in their order, then the rest of the center's.
        codes = list(current) + [s.code for s in center.services if s.code not in current]
        self.items: dict[str, QListWidgetItem] = {}
        for code in codes:
            agency = model.agency_of_service(code)
            item = QListWidgetItem(f"{code}  {model.service_name(code)}  ({agency})")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if code in current else Qt.CheckState.Unchecked)
            item.setData(Qt.ItemDataRole.UserRole, code)
            self.list.addItem(item)
            self.items[code] = item
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton(model.tr("services.apply"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("primary")
        buttons.addButton(model.tr("button.back"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.list.itemChanged.connect(self._checked)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)

    def chosen(self) -> list[str]:
        return [code for code, item in self.items.items() if item.checkState() is Qt.CheckState.Checked]

    def _checked(self, _item: QListWidgetItem) -> None:
        self.ok_button.setEnabled(bool(self.chosen()))


class MessageDialog(QDialog):
    """The displays' scrolling line in az, ru and en."""

    def __init__(self, window: QtSupervisorWindow) -> None:
        super().__init__(window)
        model = window.model
        self.setStyleSheet(DIALOG_STYLE)
        self.setModal(True)
        self.setWindowTitle(model.tr("message.title"))
        layout = QVBoxLayout(self)
        title = QLabel(model.tr("message.title"))
        title.setObjectName("section")
        layout.addWidget(title)
        hint = QLabel(model.tr("message.hint"))
        hint.setWordWrap(True)
        layout.addWidget(hint)
        grid = QGridLayout()
        self.fields: dict[str, QLineEdit] = {}
        current = model.message or {}
        for row, lang in enumerate(LANGS):
            label = QLabel(LANG_NAMES[lang])
            edit = QLineEdit(current.get(lang, ""))
            edit.setMaxLength(500)
            edit.setMinimumWidth(640)
            grid.addWidget(label, row, 0)
            grid.addWidget(edit, row, 1)
            self.fields[lang] = edit
        layout.addLayout(grid)
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton(model.tr("message.set"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("primary")
        self.clear_button = buttons.addButton(
            model.tr("message.clear"), QDialogButtonBox.ButtonRole.ResetRole
        )
        buttons.addButton(model.tr("button.back"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.clear_button.clicked.connect(self._clear)
        layout.addWidget(buttons)

    def text(self) -> dict[str, str]:
        return {lang: edit.text() for lang, edit in self.fields.items()}

    def _clear(self) -> None:
        for edit in self.fields.values():
            edit.clear()
        self.accept()


class QtSupervisorWindow(QWidget):
    """Qt view for the SupervisorViewModel."""

    def __init__(
        self, model: SupervisorViewModel, *, sound: bool = True, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.setObjectName("root")
        self.setStyleSheet(STYLE)
        self.setFont(QFont(FONT_FAMILY, 10))
        self.chime = QtChime(enabled=sound, parent=self)
        self.dialog: QDialog | None = None
        """The dialog open now (a confirmation, the services, the message), if any."""
        self.menu: QMenu | None = None
        self.tiles: dict[CounterNo, QtTile] = {}
        self._hall_key: tuple[object, ...] = ()

        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.toast = QLabel()
        self.toast.setObjectName("toast")
        self.toast.setWordWrap(True)
        self.toast.hide()
        self._toast_timer = QTimer(self)
        self._toast_timer.setSingleShot(True)
        self._toast_timer.timeout.connect(self.toast.hide)

        self.pages = QStackedWidget()
        self.login_page = self._build_login()
        self.desk_page = self._build_desk()
        self.pages.addWidget(self.login_page)
        self.pages.addWidget(self.desk_page)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        body = QVBoxLayout()
        body.setContentsMargins(12, 8, 12, 12)
        body.setSpacing(8)
        body.addWidget(self.toast)
        body.addWidget(self.pages, 1)
        layout.addLayout(body, 1)

        model.state_changed.connect(self._render_state)
        model.counters_changed.connect(self._render_counters)
        model.queues_changed.connect(self._render_queues)
        model.tickets_changed.connect(self._render_waiting)
        model.alerts_changed.connect(self._render_alerts)
        model.alert_raised.connect(self._on_alert_raised)
        model.figures_changed.connect(self._render_figures)
        model.done.connect(lambda text: self._show_toast(text, "done"))
        model.failed.connect(lambda text: self._show_toast(text, "failed"))

        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self._clock.start()
        self.resize(1920, 1080)
        self.refresh()

    # --- building ---------------------------------------------------------------------

    def _lang_row(self, parent: QWidget) -> tuple[QHBoxLayout, dict[str, QPushButton]]:
        row = QHBoxLayout()
        buttons: dict[str, QPushButton] = {}
        group = QButtonGroup(parent)
        for code, name in LANG_NAMES.items():
            button = QPushButton(name)
            button.setObjectName("lang")
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _=False, c=code: self.model.set_lang(c))
            group.addButton(button)
            row.addWidget(button)
            buttons[code] = button
        return row, buttons

    def _build_login(self) -> QWidget:
        page = QWidget()
        outer = QVBoxLayout(page)
        outer.addStretch(1)
        card = _card()
        card.setFixedWidth(520)
        form = QVBoxLayout(card)
        form.setContentsMargins(32, 28, 32, 28)
        form.setSpacing(10)
        self.login_title = QLabel()
        self.login_title.setObjectName("loginTitle")
        self.login_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.login_title.setWordWrap(True)
        form.addWidget(self.login_title)
        langs, self.login_langs = self._lang_row(page)
        form.addLayout(langs)
        self.login_name_label = QLabel()
        self.login_name = QLineEdit()
        self.login_password_label = QLabel()
        self.login_password = QLineEdit()
        self.login_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.login_name.returnPressed.connect(self.login_password.setFocus)
        self.login_password.returnPressed.connect(self._sign_in)
        self.login_button = QPushButton()
        self.login_button.setObjectName("primary")
        self.login_button.setMinimumHeight(44)
        self.login_button.clicked.connect(self._sign_in)
        self.login_error = QLabel()
        self.login_error.setObjectName("loginError")
        self.login_error.setWordWrap(True)
        for widget in (
            self.login_name_label,
            self.login_name,
            self.login_password_label,
            self.login_password,
            self.login_button,
            self.login_error,
        ):
            form.addWidget(widget)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        return page

    def _build_desk(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)

        header = QHBoxLayout()
        self.title = ElidedLabel()
        self.title.setObjectName("title")
        self.day_label = QLabel()
        self.day_label.setObjectName("day")
        self.clock = QLabel()
        self.clock.setObjectName("clock")
        self.who = QLabel()
        langs, self.desk_langs = self._lang_row(page)
        self.message_button = QPushButton()
        self.message_button.clicked.connect(self.ask_message)
        self.open_day_button = QPushButton()
        self.open_day_button.clicked.connect(lambda: self.ask("open_day", self.model.open_day))
        self.close_day_button = QPushButton()
        self.close_day_button.setObjectName("danger")
        self.close_day_button.clicked.connect(lambda: self.ask("close_day", self.model.close_day))
        header.addWidget(self.title, 1)
        header.addSpacing(12)
        header.addWidget(self.day_label)
        header.addSpacing(12)
        header.addWidget(self.clock)
        header.addSpacing(12)
        header.addLayout(langs)
        header.addSpacing(12)
        header.addWidget(self.message_button)
        header.addWidget(self.open_day_button)
        header.addWidget(self.close_day_button)
        layout.addLayout(header)
        second = QHBoxLayout()
        self.message_line = QLabel()
        self.message_line.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        second.addWidget(self.message_line, 1)
        second.addWidget(self.who)
        layout.addLayout(second)

        middle = QHBoxLayout()
        middle.setSpacing(10)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_hall(), "")
        self.tabs.addTab(self._build_queues(), "")
        self.tabs.addTab(self._build_figures(), "")
        middle.addWidget(self.tabs, 1)
        middle.addWidget(self._build_alerts())
        layout.addLayout(middle, 1)
        return page

    def _build_hall(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(8, 8, 8, 8)
        legend = QHBoxLayout()
        self.legend: dict[Look, QLabel] = {}
        for look in Look:
            label = QLabel()
            label.setObjectName("legend")
            set_style_property(label, "look", look.value)
            legend.addWidget(label)
            self.legend[look] = label
        legend.addStretch(1)
        layout.addLayout(legend)
        self.breaks = QLabel()
        self.breaks.setObjectName("breaks")
        self.breaks.setWordWrap(True)
        layout.addWidget(self.breaks)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        # The tiles take the width there is (_fit_tiles); only a hall too tall scrolls.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.viewport().installEventFilter(self)
        self.hall_scroll = scroll
        self.hall = QWidget()
        self.hall_layout = QVBoxLayout(self.hall)
        self.hall_layout.setContentsMargins(0, 0, 0, 0)
        self.hall_layout.setSpacing(4)
        scroll.setWidget(self.hall)
        layout.addWidget(scroll, 1)
        self.zone_labels: dict[str, QLabel] = {}
        self._zone_grids: list[tuple[QGridLayout, list[CounterNo]]] = []
        self.tile_columns = 0
        return page

    def _build_queues(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(8, 8, 8, 8)
        self.queues_note = QLabel()
        layout.addWidget(self.queues_note)
        self.queue_table = _table(9)
        header = self.queue_table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        # The services' names give way first; on a screen too narrow even so, it scrolls.
        header.setMinimumSectionSize(40)
        self.queue_table.itemSelectionChanged.connect(self._render_waiting)
        layout.addWidget(self.queue_table, 3)
        self.waiting_title = QLabel()
        self.waiting_title.setObjectName("section")
        self.waiting_title.setWordWrap(True)
        layout.addWidget(self.waiting_title)
        self.waiting_table = _table(5)
        layout.addWidget(self.waiting_table, 2)
        actions = QHBoxLayout()
        self.cancel_button = QPushButton()
        self.cancel_button.setObjectName("danger")
        self.cancel_button.clicked.connect(self.ask_cancel)
        self.move_label = QLabel()
        self.move_to = QComboBox()
        # Long services' names are cut in the box (the list shows them whole): the row fits.
        self.move_to.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.move_to.setMinimumContentsLength(16)
        self.move_to.setMaximumWidth(520)
        self.move_button = QPushButton()
        self.move_button.clicked.connect(self.ask_move)
        actions.addWidget(self.cancel_button)
        actions.addStretch(1)
        actions.addWidget(self.move_label)
        actions.addWidget(self.move_to, 1)
        actions.addWidget(self.move_button)
        layout.addLayout(actions)
        self._queue_codes: list[str] = []
        self._waiting_ids: list[str] = []
        return page

    def _build_figures(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(8, 8, 8, 8)
        top = QHBoxLayout()
        self.figures_note = QLabel()
        self.figures_note.setWordWrap(True)
        self.figures_refresh = QPushButton()
        self.figures_refresh.clicked.connect(self.model.ask_figures)
        top.addWidget(self.figures_note, 1)
        top.addWidget(self.figures_refresh)
        layout.addLayout(top)
        self.agency_title = QLabel()
        self.agency_title.setObjectName("section")
        self.agency_table = _table(8)
        self.operator_title = QLabel()
        self.operator_title.setObjectName("section")
        self.operator_table = _table(8)
        for table in (self.agency_table, self.operator_table):
            # The names give way (cut with "…") before a figure does.
            header = table.horizontalHeader()
            header.setStretchLastSection(False)
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            header.setMinimumSectionSize(40)
        layout.addWidget(self.agency_title)
        layout.addWidget(self.agency_table, 1)
        layout.addWidget(self.operator_title)
        layout.addWidget(self.operator_table, 1)
        return page

    def _build_alerts(self) -> QWidget:
        card = _card()
        card.setFixedWidth(ALERTS_WIDTH[1])
        self.alerts_card = card
        layout = QVBoxLayout(card)
        layout.setContentsMargins(10, 10, 10, 10)
        self.alerts_title = QLabel()
        self.alerts_title.setObjectName("section")
        layout.addWidget(self.alerts_title)
        buttons = QHBoxLayout()
        self.ack_button = QPushButton()
        self.ack_button.clicked.connect(self._acknowledge_selected)
        self.ack_all_button = QPushButton()
        self.ack_all_button.clicked.connect(self.model.acknowledge_all)
        buttons.addWidget(self.ack_button)
        buttons.addWidget(self.ack_all_button)
        layout.addLayout(buttons)
        self.alert_list = QListWidget()
        self.alert_list.setObjectName("alerts")
        self.alert_list.setWordWrap(True)
        # Lines wrap again when the list's width changes: no alert is cut short.
        self.alert_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.alert_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.alert_list.itemDoubleClicked.connect(self._acknowledge_item)
        self.alert_list.itemSelectionChanged.connect(self._render_ack_button)
        layout.addWidget(self.alert_list, 1)
        return card

    def _build_tiles(self) -> None:
        """Lay the counters out once the center is known (again if it changed)."""
        model = self.model
        key = tuple((zone, tuple((a, tuple(ns)) for a, ns in agencies)) for zone, agencies in model.layout())
        if key == self._hall_key:
            return
        self._hall_key = key
        while self.hall_layout.count():
            item = self.hall_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.tiles = {}
        self.zone_labels = {}
        self._zone_grids = []
        self.tile_columns = 0
        for zone, agencies in model.layout():
            label = QLabel()
            label.setObjectName("zone")
            self.hall_layout.addWidget(label)
            self.zone_labels[zone] = label
            grid_box = QWidget()
            grid = QGridLayout(grid_box)
            grid.setContentsMargins(0, 0, 0, 0)
            grid.setHorizontalSpacing(6)
            grid.setVerticalSpacing(6)
            grid.setHorizontalSpacing(TILE_SPACING)
            grid.setVerticalSpacing(TILE_SPACING)
            grid.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            numbers = [n for _, ns in agencies for n in ns]
            for number in numbers:
                self.tiles[number] = QtTile(number, self._on_tile_clicked)
            self._zone_grids.append((grid, numbers))
            self.hall_layout.addWidget(grid_box)
        self.hall_layout.addStretch(1)
        self._fit_tiles()

    def _fit_tiles(self) -> None:
        """Size the tiles so that the whole hall is in sight: the number of columns that
        gives the largest tiles fitting the hall's width and height, none larger than
        :data:`TILE_MAX`; if even :data:`TILE_MIN` doesn't fit, the hall scrolls."""
        if not self._zone_grids:
            return
        viewport = self.hall_scroll.viewport()
        width, height = viewport.width(), self.hall_scroll.height()
        zones = len(self._zone_grids)
        label = next(iter(self.zone_labels.values())).sizeHint().height() if self.zone_labels else 0
        # Each zone: its label and its grid, with the layout's spacing after each.
        free_height = height - zones * (label + 2 * ZONE_SPACING) - 2
        counts = [len(numbers) for _, numbers in self._zone_grids]
        best: tuple[float, int, int, int] | None = None
        for columns in range(4, 25):
            rows = sum(math.ceil(n / columns) for n in counts)
            tile_w = min(TILE_MAX[0], (width - (columns - 1) * TILE_SPACING) // columns)
            tile_h = min(TILE_MAX[1], (free_height - (rows - zones) * TILE_SPACING) // rows)
            if tile_w < TILE_MIN[0] or tile_h < TILE_MIN[1]:
                continue
            # Tiles keep their shape: the scale is the smaller of width's and height's.
            scale = min(tile_w / TILE_MAX[0], tile_h / TILE_MAX[1])
            if best is None or scale > best[0] + 1e-9:
                best = (scale, columns, tile_w, tile_h)
        if best is None:  # too small a window: the smallest tiles, scrolling down
            columns = max(1, (width + TILE_SPACING) // (TILE_MIN[0] + TILE_SPACING))
            tile_w = max(TILE_MIN[0], min(TILE_MAX[0], (width - (columns - 1) * TILE_SPACING) // columns))
            tile_h = TILE_MIN[1]
        else:
            _, columns, tile_w, tile_h = best
        for tile in self.tiles.values():
            tile.fit(tile_w, tile_h)
        if columns != self.tile_columns:
            self.tile_columns = columns
            for grid, numbers in self._zone_grids:
                for number in numbers:
                    grid.removeWidget(self.tiles[number])
                for i, number in enumerate(numbers):
                    grid.addWidget(self.tiles[number], i // columns, i % columns)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() is QEvent.Type.Resize and watched is self.hall_scroll.viewport():
            self._fit_tiles()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        narrow = event.size().width() < 1600
        self.alerts_card.setFixedWidth(ALERTS_WIDTH[0] if narrow else ALERTS_WIDTH[1])
        super().resizeEvent(event)

    # --- painting ---------------------------------------------------------------------

    def refresh(self) -> None:
        self._render_state()
        self._render_counters(None)
        self._render_queues()
        self._render_waiting()
        self._render_alerts()
        self._render_figures()

    def _render_state(self) -> None:
        model = self.model
        tr = model.tr
        self.pages.setCurrentWidget(self.desk_page if model.signed_in else self.login_page)
        for buttons in (self.login_langs, self.desk_langs):
            for code, button in buttons.items():
                button.setChecked(code == model.lang)
        # The login page.
        self.login_title.setText(tr("login.title"))
        self.login_name_label.setText(tr("login.login"))
        self.login_password_label.setText(tr("login.password"))
        self.login_button.setText(tr("login.connecting") if model.signing_in else tr("login.button"))
        self.login_button.setEnabled(not model.signing_in)
        self.login_error.setText(model.login_error or "")
        # The banner no one can miss.
        if model.offline:
            since = model.offline_since.strftime("%H:%M:%S") if model.offline_since else ""
            self.banner.setText(tr("offline.banner", since=since))
            self.banner.show()
        else:
            self.banner.hide()
        # The desk's header.
        self.title.setText(tr("title", center=model.center_name()))
        self.title.setToolTip(self.title.text())
        if model.day is None:
            day_text = tr("day.none")
        else:
            day_text = tr("day.open" if model.day_open else "day.closed", day=model.day.isoformat())
        self.day_label.setText(day_text)
        set_style_property(self.day_label, "open", "true" if model.day_open else "false")
        self.who.setText(tr("signed_in", login=model.login or ""))
        self.message_button.setText(tr("button.message"))
        self.open_day_button.setText(tr("button.open_day"))
        self.close_day_button.setText(tr("button.close_day"))
        self.open_day_button.setEnabled(model.online and not model.day_open)
        self.close_day_button.setEnabled(model.online and model.day_open)
        self.message_button.setEnabled(model.online)
        message = model.message
        self.message_line.setText(
            tr("message.now", text=" · ".join(message[lang] for lang in LANGS if message.get(lang)))
            if message
            else tr("message.none")
        )
        self.tabs.setTabText(0, tr("tab.hall"))
        self.tabs.setTabText(1, tr("tab.queues"))
        self.tabs.setTabText(2, tr("tab.figures"))
        for look, label in self.legend.items():
            label.setText(tr(f"look.{look.value}"))
        self.cancel_button.setText(tr("button.cancel_ticket"))
        self.move_label.setText(tr("queues.move_to"))
        self.move_button.setText(tr("button.move"))
        self.ack_button.setText(tr("alerts.acknowledge"))
        self.ack_all_button.setText(tr("alerts.acknowledge_all"))
        self.figures_refresh.setText(tr("figures.refresh"))
        self.agency_title.setText(tr("figures.by_agency"))
        self.operator_title.setText(tr("figures.by_operator"))
        self._render_clock()

    def _render_clock(self) -> None:
        self.clock.setText(self.model.now().strftime("%H:%M:%S"))

    def _render_counters(self, numbers: set[CounterNo] | None) -> None:
        model = self.model
        if numbers is None:
            self._build_tiles()
            for zone, label in self.zone_labels.items():
                label.setText(model.zone_name(zone))
            numbers = set(self.tiles)
        for number in numbers:
            widget = self.tiles.get(number)
            if widget is None:
                continue
            tile = model.tile(number)
            widget.show_tile(
                tile, self._state_text(tile), self._who_text(tile), self._who_text(tile, short=True)
            )
            widget.show_time(minutes_text(model.seconds_since(tile.since)))
            widget.setToolTip(self._tile_tip(tile))
        self._render_breaks()

    def _state_text(self, tile: Tile) -> str:
        if tile.ticket is not None:
            return tile.ticket
        return self.model.tr(f"tile.{tile.activity.value}")

    def _who_text(self, tile: Tile, *, short: bool = False) -> str:
        end = "_short" if short else ""
        marks = []
        if tile.app_offline:
            marks.append(self.model.tr(f"tile.app_offline{end}"))
        if tile.board_offline:
            marks.append(self.model.tr(f"tile.board_offline{end}"))
        return " · ".join(marks) if marks else (tile.operator or "")

    def _tile_tip(self, tile: Tile) -> str:
        model = self.model
        names = ", ".join(tile.services)
        return model.tr(
            "tile.tip",
            counter=tile.number,
            agency=model.agency_name(tile.agency),
            operator=tile.operator or "–",
            services=names,
        )

    def _render_times(self) -> None:
        model = self.model
        for widget in self.tiles.values():
            if widget.tile is not None:
                widget.show_time(minutes_text(model.seconds_since(widget.tile.since)))
        self._render_breaks()

    def _render_breaks(self) -> None:
        model = self.model
        breaks = model.breaks()
        if not breaks:
            self.breaks.setText(model.tr("breaks.none"))
            return
        parts = [
            model.tr(
                "breaks.one",
                counter=b.counter,
                operator=b.operator or "–",
                time=minutes_text(model.seconds_since(b.since)),
            )
            for b in breaks
        ]
        self.breaks.setText(model.tr("breaks.title", list=" · ".join(parts)))

    def _render_queues(self) -> None:
        model = self.model
        tr = model.tr
        self.queues_note.setText(tr("queues.note", standard=f"{model.standard_min:g}"))
        _headers(
            self.queue_table,
            [
                tr("queues.service"),
                tr("queues.name"),
                tr("queues.agency"),
                tr("queues.waiting"),
                tr("queues.booked"),
                tr("queues.oldest"),
                tr("queues.counters"),
                tr("queues.promise"),
                tr("queues.forecast"),
                tr("queues.stranded"),
            ],
        )
        rows = model.queue_rows()
        selected = self._selected_service()
        self._queue_codes = [r.service for r in rows]
        texts: list[list[str]] = []
        colours: list[QColor | None] = []
        for r in rows:
            forecast = ""
            if r.breach_in_min == 0:
                forecast = tr("queues.over")
            elif r.breach_in_min is not None:
                forecast = tr("queues.breach_in", minutes=r.breach_in_min)
            texts.append(
                [
                    r.service,
                    model.service_name(r.service),
                    r.agency,
                    str(r.waiting),
                    str(r.booked) if r.booked else "",
                    f"{r.oldest_wait_min:.0f}" if r.waiting else "–",
                    tr("queues.counters_value", open=r.open, paused=r.paused, total=r.total),
                    wait_words(r.wait, model.lang, short=True)
                    if r.wait is not None
                    else tr("queues.no_tickets"),
                    forecast,
                    str(r.stranded) if r.stranded else "",
                ]
            )
            colours.append(
                QColor("#fde7e5")
                if r.stranded or r.over
                else QColor("#fff1d6")
                if r.breach_in_min is not None
                else None
            )
        _fill(self.queue_table, texts, colours)
        if selected in self._queue_codes:
            row = self._queue_codes.index(selected)
            if self.queue_table.currentRow() != row:
                self.queue_table.selectRow(row)

    def _selected_service(self) -> str | None:
        row = self.queue_table.currentRow()
        return self._queue_codes[row] if 0 <= row < len(self._queue_codes) else None

    def select_service(self, service: str) -> None:
        """Select the queue of ``service`` (its waiting tickets show below)."""
        if service in self._queue_codes:
            self.queue_table.selectRow(self._queue_codes.index(service))
        self._render_waiting()

    def _render_waiting(self) -> None:
        model = self.model
        tr = model.tr
        service = self._selected_service()
        _headers(
            self.waiting_table,
            [
                tr("waiting.number"),
                tr("waiting.waited"),
                tr("waiting.priority"),
                tr("waiting.for"),
                tr("waiting.service"),
            ],
        )
        tickets = model.waiting_tickets(service) if service is not None else []
        selected = self._selected_ticket()
        self._waiting_ids = [t.id for t in tickets]
        self.waiting_title.setText(
            tr("waiting.title", service=service, name=model.service_name(service))
            if service is not None
            else tr("waiting.choose")
        )
        rows = [
            [
                t.number,
                minutes_text(model.seconds_since(t.issued_at)),
                model.marks_text(t),
                tr("waiting.counter", counter=t.target_counter) if t.target_counter is not None else "",
                t.service,
            ]
            for t in tickets
        ]
        _fill(self.waiting_table, rows)
        if selected in self._waiting_ids:
            self.waiting_table.selectRow(self._waiting_ids.index(selected))
        # Where a ticket may be moved: any service but its own.
        codes = [s.code for s in model.center.services] if model.center is not None else []
        wanted = [c for c in codes if c != service]
        current = [self.move_to.itemData(i) for i in range(self.move_to.count())]
        if current != wanted or model.lang != getattr(self, "_move_lang", None):
            self._move_lang = model.lang
            keep = self.move_to.currentData()
            self.move_to.clear()
            for code in wanted:
                self.move_to.addItem(f"{code}  {model.service_name(code)}", code)
            if keep in wanted:
                self.move_to.setCurrentIndex(wanted.index(keep))
        can = model.online and bool(tickets)
        self.cancel_button.setEnabled(can)
        self.move_button.setEnabled(can)

    def _selected_ticket(self) -> str | None:
        row = self.waiting_table.currentRow()
        return self._waiting_ids[row] if 0 <= row < len(self._waiting_ids) else None

    def select_ticket(self, ticket: str) -> None:
        if ticket in self._waiting_ids:
            self.waiting_table.selectRow(self._waiting_ids.index(ticket))

    def _render_alerts(self) -> None:
        model = self.model
        tr = model.tr
        new = model.unacknowledged
        self.alerts_title.setText(tr("alerts.title", new=new) if new else tr("alerts.title_none"))
        ids = [alert.id for alert in model.alerts]
        listed = self.alert_list
        if [listed.item(i).data(Qt.ItemDataRole.UserRole) for i in range(listed.count())] != ids:
            # New alerts came: list them again (the selection stays on its alert).
            keep = self._selected_alert()
            listed.clear()
            for alert in model.alerts:
                item = QListWidgetItem()
                item.setData(Qt.ItemDataRole.UserRole, alert.id)
                listed.addItem(item)
                item.setSelected(alert.id == keep)
        # Otherwise only their words and looks change, in place: the list doesn't jump.
        reworded = False
        for i, alert in enumerate(model.alerts):
            item = listed.item(i)
            font = item.font()
            if font.bold() != (not alert.acknowledged):
                font.setBold(not alert.acknowledged)
                item.setFont(font)
                reworded = True
            text = self._alert_line(alert)
            if item.text() != text:
                item.setText(text)
                reworded = True
            if not alert.acknowledged:
                item.setBackground(QColor("#fde7e5" if alert.active else "#fff1d6"))
                item.setForeground(QColor("#1d2733"))
            else:
                item.setBackground(QColor("white"))
                item.setForeground(QColor("#1d2733" if alert.active else "#7a8594"))
        if reworded:
            listed.doItemsLayout()  # a line may need another row now (or bold): none is cut short
        self.ack_all_button.setEnabled(new > 0)
        self._render_ack_button()

    def _alert_line(self, alert: Alert) -> str:
        model = self.model
        at = alert.at.astimezone(model.now().tzinfo).strftime("%H:%M")
        state = []
        if not alert.active:
            state.append(model.tr("alerts.over"))
        if alert.acknowledged_at is not None:
            ack = alert.acknowledged_at.astimezone(model.now().tzinfo).strftime("%H:%M")
            state.append(model.tr("alerts.acknowledged", time=ack))
        tail = f"  [{', '.join(state)}]" if state else ""
        return f"{at}  {model.alert_text(alert)}{tail}"

    def _selected_alert(self) -> int | None:
        items = self.alert_list.selectedItems()
        return int(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def _render_ack_button(self) -> None:
        chosen = self._selected_alert()
        alert = next((a for a in self.model.alerts if a.id == chosen), None)
        self.ack_button.setEnabled(alert is not None and not alert.acknowledged)

    def _render_figures(self) -> None:
        model = self.model
        tr = model.tr
        headers = [
            tr("figures.served"),
            tr("figures.no_shows"),
            tr("figures.waited"),
            tr("figures.wait_mean"),
            tr("figures.wait_p90"),
            tr("figures.within", standard=f"{model.standard_min:g}"),
            tr("figures.service_mean"),
        ]
        _headers(self.agency_table, [tr("figures.agency"), *headers])
        _headers(self.operator_table, [tr("figures.operator"), *headers])
        figures = model.figures
        if figures is None:
            self.figures_note.setText(tr("figures.none"))
        else:
            self.figures_note.setText(
                tr(
                    "figures.note",
                    day=figures.day.isoformat() if figures.day else "–",
                    time=self._figures_time(),
                )
            )
        for level, table in (("agency", self.agency_table), ("operator", self.operator_table)):
            rows = []
            for i, row in enumerate(model.figure_rows(level)):
                if i == 0:
                    name = tr("figures.center")
                elif level == "agency":
                    name = f"{row.key}  {model.agency_name(row.key)}"
                else:
                    name = row.key or tr("figures.nobody")
                rows.append(
                    [
                        name,
                        str(row.served),
                        str(row.no_shows),
                        str(row.waited),
                        _min(row.wait_mean),
                        _min(row.wait_p90),
                        _pct(row.within_share),
                        _min(row.service_mean),
                    ]
                )
            _fill(table, rows)

    def _figures_time(self) -> str:
        return self.model.now().strftime("%H:%M")

    def _tick(self) -> None:
        self._render_clock()
        self._render_times()
        self._render_waiting_times()
        self.model.tick()

    def _render_waiting_times(self) -> None:
        model = self.model
        for row, tid in enumerate(self._waiting_ids):
            ticket = model.tickets.get(tid)
            item = self.waiting_table.item(row, 1)
            if ticket is not None and item is not None and ticket.state is TicketState.WAITING:
                item.setText(minutes_text(model.seconds_since(ticket.issued_at)))

    # --- the answers and the sound ----------------------------------------------------

    def _show_toast(self, text: str, kind: str) -> None:
        set_style_property(self.toast, "kind", kind)
        self.toast.setText(text)
        self.toast.show()
        self._toast_timer.start(TOAST_MS)

    def _on_alert_raised(self, alert: Alert) -> None:
        self.chime.play()

    # --- the supervisor's actions -----------------------------------------------------

    def _open(self, dialog: QDialog) -> None:
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = dialog
        dialog.finished.connect(lambda _: self._closed(dialog))
        dialog.open()

    def _closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def ask(self, action: str, then: Callable[[], object], **values: object) -> None:
        """Confirm ``action`` ("Close counter 12?"), then do it."""
        model = self.model
        self._open(
            ConfirmDialog(
                self,
                model.confirm_text(action, **values),
                model.tr("button.confirm"),
                model.tr("button.back"),
                lambda: then(),
            )
        )

    def _on_tile_clicked(self, number: CounterNo, where: QPoint) -> None:
        self.counter_menu(number).popup(where)

    def counter_menu(self, number: CounterNo) -> QMenu:
        """The actions on one counter, enabled as its state allows."""
        model = self.model
        tile = model.tile(number)
        menu = QMenu(self)
        menu.setStyleSheet(DIALOG_STYLE)
        head = menu.addAction(model.tr("menu.counter", counter=number, agency=model.agency_name(tile.agency)))
        head.setEnabled(False)
        menu.addSeparator()
        online = model.online and model.day_open
        busy = tile.ticket is not None
        entries = [
            ("open_counter", model.open_counter, tile.state is not CounterState.OPEN),
            ("pause_counter", model.pause_counter, tile.state is CounterState.OPEN and not busy),
            ("resume_counter", model.resume_counter, tile.state is CounterState.PAUSED),
            ("close_counter", model.close_counter, tile.state is not CounterState.CLOSED and not busy),
        ]
        for action, do, allowed in entries:
            entry = menu.addAction(model.tr(f"button.{action}"))
            entry.setEnabled(online and allowed)
            entry.triggered.connect(
                lambda _=False, a=action, d=do: self.ask(a, lambda: d(number), counter=number)
            )
        services = menu.addAction(model.tr("button.services"))
        services.setEnabled(online)
        services.triggered.connect(lambda _=False: self.ask_services(number))
        self.menu = menu
        return menu

    def ask_services(self, number: CounterNo) -> None:
        dialog = ServicesDialog(self, number)

        def chosen() -> None:
            codes = dialog.chosen()
            self.ask(
                "set_counter_services",
                lambda: self.model.set_counter_services(number, codes),
                counter=number,
                services=", ".join(codes),
            )

        dialog.accepted.connect(chosen)
        self._open(dialog)

    def ask_message(self) -> None:
        dialog = MessageDialog(self)

        def chosen() -> None:
            text = dialog.text()
            shown = " · ".join(v for v in text.values() if v.strip())
            if shown:
                self.ask("set_message", lambda: self.model.set_message(text), text=shown)
            else:
                self.ask("clear_message", lambda: self.model.set_message(None))

        dialog.accepted.connect(chosen)
        self._open(dialog)

    def ask_cancel(self) -> None:
        ticket = self._selected_ticket() or (self._waiting_ids[0] if self._waiting_ids else None)
        if ticket is None:
            return
        number = self.model.tickets[ticket].number
        self.ask("cancel_ticket", lambda: self.model.cancel_ticket(ticket), ticket=number)

    def ask_move(self) -> None:
        ticket = self._selected_ticket() or (self._waiting_ids[0] if self._waiting_ids else None)
        service = self.move_to.currentData()
        if ticket is None or not service:
            return
        number = self.model.tickets[ticket].number
        self.ask(
            "move_ticket",
            lambda: self.model.move_ticket(ticket, service),
            ticket=number,
            service=f"{service} {self.model.service_name(service)}",
        )

    def _sign_in(self) -> None:
        self.model.sign_in(self.login_name.text(), self.login_password.text())

    def _acknowledge_selected(self) -> None:
        chosen = self._selected_alert()
        if chosen is not None:
            self.model.acknowledge(chosen)

    def _acknowledge_item(self, item: QListWidgetItem) -> None:
        self.model.acknowledge(int(item.data(Qt.ItemDataRole.UserRole)))

    def closeEvent(self, event: QCloseEvent) -> None:
        self._clock.stop()
        super().closeEvent(event)


__all__ = ["AlertKind", "QtSupervisorWindow"]

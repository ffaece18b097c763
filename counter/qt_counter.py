"""Qt view for the CounterViewModel: the operator's window.

Two pages: the login form and the working screen. Every widget is repainted from the
view-model in :meth:`QtCounterWindow.refresh`; clicks and keys call view-model methods and
nothing else. Dialogs (confirmations, transfer, parked tickets) open without blocking
(``QDialog.open``): the hall client runs in its own thread, and a dialog left open must
not hold up messages from the server.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QFont,
    QFontMetricsF,
    QKeyEvent,
    QKeySequence,
    QResizeEvent,
    QShortcut,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
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
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shell.qt_style import set_style_property
from wire.client import ConnState
from wire.types import CounterState, Priority

from . import FONT_FAMILY
from .viewmodel import Action, CounterViewModel, format_duration

LANG_NAMES = {"az": "Azərbaycanca", "ru": "Русский", "en": "English"}
"""Each language in itself, so an operator finds their own whatever is selected."""

NUMBER_PX = 120
"""The ticket number's size at the counter; smaller only when the number doesn't fit."""

_STYLE = """
QWidget { font-family: "DejaVu Sans"; font-size: {15}px; color: #1d2733; }
QWidget#root { background: #eef1f5; }
QFrame#card { background: white; border: 1px solid #d5dbe3; border-radius: 10px; }
QLabel#banner { background: #b3261e; color: white; font-size: {20}px; font-weight: bold; padding: 10px; }
QLabel#message[kind="error"] { background: #fff1f0; color: #6b0f0a; border: 2px solid #b3261e;
    border-left: 10px solid #b3261e; border-radius: 6px; padding: 10px 14px; font-size: {20}px;
    font-weight: bold; }
QLabel#message[kind="notice"] { background: #e3f0ff; color: #0b3d91; border: 1px solid #b6d3fb;
    border-left: 10px solid #0b5cd5; border-radius: 6px; padding: 10px 14px; font-size: {19}px; }
QLabel#number { font-size: {NUMBER}px; font-weight: bold; color: #0b3d91; }
QLabel#number[idle="true"] { color: #a7b1bd; }
QLabel#service { font-size: {22}px; }
QLabel#ticketState { font-size: {20}px; font-weight: bold; }
QLabel#timer { font-size: {21}px; }
QLabel#priority { background: #ffb020; color: #3d2600; font-size: {21}px; font-weight: bold;
    border-radius: 8px; padding: 6px 14px; }
QLabel#booked { background: #5b2a86; color: white; font-size: {21}px; font-weight: bold;
    border-radius: 8px; padding: 6px 14px; }
QLabel#citizenLang { background: #e3f0ff; color: #0b3d91; font-size: {19}px; font-weight: bold;
    border: 2px solid #0b5cd5; border-radius: 8px; padding: 4px 12px; }
QLabel#header { font-size: {20}px; font-weight: bold; }
QLabel#counterState { font-size: {18}px; font-weight: bold; padding: 4px 12px; border-radius: 6px;
    background: #dff3e4; color: #1e6b34; }
QLabel#counterState[state="paused"] { background: #fff1d6; color: #8a5a00; }
QLabel#counterState[state="closed"] { background: #e4e7eb; color: #4a5562; }
QLabel#board { color: #8c1d18; font-weight: bold; }
QLabel#figures { font-size: {16}px; color: #4a5562; }
QLabel#section { font-size: {17}px; font-weight: bold; color: #4a5562; }
QPushButton { font-size: {17}px; padding: 6px; border-radius: 8px; border: 1px solid #b8c2cf;
    background: #f8fafc; min-height: {58}px; }
QPushButton:disabled { color: #a7b1bd; background: #eceff3; border-color: #d5dbe3; }
QPushButton#primary:enabled { background: #0b5cd5; color: white; border-color: #0b5cd5; font-weight: bold; }
QPushButton#danger:enabled { color: #8c1d18; border-color: #e0a39e; }
QPushButton#lang { min-height: 40px; font-size: {16}px; }
QPushButton#lang:checked { background: #0b5cd5; color: white; border-color: #0b5cd5; }
QPushButton#small { min-height: {34}px; padding: 4px 14px; }
QLineEdit { font-size: {20}px; padding: 6px; border: 1px solid #b8c2cf; border-radius: 6px;
    background: white; }
QLabel#loginTitle { font-size: {26}px; font-weight: bold; }
QLabel#loginCounter { font-size: {40}px; font-weight: bold; color: #0b3d91; }
QLabel#loginError { color: #8c1d18; font-size: {17}px; }
QTableWidget { font-size: {16}px; background: white; border: none; }
QTableWidget::item:selected { background: #cfe0fb; color: #1d2733; }
QHeaderView::section { font-size: {14}px; font-weight: bold; background: #f1f4f8; border: none;
    padding: 6px; }
"""

NUMBER_PX = 120
"""The ticket number's size at the counter at the reference size (1280x800); it grows and
shrinks with the window, and is smaller only when a long number doesn't fit."""

REFERENCE_SIZE = (1280, 800)
"""The window size the style's sizes are written for."""


def scale_of(width: int, height: int) -> float:
    """How much larger than at :data:`REFERENCE_SIZE` the text is drawn in a window of this size:
    0.8 at 1024x768, 1.35 at 1920x1080, in steps of 0.05 (the style is rebuilt only per step)."""
    ratio = min(width / REFERENCE_SIZE[0], height / REFERENCE_SIZE[1])
    return round(max(0.8, min(1.6, ratio)) * 20) / 20


def style(scale: float = 1.0) -> str:
    """The window's style sheet with every size multiplied by ``scale``."""
    sizes = {"NUMBER": NUMBER_PX}
    return re.sub(r"\{(\w+)\}", lambda m: str(round(int(sizes.get(m[1], m[1])) * scale)), _STYLE)


STYLE = style()

PRIORITY_ROW = "#ffe7b8"
"""The background of a waiting citizen with a priority right (the ticket card's badge, paler)."""


DEFAULT_BUTTON = "QPushButton:default { border: 3px solid #0b5cd5; font-weight: bold; }"
"""The button Enter presses, marked: the operator sees what Enter will do."""

DIALOG_STYLE = (
    STYLE
    + "QDialog { background: white; } QPushButton { min-height: 30px; min-width: 140px; font-size: 16px; }"
    + DEFAULT_BUTTON
)


@dataclass(frozen=True)
class ButtonSpec:
    name: str
    key: str
    action: Action | None
    """The view-model action that decides whether the button is enabled."""
    style: str = ""


BUTTONS: tuple[ButtonSpec, ...] = (
    ButtonSpec("call", "F1", Action.CALL_NEXT, "primary"),
    ButtonSpec("recall", "F2", Action.RECALL),
    ButtonSpec("start", "F3", Action.START, "primary"),
    ButtonSpec("finish", "F4", Action.FINISH, "primary"),
    ButtonSpec("no_show", "F5", Action.NO_SHOW, "danger"),
    ButtonSpec("transfer", "F6", Action.TRANSFER),
    ButtonSpec("park", "F7", Action.PARK),
    ButtonSpec("parked", "F8", Action.CALL_TICKET),
    ButtonSpec("pause", "F9", None),
    ButtonSpec("close", "Ctrl+Q", Action.LOGOUT, "danger"),
)


def _make_rows(
    table: QTableWidget, count: int, columns: int, centered: tuple[int, ...]
) -> list[list[QTableWidgetItem]]:
    """Give ``table`` ``count`` rows of fresh items, ``centered`` columns centered, and return them.

    The items are kept by the caller rather than asked back with ``QTableWidget.item()``,
    which returns None for an empty cell without a reference (see shell.qt_style.set_style_property).
    """
    table.setRowCount(count)
    rows = []
    with _batch(table):
        for row in range(count):
            items = [QTableWidgetItem() for _ in range(columns)]
            for column, item in enumerate(items):
                if column in centered:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                table.setItem(row, column, item)
            rows.append(items)
    return rows


@contextlib.contextmanager
def _batch(table: QTableWidget) -> Iterator[None]:
    """Change many cells of ``table`` and tell its view once, at the end.

    Each cell changed alone makes the view measure its columns again (they are as wide as
    their contents), all rows of them: with the 200 citizens of a full waiting list, moving the
    list by one took about a second of CPU (docs/benchmarks.md, "Counter"). Rows are added or
    removed before, with the view told (``setRowCount``).
    """
    model = table.model()
    blocked = model.blockSignals(True)
    try:
        yield
    finally:
        model.blockSignals(blocked)
        rows, columns = table.rowCount(), table.columnCount()
        if rows and columns:
            model.dataChanged.emit(model.index(0, 0), model.index(rows - 1, columns - 1), [])


def _fill(items: list[QTableWidgetItem], values: tuple[str, ...]) -> None:
    for item, value in zip(items, values, strict=True):
        if item.text() != value:
            item.setText(value)


def _card() -> QFrame:
    frame = QFrame()
    frame.setObjectName("card")
    return frame


def _section(card: QFrame) -> tuple[QVBoxLayout, QLabel]:
    """The layout of a side card and its heading."""
    box = QVBoxLayout(card)
    box.setContentsMargins(12, 10, 12, 10)
    title = QLabel()
    title.setObjectName("section")
    box.addWidget(title)
    return box, title


def _table(columns: int, stretch: int) -> QTableWidget:
    """A read-only table whose long texts wrap instead of ending in "…": operators read them.
    Column ``stretch`` takes the room the others, as wide as their contents, leave."""
    table = QTableWidget(0, columns)
    head = table.horizontalHeader()
    for column in range(columns):
        mode = (
            QHeaderView.ResizeMode.Stretch if column == stretch else QHeaderView.ResizeMode.ResizeToContents
        )
        head.setSectionResizeMode(column, mode)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.setShowGrid(False)
    table.setWordWrap(True)
    table.setTextElideMode(Qt.TextElideMode.ElideNone)
    return table


class QtCounterWindow(QWidget):
    """Qt view for the CounterViewModel."""

    def __init__(self, model: CounterViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.setObjectName("root")
        self.setStyleSheet(STYLE)
        self.setFont(QFont(FONT_FAMILY, 11))
        self.confirm_box: QMessageBox | None = None
        self.transfer_dialog: TransferDialog | None = None
        self.parked_dialog: ParkedDialog | None = None
        self.outcome_dialog: OutcomeDialog | None = None
        self._scale = 1.0

        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.pages = QStackedWidget()
        self.login_page = self._build_login()
        self.main_page = self._build_main()
        self.pages.addWidget(self.login_page)
        self.pages.addWidget(self.main_page)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        body = QVBoxLayout()
        body.setContentsMargins(16, 12, 16, 16)
        body.addWidget(self.message)
        body.addWidget(self.pages, 1)
        layout.addLayout(body, 1)

        self.shortcuts: dict[str, QShortcut] = {}
        for spec in BUTTONS:
            shortcut = QShortcut(QKeySequence(spec.key), self)
            shortcut.activated.connect(self._handler(spec.name))
            self.shortcuts[spec.name] = shortcut

        # Rows grow when a narrower column wraps a service name onto more lines, and shrink
        # back when it widens: measured once the layout has settled (the new style's fonts,
        # the columns' new widths), once for a burst of changes.
        self._fit_soon = QTimer(self)
        self._fit_soon.setSingleShot(True)
        self._fit_soon.setInterval(0)
        self._fit_soon.timeout.connect(self._fit_tables)
        for table in (self.queue_table, self.waiting_table):
            table.horizontalHeader().sectionResized.connect(lambda *_: self._fit_soon.start())

        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._render_times)
        self._clock.start()
        model.changed.connect(self.refresh)
        # The window's own minimum: else the layout's, computed with the text sizes of the
        # current scale, would stop a window drawn large from shrinking to a smaller screen
        # (the text shrinks once it has).
        self.setMinimumSize(960, 640)
        self.resize(1280, 800)
        self.refresh()

    # --- building -------------------------------------------------------------------------

    def _build_login(self) -> QWidget:
        page = QWidget()
        outer = QVBoxLayout(page)
        outer.addStretch(1)
        card = _card()
        card.setMaximumWidth(560)
        card.setMinimumWidth(480)
        form = QVBoxLayout(card)
        form.setContentsMargins(32, 28, 32, 28)
        form.setSpacing(12)
        self.login_title = QLabel()
        self.login_title.setObjectName("loginTitle")
        self.login_title.setWordWrap(True)
        self.login_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.login_counter = QLabel()
        self.login_counter.setObjectName("loginCounter")
        self.login_counter.setAlignment(Qt.AlignmentFlag.AlignCenter)
        form.addWidget(self.login_title)
        form.addWidget(self.login_counter)
        langs = QHBoxLayout()
        self.lang_buttons: dict[str, QPushButton] = {}
        group = QButtonGroup(page)
        for code, name in LANG_NAMES.items():
            button = QPushButton(name)
            button.setObjectName("lang")
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _=False, c=code: self.model.set_lang(c))
            group.addButton(button)
            langs.addWidget(button)
            self.lang_buttons[code] = button
        form.addLayout(langs)
        self.login_name_label = QLabel()
        self.login_name = QLineEdit()
        self.login_password_label = QLabel()
        self.login_password = QLineEdit()
        self.login_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.login_name.returnPressed.connect(self.login_password.setFocus)
        self.login_password.returnPressed.connect(self._login)
        self.login_button = QPushButton()
        self.login_button.setObjectName("primary")
        self.login_button.clicked.connect(self._login)
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

    def _build_main(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)

        header = QHBoxLayout()
        self.header = QLabel()
        self.header.setObjectName("header")
        self.figures = QLabel()
        self.figures.setObjectName("figures")
        # The figures give way (wrapping) to the header and the marks on a narrow screen.
        self.figures.setWordWrap(True)
        self.figures.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.board_mark = QLabel()
        self.board_mark.setObjectName("board")
        self.scanner_mark = QLabel()
        self.scanner_mark.setObjectName("board")
        self.counter_state = QLabel()
        self.counter_state.setObjectName("counterState")
        header.addWidget(self.header)
        header.addSpacing(16)
        header.addWidget(self.figures, 1)
        header.addWidget(self.board_mark)
        header.addWidget(self.scanner_mark)
        header.addSpacing(12)
        header.addWidget(self.counter_state)
        layout.addLayout(header)

        middle = QHBoxLayout()
        middle.setSpacing(12)
        middle.addWidget(self._build_ticket_card(), 5)
        side = QVBoxLayout()
        side.setSpacing(10)
        side.addWidget(self._build_waiting_card(), 1)
        side.addWidget(self._build_queues_card())
        middle.addLayout(side, 4)
        layout.addLayout(middle, 1)

        grid = QGridLayout()
        grid.setSpacing(8)
        self.buttons: dict[str, QPushButton] = {}
        for index, spec in enumerate(BUTTONS):
            button = QPushButton()
            button.setObjectName(spec.style)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.clicked.connect(self._handler(spec.name))
            grid.addWidget(button, index // 5, index % 5)
            self.buttons[spec.name] = button
        layout.addLayout(grid)
        return page

    def _build_ticket_card(self) -> QFrame:
        ticket = _card()
        ticket_layout = QVBoxLayout(ticket)
        ticket_layout.setContentsMargins(24, 16, 24, 16)
        ticket_layout.setSpacing(8)
        self.ticket_state = QLabel()
        self.ticket_state.setObjectName("ticketState")
        self.ticket_state.setWordWrap(True)
        self.number = QLabel()
        self.number.setObjectName("number")
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # The card's width decides the number's size, not the other way round: a long
        # number (ABC10000) is drawn smaller instead of widening the window.
        self.number.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._number_px = NUMBER_PX
        # The citizen's priority right and language: what the operator must check and speak.
        self.priority = QLabel()
        self.priority.setObjectName("priority")
        self.citizen_lang = QLabel()
        self.citizen_lang.setObjectName("citizenLang")
        # A booked citizen's slot: checked in at the kiosk for this time.
        self.booked = QLabel()
        self.booked.setObjectName("booked")
        marks = QVBoxLayout()
        marks.setSpacing(8)
        marks.addWidget(self.booked, 0, Qt.AlignmentFlag.AlignHCenter)
        marks.addWidget(self.priority, 0, Qt.AlignmentFlag.AlignHCenter)
        marks.addWidget(self.citizen_lang, 0, Qt.AlignmentFlag.AlignHCenter)
        self.service = QLabel()
        self.service.setObjectName("service")
        self.service.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.service.setWordWrap(True)
        # One timer per line: side by side they ran together in a narrow card.
        self.waited = QLabel()
        self.waited.setObjectName("timer")
        self.serving = QLabel()
        self.serving.setObjectName("timer")
        ticket_layout.addWidget(self.ticket_state)
        ticket_layout.addStretch(1)
        ticket_layout.addWidget(self.number)
        ticket_layout.addLayout(marks)
        ticket_layout.addWidget(self.service)
        ticket_layout.addStretch(1)
        ticket_layout.addWidget(self.waited)
        ticket_layout.addWidget(self.serving)
        return ticket

    def _build_waiting_card(self) -> QFrame:
        card = _card()
        box, self.waiting_title = _section(card)
        # A keyboard-wedge scanner types the QR code here, followed by Enter; an operator
        # types a number ("A7"). The field keeps the focus on the working screen.
        self.code = QLineEdit()
        self.code.returnPressed.connect(self._call_code)
        self.code_button = QPushButton()
        self.code_button.setObjectName("small")
        self.code_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.code_button.clicked.connect(self._call_code)
        row = QHBoxLayout()
        row.addWidget(self.code, 1)
        row.addWidget(self.code_button)
        self.waiting_table = _table(4, stretch=1)
        self.waiting_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.waiting_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.waiting_table.itemDoubleClicked.connect(lambda _item: self._call_selected())
        self._waiting_items: list[list[QTableWidgetItem]] = []
        self._waiting_ids: list[str] = []
        self.waiting_more = QLabel()
        box.addLayout(row)
        box.addWidget(self.waiting_table, 1)
        box.addWidget(self.waiting_more)
        return card

    def _build_queues_card(self) -> QFrame:
        queues = _card()
        box, self.queues_title = _section(queues)
        self.queue_table = _table(3, stretch=0)
        self._queue_items: list[list[QTableWidgetItem]] = []
        box.addWidget(self.queue_table)
        return queues

    # --- painting -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Repaint everything from the view-model."""
        vm = self.model
        self.setWindowTitle(vm.tr("window.title", counter=vm.counter))
        self._render_banner()
        self._render_message()
        if vm.logged_in:
            if self.pages.currentWidget() is not self.main_page:
                self.pages.setCurrentWidget(self.main_page)
                self.code.setFocus()
            self._render_main()
        else:
            self.pages.setCurrentWidget(self.login_page)
            self._render_login()
        for spec in BUTTONS:
            self.shortcuts[spec.name].setEnabled(vm.logged_in)

    def _render_banner(self) -> None:
        vm = self.model
        if vm.online:
            self.banner.hide()
            return
        if vm.connection is ConnState.REFUSED:
            text = vm.tr("banner.refused")
        elif vm.ever_online:
            text = vm.tr("banner.offline")
        else:
            text = vm.tr("banner.connecting")
        self.banner.setText(text)
        self.banner.show()

    def _render_message(self) -> None:
        vm = self.model
        if vm.error is not None and vm.error.action is not Action.LOGIN:
            self.message.setText(vm.error.message)
            set_style_property(self.message, "kind", "error")
            self.message.show()
        elif vm.notice is not None:
            self.message.setText(vm.tr(vm.notice.key, **vm.notice.values))
            set_style_property(self.message, "kind", "notice")
            self.message.show()
        else:
            self.message.hide()

    def _render_login(self) -> None:
        vm = self.model
        self.login_title.setText(vm.center_name() or vm.tr("login.title"))
        self.login_counter.setText(vm.tr("login.counter", counter=vm.counter))
        for code, button in self.lang_buttons.items():
            button.setChecked(code == vm.lang)
        self.login_name_label.setText(vm.tr("login.name"))
        self.login_password_label.setText(vm.tr("login.password"))
        busy = vm.pending is Action.LOGIN
        self.login_button.setText(vm.tr("login.busy" if busy else "login.button"))
        self.login_button.setEnabled(vm.can(Action.LOGIN))
        error = vm.error if vm.error is not None and vm.error.action is Action.LOGIN else None
        self.login_error.setText(error.message if error else "")

    def _render_main(self) -> None:
        vm = self.model
        operator = vm.operator_name or vm.operator_login or ""
        self.header.setText(vm.tr("main.header", counter=vm.counter, operator=operator))
        self.counter_state.setText(vm.tr(f"counter.{vm.state}"))
        set_style_property(self.counter_state, "state", vm.state.value)
        self.board_mark.setText("" if vm.board_status == "ok" else vm.tr("board.offline"))
        self.scanner_mark.setText("" if vm.scanner_status == "ok" else vm.tr("scanner.offline"))
        t = vm.current
        if t is None:
            self.number.setText("—")
            set_style_property(self.number, "idle", "true")
            if vm.state is CounterState.PAUSED:
                self.ticket_state.setText(vm.tr("ticket.paused"))
            else:
                self.ticket_state.setText(vm.tr("ticket.none"))
            self.service.setText(vm.tr("ticket.waiting_total", count=vm.waiting_total))
            self.priority.hide()
            self.citizen_lang.hide()
            self.booked.hide()
        else:
            self.number.setText(t.number)
            set_style_property(self.number, "idle", "false")
            self.ticket_state.setText(vm.tr(f"ticket.{t.state}"))
            self.service.setText(vm.service_name(t.service))
            right = vm.priority_name(t.priority)
            self.priority.setText(vm.tr("ticket.priority", right=right) if right else "")
            self.priority.setVisible(bool(right))
            booked = vm.booked_words(t)
            self.booked.setText(booked)
            self.booked.setVisible(bool(booked))
            lang = vm.lang_name(t.lang)
            self.citizen_lang.setText(vm.tr("ticket.lang", lang=lang) if lang else "")
            self.citizen_lang.setVisible(bool(lang))
        self._fit_number()
        self._render_waiting()  # the list's rows first: _render_times fills their waits
        self._render_times()
        self.queues_title.setText(vm.tr("queues.title"))
        self.queue_table.setHorizontalHeaderLabels(
            [vm.tr("queues.service"), vm.tr("queues.waiting"), vm.tr("queues.oldest")]
        )
        if len(self._queue_items) != len(vm.queues):
            self._queue_items = _make_rows(self.queue_table, len(vm.queues), 3, (1, 2))
        renamed = False
        for items, q in zip(self._queue_items, vm.queues, strict=True):
            values = (q.name, str(q.waiting), format_duration(q.oldest_wait_min * 60) if q.waiting else "–")
            renamed |= items[0].text() != q.name
            _fill(items, values)
        if renamed:
            self._fit_queues()
        f = vm.figures
        self.figures.setText(
            vm.tr(
                "today.figures",
                served=f.served,
                average=format_duration(f.average_service_seconds),
                no_shows=f.no_shows,
            )
        )
        for spec in BUTTONS:
            button = self.buttons[spec.name]
            if spec.name == "pause":
                paused = vm.state is CounterState.PAUSED
                label = vm.tr("button.resume" if paused else "button.pause")
                enabled = vm.can(Action.RESUME if paused else Action.PAUSE)
            elif spec.name == "parked":
                label = vm.tr("button.parked", count=len(vm.parked))
                enabled = vm.can_call_parked()
            else:
                label = vm.tr(f"button.{spec.name}")
                enabled = spec.action is not None and vm.can(spec.action)
            button.setText(f"{label}\n{spec.key}")
            button.setEnabled(enabled)

    def _render_waiting(self) -> None:
        vm = self.model
        self.waiting_title.setText(vm.tr("waiting.title", count=len(vm.waiting) + vm.waiting_more))
        self.code.setPlaceholderText(vm.tr("waiting.code"))
        self.code_button.setText(vm.tr("waiting.call"))
        can_call = vm.can(Action.CALL_TICKET)
        self.code_button.setEnabled(can_call)
        self.waiting_table.setHorizontalHeaderLabels(
            [vm.tr("waiting.number"), vm.tr("queues.service"), vm.tr("waiting.since"), vm.tr("waiting.marks")]
        )
        ids = [t.id for t in vm.waiting]
        if ids != self._waiting_ids:
            selected = self.selected_waiting()
            if len(self._waiting_items) != len(ids):
                self._waiting_items = _make_rows(self.waiting_table, len(ids), 4, (2, 3))
            self._waiting_ids = ids
            with _batch(self.waiting_table):
                for items, t in zip(self._waiting_items, vm.waiting, strict=True):
                    marks = [vm.tr("waiting.mine")] if t.mine else []
                    if t.priority is not Priority.NONE:
                        marks.append(vm.tr("waiting.priority"))
                    marks.append(t.lang.upper())
                    _fill(items, (t.number, vm.service_name(t.service), "", " · ".join(marks)))
                    background = QColor(PRIORITY_ROW if t.priority is not Priority.NONE else "white")
                    for item in items:
                        item.setBackground(background)
                    font = items[0].font()
                    font.setBold(True)
                    items[0].setFont(font)
                self._render_waiting_times()
            self.waiting_table.resizeRowsToContents()
            if selected in ids:
                self.waiting_table.selectRow(ids.index(selected))
        self.waiting_more.setText(vm.tr("waiting.more", count=vm.waiting_more) if vm.waiting_more else "")
        self.waiting_more.setVisible(bool(vm.waiting_more))

    def selected_waiting(self) -> str | None:
        """The id of the waiting ticket selected in the list, if any."""
        rows = {index.row() for index in self.waiting_table.selectionModel().selectedRows()}
        row = min(rows) if rows else -1
        return self._waiting_ids[row] if 0 <= row < len(self._waiting_ids) else None

    def _render_times(self) -> None:
        vm = self.model
        if vm.logged_in:
            self._render_waiting_times()
        if not vm.logged_in or vm.current is None:
            self.waited.setText("")
            self.serving.setText("")
            return
        self.waited.setText(vm.tr("ticket.waited", time=format_duration(vm.waited_seconds())))
        serving = vm.serving_seconds()
        if serving is not None:
            self.serving.setText(vm.tr("ticket.serving_for", time=format_duration(serving)))
        else:
            called = vm.called_seconds()
            recalls = vm.current.recalls
            key = "ticket.called_for_recalls" if recalls else "ticket.called_for"
            self.serving.setText(vm.tr(key, time=format_duration(called), recalls=recalls))

    def _render_waiting_times(self) -> None:
        waiting = self.model.waiting
        if [t.id for t in waiting] != self._waiting_ids:
            return  # the list changed: _render_waiting rebuilds the rows first
        now = self.model.now()
        changed = [
            (items[2], since)
            for items, t in zip(self._waiting_items, waiting, strict=True)
            if items[2].text() != (since := format_duration((now - t.queued_at).total_seconds()))
        ]
        if len(changed) == 1:
            changed[0][0].setText(changed[0][1])
        elif changed:
            with _batch(self.waiting_table):
                for item, since in changed:
                    item.setText(since)

    # --- input ----------------------------------------------------------------------------

    def _handler(self, name: str) -> Callable[[], None]:
        return lambda: self.trigger(name)

    def trigger(self, name: str) -> None:
        """A button or its key: do what it says (asking first where it destroys something)."""
        vm = self.model
        if self._dialog_open():
            return
        if name == "call":
            vm.call_next()
        elif name == "recall":
            vm.recall()
        elif name == "start":
            vm.start()
        elif name == "finish" and vm.can(Action.FINISH) and vm.current is not None:
            if vm.outcomes:
                self.outcome_dialog = OutcomeDialog(vm, self)
                self.outcome_dialog.open()
            else:
                vm.finish()
        elif name == "park":
            vm.park()
        elif name == "pause":
            vm.toggle_pause()
        elif name == "no_show" and vm.can(Action.NO_SHOW) and vm.current is not None:
            self._confirm(vm.tr("confirm.no_show", number=vm.current.number), vm.no_show)
        elif name == "close" and vm.can(Action.LOGOUT):
            self._confirm(vm.tr("confirm.close", counter=vm.counter), vm.logout)
        elif name == "transfer" and vm.can(Action.TRANSFER):
            self.transfer_dialog = TransferDialog(vm, self)
            self.transfer_dialog.open()
        elif name == "parked" and vm.can_call_parked():
            self.parked_dialog = ParkedDialog(vm, self)
            self.parked_dialog.open()

    def _call_code(self) -> None:
        """Enter in the number field (typed, or a keyboard-wedge scanner's code), or its button:
        call what it names; with the field empty, the ticket selected in the list."""
        text = self.code.text().strip()
        if not text:
            self._call_selected()
            return
        if self.model.call_code(text):
            self.code.clear()
        else:
            self.code.selectAll()  # the next scan or number replaces it

    def _call_selected(self) -> None:
        selected = self.selected_waiting()
        if selected is not None:
            self.model.call_waiting(selected)

    def _dialog_open(self) -> bool:
        return any(
            d is not None and d.isVisible()
            for d in (self.confirm_box, self.transfer_dialog, self.parked_dialog, self.outcome_dialog)
        )

    def _confirm(self, text: str, then: Callable[[], object]) -> None:
        vm = self.model
        box = QMessageBox(QMessageBox.Icon.Question, vm.tr("confirm.title"), text, parent=self)
        yes = box.addButton(vm.tr("confirm.yes"), QMessageBox.ButtonRole.AcceptRole)
        no = box.addButton(vm.tr("confirm.no"), QMessageBox.ButtonRole.RejectRole)
        # "No" is the default: an Enter pressed out of habit destroys nothing.
        box.setDefaultButton(no)
        box.setEscapeButton(no)
        box.setStyleSheet(
            "QLabel { font-size: 18px; } QPushButton { min-height: 40px; min-width: 120px; font-size: 16px; }"
            + DEFAULT_BUTTON
        )
        yes.clicked.connect(lambda _=False: then())
        self.confirm_box = box
        self.confirm_yes = yes
        self.confirm_no = no
        box.open()

    def _login(self) -> None:
        self.model.login(self.login_name.text(), self.login_password.text())
        self.login_password.clear()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.model.dismiss()
            self.code.clear()
            return
        super().keyPressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        scale = scale_of(self.width(), self.height())
        if scale != self._scale:
            self._scale = scale
            self.setStyleSheet(style(scale))
            self._number_px = 0  # set again for the new size
        self._fit_number()
        self._fit_soon.start()

    def _fit_tables(self) -> None:
        self._fit_queues()
        self.waiting_table.resizeRowsToContents()

    def _fit_queues(self) -> None:
        """Show every service of the counter without scrolling (the waiting list gives way),
        up to half the window's height."""
        table = self.queue_table
        table.resizeRowsToContents()
        rows = sum(table.rowHeight(row) for row in range(table.rowCount()))
        height = table.horizontalHeader().sizeHint().height() + rows + 2 * table.frameWidth() + 2
        table.setFixedHeight(min(height, self.height() // 2))

    def _fit_number(self) -> None:
        full = round(NUMBER_PX * self._scale)
        font = QFont(FONT_FAMILY)
        font.setPixelSize(full)
        font.setBold(True)
        wide = QFontMetricsF(font).horizontalAdvance(self.number.text())
        room = self.number.contentsRect().width()
        px = full if wide <= room or room <= 0 else max(24, int(full * room / wide))
        if px != self._number_px:
            self._number_px = px
            # A widget's own style sheet wins over the window's "QLabel#number" rule.
            self.number.setStyleSheet("" if px == full else f"font-size: {px}px;")

    def closeEvent(self, event: QCloseEvent) -> None:
        # Closing the window is not logging out: the server keeps the operator at the
        # counter, so a restarted app (or a crash) loses nothing. Ctrl+Q closes the counter.
        self._clock.stop()
        super().closeEvent(event)


def _ticket_dialog(dialog: QDialog, vm: CounterViewModel, what: str, width: int, style: str) -> QVBoxLayout:
    """Set up a dialog about the ticket at the counter: its title and heading (the catalog's
    ``<what>.title`` and ``<what>.heading``, naming the ticket); returns its layout."""
    number = vm.current.number if vm.current is not None else ""
    dialog.setWindowTitle(vm.tr(f"{what}.title", number=number))
    dialog.setStyleSheet(style)
    dialog.setMinimumWidth(width)
    layout = QVBoxLayout(dialog)
    layout.setSpacing(10)
    heading = QLabel(vm.tr(f"{what}.heading", number=number))
    heading.setObjectName("header")
    heading.setWordWrap(True)
    layout.addWidget(heading)
    return layout


class TransferDialog(QDialog):
    """Send the current citizen to another service or a named counter, optionally back here."""

    def __init__(self, model: CounterViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        vm = model
        layout = _ticket_dialog(self, vm, "transfer", 620, DIALOG_STYLE)
        self.to_service = QRadioButton(vm.tr("transfer.to_service"))
        self.service_box = QComboBox()
        # The choices are kept in Python lists: QComboBox.currentData() of an empty box
        # returns None without a reference (see shell.qt_style.set_style_property).
        self.service_codes = [info.code for info in vm.services.values()]
        closed = f" ({vm.tr('transfer.closed')})"
        # Choices the server would refuse (no open counter would take the citizen) are
        # greyed out and say why; the server's refusal stays the rule.
        for code in self.service_codes:
            info = vm.services[code]
            label = f"{vm.service_name(code)} — {vm.agency_name(info.agency)}"
            _add_choice(self.service_box, label, vm.takes_transfers(code), closed)
        self.to_counter = QRadioButton(vm.tr("transfer.to_counter"))
        self.counter_box = QComboBox()
        self.counter_numbers = sorted(n for n in vm.counters if n != vm.counter)
        for n in self.counter_numbers:
            agency = vm.agency_name(vm.counters[n].agency)
            label = vm.tr("transfer.counter_item", counter=n, agency=agency)
            _add_choice(self.counter_box, label, vm.counter_takes_transfers(n), closed)
        for box in (self.service_box, self.counter_box):
            _select_first_enabled(box)
        self.come_back = QCheckBox(vm.tr("transfer.come_back"))
        self.to_service.setChecked(True)
        for widget in (self.to_service, self.service_box, self.to_counter, self.counter_box, self.come_back):
            layout.addWidget(widget)
        self.to_service.toggled.connect(self._sync)
        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton(vm.tr("transfer.ok"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(vm.tr("confirm.cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.accepted.connect(self._send)
        self._sync()

    def choose_service(self, code: str) -> None:
        self.to_service.setChecked(True)
        self.service_box.setCurrentIndex(self.service_codes.index(code))

    def choose_counter(self, number: int) -> None:
        self.to_counter.setChecked(True)
        self.counter_box.setCurrentIndex(self.counter_numbers.index(number))

    def _sync(self) -> None:
        self.service_box.setEnabled(self.to_service.isChecked())
        self.counter_box.setEnabled(self.to_counter.isChecked())

    def _send(self) -> None:
        back = self.come_back.isChecked()
        if self.to_service.isChecked():
            index = self.service_box.currentIndex()
            if 0 <= index < len(self.service_codes):
                self.model.transfer(to_service=self.service_codes[index], return_to_me=back)
        else:
            index = self.counter_box.currentIndex()
            if 0 <= index < len(self.counter_numbers):
                self.model.transfer(to_counter=self.counter_numbers[index], return_to_me=back)


def _add_choice(box: QComboBox, label: str, enabled: bool, why_not: str) -> None:
    box.addItem(label if enabled else label + why_not)
    if not enabled:
        model = box.model()
        assert isinstance(model, QStandardItemModel), "a QComboBox's own model is a QStandardItemModel"
        item = model.item(box.count() - 1)
        item.setEnabled(False)


def _select_first_enabled(box: QComboBox) -> None:
    model = box.model()
    assert isinstance(model, QStandardItemModel), "a QComboBox's own model is a QStandardItemModel"
    for row in range(box.count()):
        if model.item(row).isEnabled():
            box.setCurrentIndex(row)
            return


class ParkedDialog(QDialog):
    """The tickets this counter parked; Enter or a double click calls one back."""

    def __init__(self, model: CounterViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        vm = model
        self.setWindowTitle(vm.tr("parked.title"))
        self.setStyleSheet(DIALOG_STYLE)
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        self.list = QListWidget()
        self.list.setStyleSheet("QListWidget { font-size: 20px; } QListWidget::item { padding: 8px; }")
        self.ticket_ids = [ticket.id for ticket in vm.parked]
        for ticket in vm.parked:
            self.list.addItem(QListWidgetItem(f"{ticket.number} — {vm.service_name(ticket.service)}"))
        self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        layout.addWidget(self.list)
        buttons = QDialogButtonBox()
        call = buttons.addButton(vm.tr("parked.call"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(vm.tr("confirm.cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        call.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.accepted.connect(self._send)

    def _send(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.ticket_ids):
            self.model.call_parked(self.ticket_ids[row])


class OutcomeDialog(QDialog):
    """How did the visit end? One button per outcome of the center, each with its digit key;
    Enter takes the first (the usual one), Escape finishes nothing."""

    def __init__(self, model: CounterViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        vm = model
        style = DIALOG_STYLE + "QPushButton { text-align: left; padding: 8px 16px; }" + DEFAULT_BUTTON
        layout = _ticket_dialog(self, vm, "outcome", 460, style)
        self.codes = [outcome.code for outcome in vm.outcomes]
        self.choices: list[QPushButton] = []
        for index, code in enumerate(self.codes, start=1):
            button = QPushButton(f"{index}   {vm.outcome_name(code)}")
            button.setAutoDefault(False)
            button.clicked.connect(lambda _=False, c=code: self.choose(c))
            layout.addWidget(button)
            self.choices.append(button)
        if self.choices:
            self.choices[0].setDefault(True)
            self.choices[0].setFocus()
        cancel = QPushButton(vm.tr("confirm.cancel"))
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        layout.addWidget(cancel)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # The digit keys choose: 1 is the first outcome.
        index = event.key() - Qt.Key.Key_1.value
        if 0 <= index < len(self.codes):
            self.choose(self.codes[index])
            return
        super().keyPressEvent(event)

    def choose(self, code: str) -> None:
        self.accept()
        self.model.finish(code)

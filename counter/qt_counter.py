"""Qt view for the CounterViewModel: the operator's window.

Two pages: the login form and the working screen. Every widget is repainted from the
view-model in :meth:`QtCounterWindow.refresh`; clicks and keys call view-model methods and
nothing else. Dialogs (confirmations, transfer, parked tickets) open without blocking
(``QDialog.open``): the hall client runs in its own thread, and a dialog left open must
not hold up messages from the server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import (
    QCloseEvent,
    QFont,
    QFontMetricsF,
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

from wire.client import ConnState
from wire.types import CounterState

from . import FONT_FAMILY
from .viewmodel import Action, CounterViewModel, format_duration

LANG_NAMES = {"az": "Azərbaycanca", "ru": "Русский", "en": "English"}
"""Each language in itself, so an operator finds their own whatever is selected."""

NUMBER_PX = 120
"""The ticket number's size at the counter; smaller only when the number doesn't fit."""

STYLE = """
QWidget { font-family: "DejaVu Sans"; font-size: 15px; color: #1d2733; }
QWidget#root { background: #eef1f5; }
QFrame#card { background: white; border: 1px solid #d5dbe3; border-radius: 10px; }
QLabel#banner { background: #b3261e; color: white; font-size: 20px; font-weight: bold; padding: 10px; }
QLabel#message[kind="error"] { background: #fde7e5; color: #8c1d18; border: 1px solid #f2b8b3;
    border-radius: 6px; padding: 8px; font-size: 17px; }
QLabel#message[kind="notice"] { background: #e3f0ff; color: #0b3d91; border: 1px solid #b6d3fb;
    border-radius: 6px; padding: 8px; font-size: 17px; }
QLabel#number { font-size: NUMBER_PXpx; font-weight: bold; color: #0b3d91; }
QLabel#number[idle="true"] { color: #a7b1bd; }
QLabel#service { font-size: 22px; }
QLabel#ticketState { font-size: 20px; font-weight: bold; }
QLabel#timer { font-size: 22px; }
QLabel#header { font-size: 20px; font-weight: bold; }
QLabel#counterState { font-size: 18px; font-weight: bold; padding: 4px 12px; border-radius: 6px;
    background: #dff3e4; color: #1e6b34; }
QLabel#counterState[state="paused"] { background: #fff1d6; color: #8a5a00; }
QLabel#counterState[state="closed"] { background: #e4e7eb; color: #4a5562; }
QLabel#board { color: #8c1d18; font-weight: bold; }
QLabel#figures { font-size: 17px; }
QLabel#section { font-size: 16px; font-weight: bold; color: #4a5562; }
QPushButton { font-size: 17px; padding: 8px; border-radius: 8px; border: 1px solid #b8c2cf;
    background: #f8fafc; min-height: 64px; }
QPushButton:disabled { color: #a7b1bd; background: #eceff3; border-color: #d5dbe3; }
QPushButton#primary:enabled { background: #0b5cd5; color: white; border-color: #0b5cd5; font-weight: bold; }
QPushButton#danger:enabled { color: #8c1d18; border-color: #e0a39e; }
QPushButton#lang { min-height: 40px; font-size: 16px; }
QPushButton#lang:checked { background: #0b5cd5; color: white; border-color: #0b5cd5; }
QLineEdit { font-size: 20px; padding: 8px; border: 1px solid #b8c2cf; border-radius: 6px; background: white; }
QLabel#loginTitle { font-size: 26px; font-weight: bold; }
QLabel#loginCounter { font-size: 40px; font-weight: bold; color: #0b3d91; }
QLabel#loginError { color: #8c1d18; font-size: 17px; }
QTableWidget { font-size: 16px; background: white; border: none; }
QHeaderView::section { font-size: 14px; font-weight: bold; background: #f1f4f8; border: none; padding: 6px; }
""".replace("NUMBER_PX", str(NUMBER_PX))


DIALOG_STYLE = (
    STYLE
    + "QDialog { background: white; } QPushButton { min-height: 30px; min-width: 140px; font-size: 16px; }"
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


def _set_prop(widget: QWidget, name: str, value: str) -> None:
    """Set a style property and repolish, so the style sheet's selectors apply.

    The value last set is remembered on the Python side: reading an unset property back
    with ``QObject.property`` returns None without taking a reference to it (PySide6
    6.12), and doing that once a second eventually frees None and aborts the process.
    """
    attribute = f"_shown_{name}"
    if getattr(widget, attribute, None) != value:
        setattr(widget, attribute, value)
        widget.setProperty(name, value)
        widget.style().unpolish(widget)
        widget.style().polish(widget)


def _card() -> QFrame:
    frame = QFrame()
    frame.setObjectName("card")
    return frame


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

        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._render_times)
        self._clock.start()
        model.changed.connect(self.refresh)
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
        layout.setSpacing(12)

        header = QHBoxLayout()
        self.header = QLabel()
        self.header.setObjectName("header")
        self.board_mark = QLabel()
        self.board_mark.setObjectName("board")
        self.counter_state = QLabel()
        self.counter_state.setObjectName("counterState")
        header.addWidget(self.header, 1)
        header.addWidget(self.board_mark)
        header.addSpacing(12)
        header.addWidget(self.counter_state)
        layout.addLayout(header)

        middle = QHBoxLayout()
        middle.setSpacing(12)
        ticket = _card()
        ticket_layout = QVBoxLayout(ticket)
        ticket_layout.setContentsMargins(24, 16, 24, 16)
        self.ticket_state = QLabel()
        self.ticket_state.setObjectName("ticketState")
        self.number = QLabel()
        self.number.setObjectName("number")
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # The card's width decides the number's size, not the other way round: a long
        # number (ABC10000) is drawn smaller instead of widening the window.
        self.number.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._number_px = NUMBER_PX
        self.service = QLabel()
        self.service.setObjectName("service")
        self.service.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.service.setWordWrap(True)
        self.waited = QLabel()
        self.waited.setObjectName("timer")
        self.serving = QLabel()
        self.serving.setObjectName("timer")
        times = QHBoxLayout()
        times.addWidget(self.waited)
        times.addStretch(1)
        times.addWidget(self.serving)
        ticket_layout.addWidget(self.ticket_state)
        ticket_layout.addStretch(1)
        ticket_layout.addWidget(self.number)
        ticket_layout.addWidget(self.service)
        ticket_layout.addStretch(1)
        ticket_layout.addLayout(times)
        middle.addWidget(ticket, 1)

        side = QVBoxLayout()
        side.setSpacing(12)
        queues = _card()
        queues_layout = QVBoxLayout(queues)
        queues_layout.setContentsMargins(12, 10, 12, 10)
        self.queues_title = QLabel()
        self.queues_title.setObjectName("section")
        self.queue_table = QTableWidget(0, 3)
        self._queue_items: list[list[QTableWidgetItem]] = []
        self.queue_table.verticalHeader().setVisible(False)
        self.queue_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.queue_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.queue_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.queue_table.setShowGrid(False)
        # Long service names wrap instead of ending in "…": operators read them.
        self.queue_table.setWordWrap(True)
        self.queue_table.setTextElideMode(Qt.TextElideMode.ElideNone)
        head = self.queue_table.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        queues_layout.addWidget(self.queues_title)
        queues_layout.addWidget(self.queue_table)
        side.addWidget(queues, 3)
        today = _card()
        today_layout = QVBoxLayout(today)
        today_layout.setContentsMargins(12, 10, 12, 10)
        self.today_title = QLabel()
        self.today_title.setObjectName("section")
        self.figures = QLabel()
        self.figures.setObjectName("figures")
        self.figures.setWordWrap(True)
        today_layout.addWidget(self.today_title)
        today_layout.addWidget(self.figures)
        today_layout.addStretch(1)
        side.addWidget(today, 1)
        middle.addLayout(side, 1)
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

    # --- painting -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Repaint everything from the view-model."""
        vm = self.model
        self.setWindowTitle(vm.tr("window.title", counter=vm.counter))
        self._render_banner()
        self._render_message()
        if vm.logged_in:
            self.pages.setCurrentWidget(self.main_page)
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
            _set_prop(self.message, "kind", "error")
            self.message.show()
        elif vm.notice is not None:
            self.message.setText(vm.tr(vm.notice.key, **vm.notice.values))
            _set_prop(self.message, "kind", "notice")
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
        _set_prop(self.counter_state, "state", vm.state.value)
        self.board_mark.setText("" if vm.board_status == "ok" else vm.tr("board.offline"))
        t = vm.current
        if t is None:
            self.number.setText("—")
            _set_prop(self.number, "idle", "true")
            if vm.state is CounterState.PAUSED:
                self.ticket_state.setText(vm.tr("ticket.paused"))
            else:
                self.ticket_state.setText(vm.tr("ticket.none"))
            self.service.setText(vm.tr("ticket.waiting_total", count=vm.waiting_total))
        else:
            self.number.setText(t.number)
            _set_prop(self.number, "idle", "false")
            self.ticket_state.setText(vm.tr(f"ticket.{t.state}"))
            self.service.setText(vm.service_name(t.service))
        self._fit_number()
        self._render_times()
        self.queues_title.setText(vm.tr("queues.title"))
        self.queue_table.setHorizontalHeaderLabels(
            [vm.tr("queues.service"), vm.tr("queues.waiting"), vm.tr("queues.oldest")]
        )
        if len(self._queue_items) != len(vm.queues):
            self._make_queue_rows(len(vm.queues))
        renamed = False
        for items, q in zip(self._queue_items, vm.queues, strict=True):
            values = (q.name, str(q.waiting), format_duration(q.oldest_wait_min * 60) if q.waiting else "–")
            renamed |= items[0].text() != q.name
            for item, value in zip(items, values, strict=True):
                if item.text() != value:
                    item.setText(value)
        if renamed:
            self.queue_table.resizeRowsToContents()
        self.today_title.setText(vm.tr("today.title"))
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
                enabled = vm.can(Action.CALL_TICKET)
            else:
                label = vm.tr(f"button.{spec.name}")
                enabled = spec.action is not None and vm.can(spec.action)
            button.setText(f"{label}\n{spec.key}")
            button.setEnabled(enabled)

    def _make_queue_rows(self, count: int) -> None:
        # The items are kept here rather than asked back with QTableWidget.item(), which
        # returns None for an empty cell without a reference (see _set_prop).
        self.queue_table.setRowCount(count)
        self._queue_items = []
        for row in range(count):
            items = [QTableWidgetItem() for _ in range(3)]
            for column, item in enumerate(items):
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.queue_table.setItem(row, column, item)
            self._queue_items.append(items)

    def _render_times(self) -> None:
        vm = self.model
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
        elif name == "finish":
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
        elif name == "parked" and vm.can(Action.CALL_TICKET):
            self.parked_dialog = ParkedDialog(vm, self)
            self.parked_dialog.open()

    def _dialog_open(self) -> bool:
        return any(
            d is not None and d.isVisible()
            for d in (self.confirm_box, self.transfer_dialog, self.parked_dialog)
        )

    def _confirm(self, text: str, then: Callable[[], object]) -> None:
        vm = self.model
        box = QMessageBox(QMessageBox.Icon.Question, vm.tr("confirm.title"), text, parent=self)
        yes = box.addButton(vm.tr("confirm.yes"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(vm.tr("confirm.no"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(yes)
        box.setStyleSheet("QPushButton { min-height: 40px; min-width: 120px; }")
        yes.clicked.connect(lambda _=False: then())
        self.confirm_box = box
        self.confirm_yes = yes
        box.open()

    def _login(self) -> None:
        self.model.login(self.login_name.text(), self.login_password.text())
        self.login_password.clear()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_number()

    def _fit_number(self) -> None:
        font = QFont(FONT_FAMILY)
        font.setPixelSize(NUMBER_PX)
        font.setBold(True)
        wide = QFontMetricsF(font).horizontalAdvance(self.number.text())
        room = self.number.contentsRect().width()
        px = NUMBER_PX if wide <= room or room <= 0 else max(24, int(NUMBER_PX * room / wide))
        if px != self._number_px:
            self._number_px = px
            # A widget's own style sheet wins over the window's "QLabel#number" rule.
            self.number.setStyleSheet("" if px == NUMBER_PX else f"font-size: {px}px;")

    def closeEvent(self, event: QCloseEvent) -> None:
        # Closing the window is not logging out: the server keeps the operator at the
        # counter, so a restarted app (or a crash) loses nothing. Ctrl+Q closes the counter.
        self._clock.stop()
        super().closeEvent(event)


class TransferDialog(QDialog):
    """Send the current citizen to another service or a named counter, optionally back here."""

    def __init__(self, model: CounterViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        vm = model
        number = vm.current.number if vm.current is not None else ""
        self.setWindowTitle(vm.tr("transfer.title", number=number))
        self.setStyleSheet(DIALOG_STYLE)
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        title = QLabel(vm.tr("transfer.heading", number=number))
        title.setObjectName("header")
        title.setWordWrap(True)
        layout.addWidget(title)
        self.to_service = QRadioButton(vm.tr("transfer.to_service"))
        self.service_box = QComboBox()
        # The choices are kept in Python lists: QComboBox.currentData() of an empty box
        # returns None without a reference (see _set_prop).
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

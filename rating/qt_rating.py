"""Qt view of the rating terminal: a small landscape touchscreen facing the citizen.

A thin view over :class:`rating.viewmodel.RatingViewModel`: taps call model methods,
``model.changed`` redraws; it keeps no state beyond widgets.

Sizes follow the window's height (the short side of a landscape 800x480 or 1024x600
screen), so the same layout fills either: the five faces take half the height, their words
and every button's are at least 22 px (about 4 mm on a 7" screen: readable at arm's length
by an elderly citizen), and a touch target is never under 96 px.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import (
    QAbstractButton,
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
    INK,
    MUTED_INK,
    PAPER,
    WARN_INK,
    TouchscreenWindow,
    install_fonts,
    text_label,
)
from wire.types import CounterState, TicketState

from .viewmodel import REASONS, SCORES, RatingViewModel, Screen

MIN_TARGET_PX = 96
CHOSEN_BG = "#dbe7ff"

FACE_COLORS = {1: "#c62828", 2: "#ef6c00", 3: "#f2b705", 4: "#7cb342", 5: "#2e7d32"}
"""Red to green; the mouth's shape says the same for those who can't tell the colours apart."""
SMILE = {1: -1.0, 2: -0.5, 3: 0.0, 4: 0.6, 5: 1.0}
"""The mouth's curve: -1 a deep frown, 1 a broad smile."""


@dataclass(frozen=True)
class Metrics:
    """Sizes in pixels for one window size."""

    text: int
    small: int
    title: int
    huge: int
    """The counter's number on the idle screen."""
    face: int
    """A face's diameter."""
    target: int
    gap: int
    family: str

    @classmethod
    def compute(cls, size: QSize, family: str) -> Metrics:
        height = size.height()
        text = max(22, round(height / 19))
        return cls(
            text=text,
            small=max(18, round(text * 0.8)),
            title=round(text * 1.5),
            huge=round(height / 5.5),
            face=min(round(height * 0.36), round(size.width() / 6.2)),
            target=max(MIN_TARGET_PX, round(height / 5)),
            gap=max(8, round(height / 48)),
            family=family,
        )

    def font(self, px: int, bold: bool = False) -> QFont:
        font = QFont(self.family)
        font.setPixelSize(px)
        font.setBold(bold)
        return font


def fit(label: QLabel, px: int, width: int, *, least: int = 18) -> None:
    """Give ``label`` the largest font up to ``px`` in which its text fits ``width`` on one
    line (at least ``least``; the label wraps what still doesn't fit)."""
    font = label.font()
    while px > least:
        font.setPixelSize(px)
        if QFontMetrics(font).horizontalAdvance(label.text()) <= width:
            break
        px -= 2
    font.setPixelSize(max(px, least))
    label.setFont(font)


def paint_face(painter: QPainter, box: QRectF, score: int) -> None:
    """A round face in ``box``: its colour and mouth say ``score`` (1 to 5)."""
    side = min(box.width(), box.height())
    face = QRectF(0, 0, side, side)
    face.moveCenter(box.center())
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(INK), max(2.0, side / 40)))
    painter.setBrush(QColor(FACE_COLORS[score]))
    painter.drawEllipse(face)
    painter.setBrush(QColor(INK))
    painter.setPen(Qt.PenStyle.NoPen)
    eye = side * 0.075
    for dx in (-0.17, 0.17):
        centre = QPointF(face.center().x() + dx * side, face.top() + side * 0.38)
        painter.drawEllipse(centre, eye, eye * 1.25)
    curve = SMILE[score]
    left = QPointF(face.left() + side * 0.27, face.top() + side * (0.68 - 0.04 * curve))
    right = QPointF(face.right() - side * 0.27, left.y())
    control = QPointF(face.center().x(), left.y() + side * 0.2 * curve)
    mouth = QPainterPath(left)
    mouth.quadTo(control, right)
    pen = QPen(QColor(INK), max(3.0, side / 18))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    if curve >= 1.0:
        # The best score laughs: an open mouth, so it differs from "good" by more than a curve.
        mouth.closeSubpath()
        painter.setBrush(QColor(INK))
    else:
        painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(mouth)


class FaceButton(QAbstractButton):
    """One face and its word under it: a single tap rates."""

    def __init__(self, metrics: Metrics, score: int) -> None:
        super().__init__()
        self.metrics = metrics
        self.score = score
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(metrics.face, metrics.face + metrics.text * 2)

    def sizeHint(self) -> QSize:
        m = self.metrics
        return QSize(m.face + 2 * m.gap, m.face + 3 * m.text)

    def paintEvent(self, event: QPaintEvent) -> None:
        m = self.metrics
        painter = QPainter(self)
        area = QRectF(self.rect()).adjusted(2, 2, -2, -2)
        if self.isDown():
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(CHOSEN_BG))
            painter.drawRoundedRect(area, 18, 18)
        words = m.text * 2.6
        side = min(area.width() - m.gap, area.height() - words, m.face)
        top = area.top() + (area.height() - side - words) / 2
        paint_face(painter, QRectF(area.left(), top, area.width(), side), self.score)
        painter.setPen(QColor(INK))
        painter.setFont(m.font(m.text, bold=True))
        painter.drawText(
            QRectF(area.left(), top + side, area.width(), words),
            int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap),
            self.text(),
        )
        painter.end()


class Choice(QPushButton):
    """A big button: the reasons (which stay chosen when tapped) and the send button."""

    def __init__(self, metrics: Metrics, *, primary: bool = False) -> None:
        super().__init__()
        self.metrics = metrics
        self.primary = primary
        self.setCheckable(not primary)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(metrics.target)
        self.setFont(metrics.font(metrics.small if not primary else metrics.text, bold=True))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(metrics.gap, metrics.gap // 2, metrics.gap, metrics.gap // 2)
        # A label inside the button: QPushButton's own text does not wrap.
        self.caption = text_label("", self.font(), color="#ffffff" if primary else INK)
        self.caption.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        layout.addWidget(self.caption)
        if primary:
            style = (
                f"QPushButton {{ background: {ACTION}; border: 4px solid {ACTION_PRESSED};"
                " border-radius: 18px; }"
                f"QPushButton:pressed {{ background: {ACTION_PRESSED}; }}"
            )
        else:
            style = (
                f"QPushButton {{ background: {PAPER}; border: 4px solid {ACTION}; border-radius: 18px; }}"
                f"QPushButton:checked {{ background: {CHOSEN_BG}; border: 6px solid {ACTION_PRESSED}; }}"
            )
        self.setStyleSheet(style)

    def show_text(self, text: str, chosen: bool = False) -> None:
        self.caption.setText(f"✓ {text}" if chosen else text)
        if self.isCheckable() and self.isChecked() != chosen:
            self.setChecked(chosen)


class RatingWindow(TouchscreenWindow):
    """Qt view for the RatingViewModel."""

    def __init__(
        self, model: RatingViewModel, *, size: QSize | None = None, parent: QWidget | None = None
    ) -> None:
        screen = QGuiApplication.primaryScreen()
        if size is None:
            size = screen.size() if screen is not None else QSize(800, 480)
        self.metrics = m = Metrics.compute(size, install_fonts())
        super().__init__(
            model,
            size,
            gap=m.gap,
            banner_font=m.font(m.small, bold=True),
            banner_padding=m.gap // 2,
            parent=parent,
        )
        self.model = model
        self.setFont(m.font(m.text))
        self._build_idle()
        self._build_faces()
        self._build_reasons()
        self._build_thanks()
        self.follow_model()

    # --- pages --------------------------------------------------------------------------

    def _build_idle(self) -> None:
        m = self.metrics
        layout = self.page(Screen.IDLE)
        self.idle_counter = text_label("", m.font(m.huge, bold=True), color=ACTION)
        self.idle_agency = text_label("", m.font(m.small), color=MUTED_INK)
        self.idle_operator = text_label("", m.font(m.title, bold=True))
        self.idle_status = text_label("", m.font(m.text, bold=True), color=ACCENT)
        self.idle_hint = text_label("", m.font(m.small), color=MUTED_INK)
        layout.addStretch(1)
        for widget in (self.idle_counter, self.idle_agency):
            layout.addWidget(widget)
        layout.addSpacing(m.gap * 2)
        layout.addWidget(self.idle_operator)
        layout.addWidget(self.idle_status)
        layout.addStretch(1)
        layout.addWidget(self.idle_hint)

    def _asking_page(self, screen: Screen) -> tuple[QVBoxLayout, QLabel, QLabel]:
        """A page that asks: its layout, under a question and a smaller line."""
        m = self.metrics
        layout = self.page(screen)
        question = text_label("", m.font(m.title, bold=True))
        line = text_label("", m.font(m.small), color=MUTED_INK)
        layout.addWidget(question)
        layout.addWidget(line)
        return layout, question, line

    def _build_faces(self) -> None:
        m = self.metrics
        layout, self.faces_title, self.faces_visit = self._asking_page(Screen.FACES)
        row = QHBoxLayout()
        row.setSpacing(m.gap)
        self.face_buttons: dict[int, FaceButton] = {}
        for score in SCORES:
            button = FaceButton(m, score)
            button.clicked.connect(lambda _=False, score=score: self.model.rate(score))
            self.face_buttons[score] = button
            row.addWidget(button)
        layout.addLayout(row, 1)
        self.faces_hint = text_label("", m.font(m.small), color=MUTED_INK)
        layout.addWidget(self.faces_hint)

    def _build_reasons(self) -> None:
        m = self.metrics
        layout, self.reasons_title, self.reasons_hint = self._asking_page(Screen.REASONS)
        grid = QGridLayout()
        grid.setSpacing(m.gap)
        self.reason_buttons: dict[str, Choice] = {}
        for i, reason in enumerate(REASONS):
            button = Choice(m)
            button.clicked.connect(lambda _=False, reason=reason: self.model.toggle_reason(reason))
            self.reason_buttons[reason] = button
            grid.addWidget(button, i // 2, i % 2)
        self.send_button = Choice(m, primary=True)
        self.send_button.clicked.connect(self.model.send)
        grid.addWidget(self.send_button, len(REASONS) // 2, len(REASONS) % 2)
        layout.addLayout(grid, 1)

    def _build_thanks(self) -> None:
        m = self.metrics
        layout = self.page(Screen.THANKS)
        page = self.pages[Screen.THANKS]
        page.mousePressEvent = lambda event: self.model.dismiss()  # type: ignore[method-assign]
        self.thanks_face = ThanksFace(m.face)
        self.thanks_title = text_label("", m.font(m.huge // 2 + m.title // 2, bold=True), color=ACCENT)
        self.thanks_body = text_label("", m.font(m.text))
        self.thanks_kept = text_label("", m.font(m.small, bold=True), color=WARN_INK)
        layout.addStretch(1)
        layout.addWidget(self.thanks_face, 0, Qt.AlignmentFlag.AlignHCenter)
        for widget in (self.thanks_title, self.thanks_body, self.thanks_kept):
            layout.addWidget(widget)
        layout.addStretch(1)

    # --- drawing ------------------------------------------------------------------------

    def _on_model_changed(self) -> None:
        model = self.model
        self.setWindowTitle(model.tr("window.title", counter=model.counter))
        self.stack.setCurrentWidget(self.pages[model.screen])
        banner = ""
        if model.screen is not Screen.THANKS and (model.offline_shown or model.refused):
            lines = [model.tr("offline.refused" if model.refused else "offline.title")]
            if model.waiting_to_send:
                lines.append(model.tr("offline.unsent", n=model.waiting_to_send))
            banner = "\n".join(lines)
        self.show_banner(banner)
        refresh: dict[Screen, Callable[[], None]] = {
            Screen.IDLE: self._refresh_idle,
            Screen.FACES: self._refresh_faces,
            Screen.REASONS: self._refresh_reasons,
            Screen.THANKS: self._refresh_thanks,
        }
        refresh[model.screen]()

    def _refresh_idle(self) -> None:
        model = self.model
        tr = model.tr
        room = self.width() - 4 * self.metrics.gap
        self.idle_counter.setText(tr("idle.counter", counter=model.counter))
        fit(self.idle_counter, self.metrics.huge, room)
        self.idle_agency.setText(model.agency_name)
        self.idle_agency.setVisible(bool(model.agency_name))
        state, name, current = model.counter_state, model.operator_name, model.serving
        if state is CounterState.CLOSED or name is None:
            operator, status = tr("idle.closed"), ""
        else:
            operator = tr("idle.operator", name=name)
            if state is CounterState.PAUSED:
                status = tr("idle.paused")
            elif current is None:
                status = tr("idle.free")
            else:
                key = "idle.serving" if current.state is TicketState.SERVING else "idle.called"
                status = tr(key, number=current.number)
        self.idle_operator.setText(operator)
        fit(self.idle_operator, self.metrics.title, room, least=self.metrics.text)
        self.idle_status.setText(status)
        self.idle_status.setVisible(bool(status))
        self.idle_hint.setText(tr("idle.hint"))
        self.idle_hint.setVisible(bool(status))  # nothing to rate at a closed counter

    def _refresh_faces(self) -> None:
        model = self.model
        tr = model.tr
        visit = model.visit
        self.faces_title.setText(tr("faces.title"))
        parts = [tr("faces.ticket", number=visit.number) if visit is not None else ""]
        parts.append(tr("idle.counter", counter=model.counter))
        if visit is not None and visit.operator is not None:
            parts.append(visit.operator.name)
        self.faces_visit.setText(" · ".join(p for p in parts if p))
        for score, button in self.face_buttons.items():
            button.setText(tr(f"score.{score}"))
        self.faces_hint.setText(tr("faces.hint"))

    def _refresh_reasons(self) -> None:
        model = self.model
        self.reasons_title.setText(model.tr("reasons.title"))
        self.reasons_hint.setText(model.tr("reasons.hint"))
        for reason, button in self.reason_buttons.items():
            button.show_text(model.tr(f"reason.{reason}"), chosen=reason in model.reasons)
        self.send_button.show_text(model.tr("reasons.send"))

    def _refresh_thanks(self) -> None:
        model = self.model
        self.thanks_title.setText(model.tr("thanks.title"))
        self.thanks_body.setText(model.tr("thanks.body"))
        self.thanks_kept.setText(model.tr("thanks.kept"))
        self.thanks_kept.setVisible(model.kept)


class ThanksFace(QWidget):
    """The broad smile of the thank-you screen."""

    def __init__(self, side: int) -> None:
        super().__init__()
        self.setFixedSize(side * 2 // 3, side * 2 // 3)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        paint_face(painter, QRectF(self.rect()).adjusted(3, 3, -3, -3), 5)
        painter.end()

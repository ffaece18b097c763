"""The counter window driven offscreen against a real server process."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.counter.helpers import issue, open_desk
from tests.server.harness import ServerProcess, counter, supervisor


def test_whole_visit_with_keyboard(qtbot: QtBot, server: ServerProcess) -> None:
    """Log in, call, start, finish with F-keys; the screen and the figures follow the server."""
    issue(server, "DIN-ID", "DIN-PASS")
    with open_desk(qtbot, server, 12) as desk:
        w, vm = desk.window, desk.vm
        assert w.pages.currentWidget() is w.login_page
        desk.login("op12")
        assert w.pages.currentWidget() is w.main_page
        assert "Counter 12" in w.header.text()
        desk.wait(lambda: vm.waiting_total == 2)
        assert w.buttons["call"].text() == "Call next\nF1"
        assert not w.buttons["finish"].isEnabled()

        desk.focus()
        qtbot.keyClick(w, Qt.Key.Key_F1)
        qtbot.keyClick(w, Qt.Key.Key_F1)  # a second press while the first is in flight: nothing
        desk.wait(lambda: vm.current is not None and vm.pending is None)
        assert w.number.text() == "A001"
        assert w.service.text() == "Identity card issuance"
        assert w.ticket_state.text() == "Called — waiting for the citizen"
        assert w.waited.text().startswith("Waited 0:0")
        desk.wait(lambda: vm.waiting_total == 1)  # only one was called

        qtbot.keyClick(w, Qt.Key.Key_F3)
        desk.wait(lambda: vm.current is not None and vm.current.state == "serving" and vm.pending is None)
        assert w.serving.text().startswith("Serving 0:0")
        assert w.buttons["finish"].isEnabled()
        assert not w.buttons["call"].isEnabled()

        qtbot.keyClick(w, Qt.Key.Key_F4)
        desk.wait(lambda: vm.current is None and vm.pending is None)
        assert w.number.text() == "—"
        assert vm.figures.served == 1
        assert "Served: 1" in w.figures.text()

        # The next one, and a break in between.
        qtbot.keyClick(w, Qt.Key.Key_F9)
        desk.wait(lambda: vm.state == "paused" and vm.pending is None)
        assert w.buttons["pause"].text() == "Resume\nF9"
        assert not w.buttons["call"].isEnabled()
        qtbot.keyClick(w, Qt.Key.Key_F9)
        desk.wait(lambda: vm.state == "open" and vm.pending is None)
        desk.press("call")
        desk.wait(lambda: vm.current is not None and vm.current.number == "A002" and vm.pending is None)

        # Park it, call it back from the parked list.
        desk.press("park")
        desk.wait(lambda: vm.current is None and len(vm.parked) == 1 and vm.pending is None)
        assert w.buttons["parked"].text() == "Parked (1)\nF8"
        desk.press("parked")
        assert w.parked_dialog is not None
        assert w.parked_dialog.isVisible()
        w.parked_dialog.accept()
        desk.wait(lambda: vm.current is not None and not vm.parked and vm.pending is None)
        desk.press("start")
        desk.wait(lambda: vm.current is not None and vm.current.state == "serving" and vm.pending is None)
        desk.press("finish")
        # The figures may follow the event before the reply ends the request: wait for both.
        desk.wait(lambda: vm.current is None and vm.figures.served == 2 and vm.pending is None)

        # Close the counter: asks once.
        desk.press("close")
        box = w.confirm_box
        assert box is not None
        assert box.isVisible()
        w.trigger("close")
        assert w.confirm_box is box  # a second press does not ask again
        w.confirm_yes.click()
        desk.wait(lambda: not vm.logged_in and vm.pending is None)
        assert w.pages.currentWidget() is w.login_page
        assert vm.notice is None


def test_transfer_to_the_bank_and_back(qtbot: QtBot, server: ServerProcess) -> None:
    """Counter 12 sends A001 to pay the fee (BANK-FEE, counter 77) with "come back to me";
    the bank serves it; A001 comes back to counter 12 ahead of A002, who came later."""
    issue(server, "DIN-ID", "DIN-ID")
    with open_desk(qtbot, server, 12) as din, open_desk(qtbot, server, 77) as bank:
        din.login("op12")
        bank.login("op77")
        din.press("call")
        din.wait(lambda: din.vm.current is not None and din.vm.pending is None)
        din.press("start")
        din.wait(
            lambda: (
                din.vm.current is not None and din.vm.current.state == "serving" and din.vm.pending is None
            )
        )

        din.press("transfer")
        dialog = din.window.transfer_dialog
        assert dialog is not None
        assert dialog.isVisible()
        dialog.choose_service("BANK-FEE")
        dialog.come_back.setChecked(True)
        dialog.ok_button.click()
        din.wait(lambda: din.vm.current is None and din.vm.pending is None)
        assert (
            din.window.message.text() == "A001 sent to State fee payment; the citizen will come back to you."
        )

        bank.wait(lambda: bank.vm.waiting_total == 1)
        bank.press("call")
        bank.wait(lambda: bank.vm.current is not None and bank.vm.pending is None)
        assert bank.window.number.text() == "A001"
        assert bank.window.service.text() == "State fee payment"
        bank.press("start")
        bank.wait(
            lambda: (
                bank.vm.current is not None and bank.vm.current.state == "serving" and bank.vm.pending is None
            )
        )
        bank.press("finish")
        bank.wait(lambda: bank.vm.current is None and bank.vm.pending is None)
        assert bank.vm.figures.served == 1
        assert bank.window.message.text() == "A001 finished here and sent back to counter 12."

        din.press("call")
        din.wait(lambda: din.vm.current is not None and din.vm.pending is None)
        assert din.window.number.text() == "A001"
        assert din.window.service.text() == "Identity card issuance"
        din.press("start")
        din.wait(
            lambda: (
                din.vm.current is not None and din.vm.current.state == "serving" and din.vm.pending is None
            )
        )
        din.press("finish")
        # The event comes before the reply: wait for both, or "call" is still greyed.
        din.wait(lambda: din.vm.current is None and din.vm.figures.served == 1 and din.vm.pending is None)
        din.press("call")
        din.wait(lambda: din.vm.current is not None and din.vm.current.number == "A002")


def test_transfer_dialog_greys_out_the_closed_bank_and_the_server_says_why(
    qtbot: QtBot, server: ServerProcess
) -> None:
    """The bank's counters (77-79) are closed: the dialog shows BANK-FEE greyed out; chosen
    anyway, the transfer is refused with the reason and the citizen stays at counter 12."""
    from PySide6.QtGui import QStandardItemModel

    issue(server, "DIN-ID")
    with open_desk(qtbot, server, 12, lang="az") as din:
        din.login("op12")
        # The queue figures follow within a second: counter 12 is open now, the bank is not.
        din.wait(lambda: din.vm.open_counters("DIN-ID") == 1 and din.vm.open_counters("BANK-FEE") == 0)
        din.press("call")
        din.wait(lambda: din.vm.current is not None and din.vm.pending is None)

        din.press("transfer")
        dialog = din.window.transfer_dialog
        assert dialog is not None
        model = dialog.service_box.model()
        assert isinstance(model, QStandardItemModel)
        bank = dialog.service_codes.index("BANK-FEE")
        assert not model.item(bank).isEnabled()
        assert model.item(bank).text().endswith("(açıq masa yoxdur)")
        assert model.item(dialog.service_codes.index("DIN-ID")).isEnabled()
        assert dialog.service_box.currentIndex() != bank
        counters = dialog.counter_box.model()
        assert isinstance(counters, QStandardItemModel)
        assert not counters.item(dialog.counter_numbers.index(77)).isEnabled()

        dialog.choose_service("BANK-FEE")
        dialog.ok_button.click()
        din.wait(lambda: din.vm.pending is None and din.vm.error is not None)
        assert din.window.message.text().startswith("Hazırda «Dövlət rüsumunun ödənilməsi» xidmətinin")
        assert din.vm.current is not None
        assert din.window.number.text() == "A001"


def test_no_show_after_recalls_and_confirmed_no_show(qtbot: QtBot, server: ServerProcess) -> None:
    """Three recalls chime; the fourth ends the call as a no-show (recall limit 3). F5 asks once."""
    issue(server, "DIN-ID", "DIN-ID")
    with open_desk(qtbot, server, 12) as desk:
        w, vm = desk.window, desk.vm
        desk.login("op12")
        desk.press("call")
        desk.wait(lambda: vm.current is not None and vm.pending is None)
        for n in (1, 2, 3):
            desk.press("recall")
            desk.wait(lambda n=n: vm.current is not None and vm.current.recalls == n and vm.pending is None)
        assert "recalls: 3" in w.serving.text()
        desk.press("recall")
        desk.wait(lambda: vm.current is None and vm.pending is None)
        assert vm.figures.no_shows == 1
        assert w.message.text() == "A001 did not come after the last recall: marked as no-show."

        desk.press("call")
        desk.wait(lambda: vm.current is not None and vm.current.number == "A002" and vm.pending is None)
        desk.focus()
        qtbot.keyClick(w, Qt.Key.Key_F5)
        box = w.confirm_box
        assert box is not None
        assert box.isVisible()
        assert box.text() == "Mark A002 as a no-show?"
        qtbot.keyClick(w, Qt.Key.Key_F5)
        assert w.confirm_box is box
        assert vm.current is not None  # nothing happened yet
        w.confirm_yes.click()
        desk.wait(lambda: vm.current is None and vm.pending is None)
        assert vm.figures.no_shows == 2
        assert "No-shows: 2" in w.figures.text()


def test_disconnect_while_serving(qtbot: QtBot, server: ServerProcess) -> None:
    """The server dies mid-service: banner, buttons off, ticket kept; it comes back on the
    same port and the screen shows the server's state with no new login."""
    issue(server, "DIN-ID")
    with open_desk(qtbot, server, 12) as desk:
        w, vm = desk.window, desk.vm
        desk.login("op12")
        desk.press("call")
        desk.wait(lambda: vm.current is not None and vm.pending is None)
        desk.press("start")
        desk.wait(lambda: vm.current is not None and vm.current.state == "serving" and vm.pending is None)

        server.kill()
        desk.wait(lambda: w.banner.isVisible())
        assert "No connection to the server" in w.banner.text()
        assert w.number.text() == "A001"
        assert w.pages.currentWidget() is w.main_page
        assert not any(button.isEnabled() for button in w.buttons.values())
        w.trigger("finish")
        assert vm.pending is None

        restarted = ServerProcess(server.home, port=server.port).start()
        try:
            desk.wait(lambda: vm.online and not w.banner.isVisible(), timeout=15_000)
            desk.wait(lambda: w.buttons["finish"].isEnabled())
            assert vm.logged_in
            assert w.pages.currentWidget() is w.main_page
            assert vm.current is not None
            assert vm.current.state == "serving"
            assert vm.current.number == "A001"
            desk.press("finish")
            desk.wait(lambda: vm.current is None and vm.figures.served == 1)
        finally:
            restarted.stop()


def test_login_refusals_are_clear(qtbot: QtBot, server: ServerProcess) -> None:
    boss = supervisor(server)
    boss.close()
    others = counter(server, 12)  # op12 is at counter 12 now, from another connection
    others.close()
    with open_desk(qtbot, server, 12, lang="ru") as desk:
        w = desk.window
        desk.wait(lambda: desk.vm.online)
        assert w.login_button.text() == "Войти"
        w.lang_buttons["en"].click()
        assert w.login_button.text() == "Log in"
        w.lang_buttons["ru"].click()

        desk.login("op12", "wrong")
        assert w.login_error.text() == "Неверное имя пользователя или пароль."
        assert w.pages.currentWidget() is w.login_page

        desk.login("op13")
        assert w.login_error.text() == "Этот оператор не может работать в этом окне."

        desk.login("supervisor")
        assert w.login_error.text() == (
            "В этом окне уже работает оператор op12. Сначала он (или супервайзер) должен закрыть окно."
        )
        w.lang_buttons["az"].click()
        desk.login("supervisor")
        assert w.login_error.text().startswith("Bu masada artıq operator op12 işləyir.")

        desk.login("op12")
        assert desk.vm.logged_in
        assert w.pages.currentWidget() is w.main_page


def test_a_long_number_is_set_smaller_to_fit_the_ticket_card(qtbot: QtBot) -> None:
    """ABC10000 on a narrow window: the number shrinks to the card instead of widening it."""
    from PySide6.QtGui import QFontMetricsF

    from counter.qt_counter import NUMBER_PX, QtCounterWindow
    from counter.viewmodel import CounterViewModel
    from tests.counter.test_viewmodel import counter_view, ticket, welcome

    vm = CounterViewModel(12, lang="en")
    vm.on_message(welcome(counter_view(current=ticket("A015"))))
    vm.logged_in, vm.operator_login = True, "op12"  # as after a login: the working page
    window = QtCounterWindow(vm)
    qtbot.addWidget(window)
    window.resize(960, 800)
    window.show()
    vm.changed.emit()
    label = window.number
    qtbot.waitUntil(lambda: label.text() == "A015")
    assert label.font().pixelSize() == NUMBER_PX
    vm.on_message(welcome(counter_view(current=ticket("ABC10000"))))
    qtbot.waitUntil(lambda: label.text() == "ABC10000")
    qtbot.waitUntil(lambda: label.font().pixelSize() < NUMBER_PX)
    assert QFontMetricsF(label.font()).horizontalAdvance("ABC10000") <= label.contentsRect().width()
    assert window.width() == 960

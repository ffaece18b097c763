"""The display's view-model without a screen: server messages in, rows, blinking, figures and calls out."""

from __future__ import annotations

import gc
import sys
from datetime import timedelta

import pytest

from display.announce import Call
from display.viewmodel import DisplaySettings, DisplayViewModel, RowState, ScreenLanguages, idle_pictures
from tests.display.fakes import T0, Events, FakeClock, figures, message, queues, ticket, welcome
from wire.client import ConnState
from wire.events import ServiceStarted, TicketFinished, TicketNoShow, TicketParked, TicketTransferred
from wire.messages import QueueFigures, QueuesNotice
from wire.types import TicketState, WaitRange


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_vm(clock: FakeClock, code: str = "lobby", **settings: object) -> tuple[DisplayViewModel, list]:
    vm = DisplayViewModel(code, "az", clock=clock, settings=DisplaySettings(**settings))  # type: ignore[arg-type]
    heard: list[tuple[Call, object]] = []
    vm.announce.connect(lambda call, at: heard.append((call, at)))
    vm.on_message(welcome(code, seq=10))
    return vm, heard


def texts(vm: DisplayViewModel) -> list[str]:
    return [r.text for r in vm.rows]


def test_view_model_imports_no_qt() -> None:
    """The view-model is plain Python: it must load where PySide6 is missing or broken."""
    import subprocess

    code = (
        "import sys; sys.modules['PySide6'] = None\n"
        "import display.viewmodel\n"
        "assert not any(m.startswith('PySide6') and sys.modules[m] for m in sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_calls_make_rows_newest_first_and_are_announced(clock: FakeClock) -> None:
    vm, heard = make_vm(clock)
    ev = Events(10)
    vm.on_message(ev.called("A015", 12, T0))
    clock.advance(2)
    vm.on_message(ev.called("A016", 1, clock.now))
    assert texts(vm) == ["A016 → 1", "A015 → 12"]
    assert [c for c, _ in heard] == [Call("A015", 12), Call("A016", 1)]
    assert heard[0][1] == T0


def test_newest_call_blinks_for_a_few_seconds(clock: FakeClock) -> None:
    vm, _ = make_vm(clock, blink_for=timedelta(seconds=8))
    vm.on_message(Events(10).called("A015", 12, T0))
    row = vm.rows[0]
    assert vm.blinking(row)
    phases = set()
    for _ in range(4):
        clock.advance(0.5)
        vm.tick()
        phases.add(vm.blink_on)
    assert phases == {True, False}, "the blinking row alternates on and off"
    clock.advance(6.1)
    vm.tick()
    assert not vm.blinking(row)
    assert row.blink_until is None


def test_recall_blinks_again_moves_to_top_and_is_announced_again(clock: FakeClock) -> None:
    vm, heard = make_vm(clock)
    ev = Events(10)
    vm.on_message(ev.called("A015", 12, clock.now))
    clock.advance(1)
    vm.on_message(ev.called("A016", 1, clock.now))
    clock.advance(20)
    vm.tick()
    assert not any(vm.blinking(r) for r in vm.rows)
    vm.on_message(ev.recalled("A015", 12, clock.now))
    assert texts(vm) == ["A015 → 12", "A016 → 1"]
    assert vm.blinking(vm.rows[0])
    assert vm.rows[0].recalls == 1
    assert heard[-1][0] == Call("A015", 12, recall=True)
    assert len(heard) == 3


def test_service_started_stops_blinking_and_keeps_the_row(clock: FakeClock) -> None:
    vm, _ = make_vm(clock)
    ev = Events(10)
    vm.on_message(ev.called("A015", 12, clock.now))
    clock.advance(3)
    vm.on_message(ev.ticket_event(ServiceStarted, "A015", 12, clock.now))
    assert vm.rows[0].state is RowState.SERVING
    assert not vm.blinking(vm.rows[0])


@pytest.mark.parametrize("kind", [TicketFinished, TicketNoShow, TicketParked, TicketTransferred])
def test_finished_ticket_leaves_after_a_while(
    clock: FakeClock, kind: type[TicketFinished | TicketNoShow | TicketParked | TicketTransferred]
) -> None:
    vm, _ = make_vm(clock, linger=timedelta(seconds=20))
    ev = Events(10)
    vm.on_message(ev.called("A015", 12, clock.now))
    clock.advance(60)
    if kind is TicketTransferred:
        vm.on_message(ev.transferred("A015", 12, clock.now))
    else:
        vm.on_message(ev.ticket_event(kind, "A015", 12, clock.now))
    assert vm.rows[0].state is RowState.LEAVING
    clock.advance(19)
    vm.tick()
    assert texts(vm) == ["A015 → 12"]
    clock.advance(1.5)
    vm.tick()
    assert vm.rows == []


def test_a_closed_counters_row_leaves(clock: FakeClock) -> None:
    vm, _ = make_vm(clock, linger=timedelta(seconds=20))
    ev = Events(10)
    vm.on_message(ev.called("A015", 1, clock.now))
    vm.on_message(ev.called("A016", 2, clock.now))
    clock.advance(60)
    vm.on_message(ev.counter_closed(1, clock.now))
    assert {r.text: r.state for r in vm.rows} == {"A016 → 2": RowState.CALLED, "A015 → 1": RowState.LEAVING}
    clock.advance(21)
    vm.tick()
    assert texts(vm) == ["A016 → 2"]


def test_a_counters_next_call_replaces_its_previous_row(clock: FakeClock) -> None:
    vm, _ = make_vm(clock)
    ev = Events(10)
    vm.on_message(ev.called("A015", 12, clock.now))
    vm.on_message(ev.ticket_event(TicketFinished, "A015", 12, clock.now))
    clock.advance(5)
    vm.on_message(ev.called("A017", 12, clock.now))
    assert texts(vm) == ["A017 → 12"]


def test_zone_filtering(clock: FakeClock) -> None:
    """A floor display shows only its floor's counters and its floor's agencies."""
    vm, heard = make_vm(clock, code="floor-1")
    assert vm.counters == frozenset({1, 2, 3, 4})
    ev = Events(10)
    vm.on_message(ev.called("B001", 11, clock.now))
    vm.on_message(ev.called("A001", 2, clock.now))
    assert texts(vm) == ["A001 → 2"]
    assert [c.counter for c, _ in heard] == [2]
    assert vm.stats["ignored"] == 1
    vm.on_message(queues(DIN_ID=3, DIN_PASS=2, EDL_POA=9, KOM_GAS=1))
    assert [(w.prefix, w.names["az"], w.waiting) for w in vm.waiting] == [
        ("A", "Daxili İşlər Nazirliyi", 5),
        ("K", "ASAN Kommunal", 1),
    ]
    lobby, _ = make_vm(clock, code="lobby")
    lobby.on_message(queues(DIN_ID=3, DIN_PASS=2, EDL_POA=9, KOM_GAS=1))
    assert [(w.code, w.waiting) for w in lobby.waiting] == [("DIN", 5), ("EDL", 9), ("KOM", 1)]


def test_snapshot_rows_are_shown_silently(clock: FakeClock) -> None:
    """At start the screen shows who is at which counter without announcing old calls."""
    vm = DisplayViewModel("lobby", clock=clock)
    heard: list[object] = []
    vm.announce.connect(lambda call, at: heard.append(call))
    vm.on_message(
        welcome(
            tickets=[
                ticket("A001", 1, T0 - timedelta(minutes=5), state=TicketState.SERVING),
                ticket("A002", 2, T0 - timedelta(minutes=2)),
                ticket("B001", 11, T0 - timedelta(minutes=1)),
            ],
            queues={"DIN-ID": 7},
            message={"az": "Xoş gəlmisiniz", "ru": "Добро пожаловать"},
        )
    )
    assert texts(vm) == ["B001 → 11", "A002 → 2", "A001 → 1"]
    assert heard == []
    assert not any(vm.blinking(r) for r in vm.rows)
    assert vm.center_name == "Bakı 1 nömrəli ASAN xidmət mərkəzi"
    assert vm.message is not None
    assert vm.message.startswith("Xoş gəlmisiniz")
    assert "Добро" in vm.message
    assert vm.waiting[0].waiting == 7
    assert vm.online


def test_snapshot_call_made_a_moment_ago_is_announced(clock: FakeClock) -> None:
    vm = DisplayViewModel("lobby", clock=clock)
    heard: list[Call] = []
    vm.announce.connect(lambda call, at: heard.append(call))
    vm.on_message(welcome(tickets=[ticket("A003", 3, T0 - timedelta(seconds=2), lang="ru")]))
    assert heard == [Call("A003", 3, lang="ru")]
    assert vm.blinking(vm.rows[0])


def test_catch_up_after_reconnect_does_not_replay_stale_calls(clock: FakeClock) -> None:
    """Events missed while offline update the rows; only those still fresh blink and are heard."""
    vm, heard = make_vm(clock, fresh_for=timedelta(seconds=30))
    ev = Events(10)
    vm.on_message(ev.called("A001", 1, clock.now))
    vm.set_online(False)
    assert vm.offline_text == "Əlaqə yoxdur"
    offline_from = clock.now
    clock.advance(120)
    # The server resumes: the events of the last two minutes arrive at once.
    vm.on_message(welcome(seq=ev.seq, server_time=clock.now, resumed=True))
    vm.on_message(ev.ticket_event(TicketFinished, "A001", 1, offline_from + timedelta(seconds=10)))
    vm.on_message(ev.called("A002", 2, offline_from + timedelta(seconds=20)))
    vm.on_message(ev.called("A003", 3, offline_from + timedelta(seconds=40)))
    vm.on_message(ev.recalled("A002", 2, offline_from + timedelta(seconds=60)))
    vm.on_message(ev.called("A004", 1, clock.now - timedelta(seconds=5)))
    assert vm.online
    assert vm.offline_text == ""
    assert texts(vm) == ["A004 → 1", "A002 → 2", "A003 → 3"]
    assert [c for c, _ in heard] == [Call("A001", 1), Call("A004", 1)]
    assert [vm.blinking(r) for r in vm.rows] == [True, False, False]
    assert vm.stats["silent"] == 3


def test_repeated_events_are_not_applied_twice(clock: FakeClock) -> None:
    vm, heard = make_vm(clock)
    ev = Events(10)
    called = ev.called("A001", 1, clock.now)
    vm.on_message(called)
    vm.on_message(called)
    assert len(heard) == 1
    assert vm.stats["duplicates"] == 1


def test_ages_follow_the_servers_clock_not_the_displays(clock: FakeClock) -> None:
    """A display whose clock is off still announces fresh calls and not stale ones: the model reads
    only the server's clock the session gives it (here T0), never this machine's, which is on
    another day. (The session's clock against a server an hour ahead: test_qt_display.)"""
    vm = DisplayViewModel("lobby", clock=clock)
    heard: list[Call] = []
    vm.announce.connect(lambda call, at: heard.append(call))
    vm.on_message(welcome(seq=1, server_time=T0))
    ev = Events(1)
    vm.on_message(ev.called("A001", 1, T0 + timedelta(seconds=1)))
    vm.on_message(ev.called("A002", 2, T0 - timedelta(minutes=10)))
    assert heard == [Call("A001", 1)]
    assert vm.clock_text == "12:00"  # Baku time of the server, not of the machine


def test_day_closed_clears_the_rows(clock: FakeClock) -> None:
    vm, _ = make_vm(clock)
    ev = Events(10)
    vm.on_message(ev.called("A001", 1, clock.now))
    vm.on_message(ev.day_closed(clock.now))
    assert vm.rows == []
    assert not vm.day_open


def test_message_set_and_removed(clock: FakeClock) -> None:
    vm, _ = make_vm(clock)
    seen: list[str | None] = []
    vm.message_changed.connect(lambda: seen.append(vm.message))
    vm.on_message(message({"ru": "Перерыв", "az": "Fasilə"}))
    vm.on_message(message(None))
    assert seen == ["Fasilə     •     Перерыв", None]


def test_header_texts(clock: FakeClock) -> None:
    vm, _ = make_vm(clock)
    assert vm.clock_text == "12:00"
    assert vm.date_text == "2 mart, bazar ertəsi"
    vm.lang = "ru"
    assert vm.date_text == "2 марта, понедельник"


def test_rows_are_capped(clock: FakeClock) -> None:
    vm, _ = make_vm(clock, max_rows=3)
    ev = Events(10)
    counters = [1, 2, 3, 4, 11, 12]
    for i in range(1, 40):
        clock.advance(1)
        vm.on_message(ev.called(f"A{i:03d}", counters[i % 6], clock.now))
    assert len(vm.rows) == 3
    assert vm.rows[0].number == "A039"


def test_ten_thousand_calls_keep_memory_flat(clock: FakeClock) -> None:
    """Memory after 10,000 call-start-finish cycles is what it was after 1,000."""
    vm, _ = make_vm(clock)
    heard_count = [0]
    vm.announce.disconnect()
    vm.announce.connect(lambda call, at: heard_count.__setitem__(0, heard_count[0] + 1))
    ev = Events(10)

    def cycle(n: int, start: int) -> None:
        for i in range(start, start + n):
            number, counter = f"A{i % 999 + 1:03d}", 1 + i % 4
            vm.on_message(ev.called(number, counter, clock.now))
            clock.advance(20)
            vm.on_message(ev.ticket_event(ServiceStarted, number, counter, clock.now))
            clock.advance(40)
            vm.on_message(ev.ticket_event(TicketFinished, number, counter, clock.now))
            vm.on_message(queues(DIN_ID=i % 17, KOM_GAS=i % 5))
            vm.tick()

    cycle(1_000, 0)
    gc.collect()
    # Allocated blocks rather than tracemalloc: as telling for "does anything pile up", and the
    # test stays fast.
    before = sys.getallocatedblocks()
    cycle(10_000, 1_000)
    gc.collect()
    grown = sys.getallocatedblocks() - before
    assert grown < 500, f"{grown} more memory blocks after 10,000 calls"
    assert len(vm.rows) <= 4
    assert heard_count[0] == 11_000


def test_a_call_is_announced_with_the_tickets_language(clock: FakeClock) -> None:
    vm, heard = make_vm(clock)
    ev = Events(10)
    vm.on_message(ev.called("A015", 12, clock.now, lang="ru"))
    vm.on_message(ev.recalled("A015", 12, clock.now, lang="ru"))
    vm.on_message(ev.called("A016", 1, clock.now))  # logged before calls carried it
    assert [c for c, _ in heard] == [
        Call("A015", 12, lang="ru"),
        Call("A015", 12, recall=True, lang="ru"),
        Call("A016", 1, lang=None),
    ]


def test_the_screen_takes_turns_in_its_languages(clock: FakeClock) -> None:
    screen = ScreenLanguages(("az", "ru"), "alternate", timedelta(seconds=10))
    vm = DisplayViewModel("lobby", clock=clock, screen=screen)
    vm.on_message(welcome(seq=10))
    repainted: list[str] = []
    vm.rows_changed.connect(lambda: repainted.append("rows"))
    vm.waiting_changed.connect(lambda: repainted.append("waiting"))
    seen = []
    for _ in range(4):
        vm.tick()
        seen.append((vm.langs, vm.trs("heading.counter"), vm.center_name, vm.date_text))
        clock.advance(10)
    # T0 is on a whole ten seconds: its turn is the first language's.
    assert seen[0] == (("az",), ["Masa"], "Bakı 1 nömrəli ASAN xidmət mərkəzi", "2 mart, bazar ertəsi")
    assert seen[1] == (("ru",), ["Окно"], "Центр ASAN xidmət № 1", "2 марта, понедельник")
    assert seen[2][0] == ("az",)
    assert seen[3][0] == ("ru",)
    assert "rows" in repainted
    assert "waiting" in repainted


def test_a_paired_screen_shows_both_languages_at_once(clock: FakeClock) -> None:
    vm = DisplayViewModel("lobby", clock=clock, screen=ScreenLanguages(("az", "ru"), "pair"))
    vm.on_message(welcome(seq=10))
    vm.tick()
    assert vm.langs == ("az", "ru")
    assert vm.trs("heading.ticket") == ["Talon", "Талон"]
    assert vm.center_names == ["Bakı 1 nömrəli ASAN xidmət mərkəzi", "Центр ASAN xidmət № 1"]
    assert vm.date_texts == ["2 mart, bazar ertəsi", "2 марта, понедельник"]
    # A name without a Russian form is shown once, not twice.
    assert vm.names({"az": "1-ci mərtəbə"}) == ["1-ci mərtəbə"]
    clock.advance(60)
    vm.tick()
    assert vm.langs == ("az", "ru")


def test_offline_after_having_shown_the_hall_is_plain_and_says_since_when(clock: FakeClock) -> None:
    vm = DisplayViewModel("lobby", clock=clock)
    assert not vm.offline, "before the first connection the screen says it is connecting instead"
    vm.on_message(welcome(seq=10))
    assert (vm.online, vm.offline) == (True, False)
    vm.on_connection(ConnState.OFFLINE)
    assert vm.offline
    assert vm.offline_since == T0
    assert vm.offline_details == ["Ekrandakı çağırışlar yenilənmir. Son yeniləmə: 12:00"]
    clock.advance(90)
    vm.on_connection(ConnState.CONNECTING)
    assert vm.offline_since == T0, "still offline since then"
    vm.on_connection(ConnState.ONLINE)
    assert (vm.offline, vm.offline_since, vm.offline_details) == (False, None, [])


def test_before_the_first_connection_the_clock_is_the_centers(clock: FakeClock) -> None:
    """The machine's clock runs in UTC; the display's file names the center's zone."""
    vm = DisplayViewModel("lobby", clock=clock, timezone="Asia/Baku")
    assert vm.clock_text == "12:00"
    assert vm.date_text == "2 mart, bazar ertəsi"


def test_the_idle_screen_shows_the_queues_a_page_at_a_time(clock: FakeClock) -> None:
    vm, _ = make_vm(clock, page_for=timedelta(seconds=10))
    closed = QueueFigures(waiting=0, oldest_wait_min=0.0, open_counters=0, available=False, reason="closed")
    full = QueueFigures(waiting=2, oldest_wait_min=9.0, open_counters=1, available=False, reason="full")
    vm.on_message(
        QueuesNotice(
            services={
                "DIN-ID": figures(4, WaitRange(5, 11)),
                "DIN-PASS": figures(0, WaitRange(0, 0)),
                "EDL-POA": full,
                "KOM-GAS": closed,
            }
        )
    )
    assert vm.idle
    # Closed with nobody waiting: left out. Full: shown with why no ticket can be taken.
    assert [(q.code, q.waiting) for q in vm.services] == [("DIN-ID", 4), ("DIN-PASS", 0), ("EDL-POA", 2)]
    assert [vm.wait_texts(q) for q in vm.services] == [
        ["~5-11 dəq"],
        ["gözləmə yoxdur"],
        ["Bu gün üçün talon qalmayıb"],
    ]
    first = vm.idle_page(2)
    assert (first.number, first.pages, [q.code for q in first.services]) == (1, 2, ["DIN-ID", "DIN-PASS"])
    turned: list[int] = []
    vm.idle_changed.connect(lambda: turned.append(1))
    clock.advance(10)
    vm.tick()
    second = vm.idle_page(2)
    assert (second.number, [q.code for q in second.services]) == (2, ["EDL-POA"])
    assert turned
    vm.on_message(Events(10).called("A015", 1, clock.now))
    assert not vm.idle


def test_idle_pictures_take_turns_and_a_broken_one_is_left_out(clock: FakeClock, tmp_path) -> None:
    for name in ("b.png", "a.jpg", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    pictures = idle_pictures(tmp_path)
    assert [p.name for p in pictures] == ["a.jpg", "b.png"]
    assert idle_pictures(tmp_path / "missing") == ()
    vm = DisplayViewModel("lobby", clock=clock, pictures=pictures, settings=DisplaySettings())
    assert vm.idle_picture() == pictures[0]
    clock.advance(10)
    assert vm.idle_picture() == pictures[1]
    vm.drop_picture(pictures[1])
    assert vm.idle_picture() == pictures[0]
    vm.drop_picture(pictures[0])
    assert vm.idle_picture() is None


def test_calls_never_heard_are_counted_for_the_day(clock: FakeClock) -> None:
    vm, _ = make_vm(clock)
    vm.call_unannounced(Call("A015", 12), "stale")
    vm.call_unannounced(Call("A016", 12), "superseded")
    assert vm.unannounced == 2
    vm.on_message(Events(10).day_opened(clock.now))
    assert vm.unannounced == 0

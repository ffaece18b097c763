from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from display.announce import AnnouncementQueue, AudioPolicy, Call, Composer

T0 = datetime(2026, 11, 23, 10, 0, 0)


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def queue() -> AnnouncementQueue:
    # No voice packs: each announcement is the chime alone (about 1.3 s), enough for ordering.
    return AnnouncementQueue(Composer(packs=[], languages=["az", "ru"]))


def play_all(queue: AnnouncementQueue, now: datetime) -> list[Call]:
    played = []
    while (a := queue.next_to_play(now)) is not None:
        played.append(a.call)
        queue.done()
    return played


def test_calls_together_play_one_after_another(queue):
    for i, call in enumerate([Call("A015", 12), Call("B002", 3), Call("C100", 7)]):
        assert queue.push(call, s(i * 0.1))
    first = queue.next_to_play(s(0.5))
    assert first is not None
    assert first.call == Call("A015", 12)
    # Never over each other: nothing else while the first is playing.
    assert queue.next_to_play(s(0.6)) is None
    assert queue.next_to_play(s(0.5 + first.duration - 0.1)) is None
    assert queue.playing is first
    queue.done()
    second = queue.next_to_play(s(2))
    assert second is not None
    assert second.call == Call("B002", 3)
    queue.done()
    assert play_all(queue, s(3)) == [Call("C100", 7)]
    assert queue.next_to_play(s(4)) is None


def test_recall_is_announced_again(queue):
    queue.push(Call("A015", 12), s(0))
    assert queue.next_to_play(s(0)) is not None
    # The operator recalls while the first announcement is still playing: queued, not dropped.
    assert queue.push(Call("A015", 12, recall=True), s(0.5))
    queue.done()
    again = queue.next_to_play(s(2))
    assert again is not None
    assert again.call.recall
    queue.done()
    # And a recall after it played is announced again too.
    assert queue.push(Call("A015", 12, recall=True), s(30))
    assert play_all(queue, s(31)) == [Call("A015", 12, recall=True)]


def test_duplicates_are_not_queued_twice(queue):
    assert queue.push(Call("A015", 12), s(0))
    assert not queue.push(Call("A015", 12), s(0.2))
    assert not queue.push(Call("A015", 12, recall=True), s(0.3))  # not heard yet: once is enough
    assert queue.pending == [Call("A015", 12)]
    assert queue.next_to_play(s(1)) is not None
    assert not queue.push(Call("A015", 12), s(1.1))  # the same event delivered twice while playing
    assert queue.pending == []
    assert queue.stats["duplicate"] == 3


def test_newer_call_for_a_counter_replaces_the_unplayed_one_in_place(queue):
    queue.push(Call("A015", 12), s(0))
    queue.push(Call("B002", 3), s(0))
    queue.push(Call("A016", 12), s(1))  # counter 12 moved on before A015 was announced
    queue.push(Call("B002", 5), s(1))  # B002 was sent to counter 5
    assert queue.pending == [Call("A016", 12), Call("B002", 5)]
    assert queue.stats["replaced"] == 2


def test_stale_calls_are_dropped(queue):
    queue.push(Call("A001", 1), s(0))  # caught up after being offline
    queue.push(Call("A002", 2), s(100))
    assert play_all(queue, s(100)) == [Call("A002", 2)]
    assert queue.stats["stale"] == 1


def test_bounded_length_drops_the_oldest_plain_call():
    queue = AnnouncementQueue(Composer(), max_pending=3)
    queue.push(Call("R001", 1, recall=True), s(0))
    for i in range(2, 6):
        queue.push(Call(f"A{i:03d}", i), s(i))
    assert [c.number for c in queue.pending] == ["R001", "A004", "A005"]
    assert queue.stats["overflow"] == 2


def test_a_player_that_never_reports_done_does_not_stall_the_queue(queue):
    queue.push(Call("A015", 12), s(0))
    queue.push(Call("B002", 3), s(0))
    first = queue.next_to_play(s(0))
    assert first is not None
    assert queue.next_to_play(s(first.duration + 1)) is None
    second = queue.next_to_play(s(first.duration + queue.grace.total_seconds() + 0.1))
    assert second is not None
    assert second.call == Call("B002", 3)
    assert queue.stats["timed_out"] == 1


def test_quiet_hours_drain_silently():
    composer = Composer(policy=AudioPolicy(quiet_hours=[(time(13), time(14))], quiet_volume=0))
    queue = AnnouncementQueue(composer)
    noon = datetime(2026, 11, 23, 13, 10)
    queue.push(Call("A015", 12), noon)
    assert queue.next_to_play(noon) is None
    assert queue.pending == []
    assert queue.stats["silent"] == 1
    queue.push(Call("A016", 12), noon.replace(hour=14))
    assert queue.next_to_play(noon.replace(hour=14)) is not None


def test_a_plain_function_can_compose():
    calls: list[tuple[Call, datetime]] = []

    def fake(call: Call, now: datetime, *, chained: bool, first_only: bool):
        calls.append((call, now))
        return Composer().compose(call, now, chained=chained, first_only=first_only)

    queue = AnnouncementQueue(fake)
    queue.push(Call("A015", 12), s(0))
    assert queue.next_to_play(s(1)) is not None
    assert calls == [(Call("A015", 12), s(1))]


def test_aware_server_times_and_a_naive_local_clock_mix(queue):
    from datetime import UTC

    made = datetime.now(UTC)
    queue.push(Call("A015", 12), made)
    assert queue.next_to_play(datetime.now()) is not None
    queue.done()
    queue.push(Call("A016", 12), made - timedelta(minutes=5))
    assert queue.next_to_play(datetime.now()) is None
    assert queue.stats["stale"] == 1


@pytest.fixture
def spoken(tone_pack) -> AnnouncementQueue:
    """A queue that speaks (tone packs in az and ru), Azerbaijani first."""
    packs = [tone_pack("az")[0], tone_pack("ru")[0]]
    return AnnouncementQueue(Composer(packs=packs, languages=["az", "ru"]))


def test_calls_back_to_back_share_one_chime(spoken):
    spoken.push(Call("A015", 12, lang="az"), s(0))
    spoken.push(Call("B002", 3, lang="az"), s(0.5))
    first = spoken.next_to_play(s(1))
    assert first is not None
    assert first.segments[0].kind == "chime"
    end = s(1 + first.duration)
    spoken.done(end)
    second = spoken.next_to_play(end + timedelta(seconds=0.1))
    assert second is not None
    assert second.segments[0].kind == "clip", "the hall is listening already: no chime"
    # After a pause the next call is chimed again.
    spoken.done(s(20))
    spoken.push(Call("C100", 7, lang="az"), s(25))
    third = spoken.next_to_play(s(25))
    assert third is not None
    assert third.segments[0].kind == "chime"
    # A player that failed (done without a time) gives the next call its chime too.
    spoken.done()
    spoken.push(Call("C101", 8, lang="az"), s(25.5))
    fourth = spoken.next_to_play(s(25.5))
    assert fourth is not None
    assert fourth.segments[0].kind == "chime"
    assert spoken.stats["chained"] == 1


def test_a_late_call_is_said_in_the_halls_language_only_when_others_wait(spoken):
    spoken.push(Call("A015", 12, lang="ru"), s(0))
    on_time = spoken.next_to_play(s(2))
    assert on_time is not None
    assert list(on_time.words) == ["az", "ru"]
    spoken.done()
    late = s(10) + spoken.bilingual_within + timedelta(seconds=1)
    # Late, but nobody waits behind it: the citizen hears their language.
    spoken.push(Call("A016", 12, lang="ru"), s(10))
    alone = spoken.next_to_play(late)
    assert alone is not None
    assert list(alone.words) == ["az", "ru"]
    spoken.done()
    # Late with another call behind it: the hall is behind, Azerbaijani only.
    spoken.push(Call("A017", 12, lang="ru"), s(10))
    spoken.push(Call("B001", 3, lang="ru"), s(11))
    behind = spoken.next_to_play(late)
    assert behind is not None
    assert list(behind.words) == ["az"]
    assert spoken.stats["first_only"] == 1


def test_calls_never_heard_are_logged_counted_and_told(caplog):
    told: list[tuple[str, str]] = []
    queue = AnnouncementQueue(
        Composer(), max_pending=3, on_drop=lambda call, why: told.append((call.number, why))
    )
    queue.push(Call("A001", 1), s(0))
    queue.push(Call("A002", 2), s(1))
    queue.push(Call("A003", 1), s(2))  # counter 1 moved on: A001 never heard
    queue.push(Call("A004", 4), s(3))
    queue.push(Call("A005", 5), s(4))  # one too many: the oldest plain call goes
    with caplog.at_level("WARNING", logger="display.announce.queueing"):
        assert play_all(queue, s(200)) == []  # the display was stuck: all too old now
    assert told == [
        ("A001", "superseded"),
        ("A003", "overflow"),
        ("A002", "stale"),
        ("A004", "stale"),
        ("A005", "stale"),
    ]
    assert queue.dropped == queue.stats["dropped"] == 5
    assert (queue.stats["superseded"], queue.stats["overflow"], queue.stats["stale"]) == (1, 1, 3)
    assert "call A004 -> 4 not announced: its turn came too late (made 197 s before)" in caplog.messages
    queue.push(Call("A006", 6), s(200))
    assert play_all(queue, s(201)) == [Call("A006", 6)]


def test_a_recall_replacing_its_own_call_loses_nobody(queue):
    queue.push(Call("A015", 12), s(0))
    queue.push(Call("A015", 7), s(1))  # the same citizen, sent on before anyone heard it
    assert queue.pending == [Call("A015", 7)]
    assert queue.dropped == 0


def test_a_call_whose_citizen_has_arrived_is_not_said(queue):
    queue.push(Call("A015", 12), s(0))
    assert queue.next_to_play(s(0)) is not None
    queue.push(Call("A015", 12, recall=True), s(1))  # recalled while the call still plays
    queue.push(Call("B002", 3), s(1))
    assert queue.arrived("A015")  # the citizen came: the recall need not be heard
    assert not queue.arrived("A015")
    queue.done()
    assert play_all(queue, s(5)) == [Call("B002", 3)]
    assert (queue.stats["arrived"], queue.dropped) == (1, 0)

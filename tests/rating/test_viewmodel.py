"""The rating terminal's view-model without a screen: the flow, the rules of when to ask,
time, the connection and the server's answers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from novbe.screenshots.rating import notice, rated, ticket, visit
from rating.viewmodel import Screen
from wire.client import ConnState, RequestFailed, RequestTimeout
from wire.i18n import catalog
from wire.messages import EventMessage
from wire.types import CounterState, RatingReason, TicketState


def finished(rig: Any, number: str = "A014", lang: str = "ru", **fields: Any) -> Any:
    """The counter finished ``number``: the notice that follows, with the visit to rate."""
    last = visit(number, lang=lang, finished_at=rig.now, **fields)  # type: ignore[arg-type]
    rig.model.on_message(notice(last=last))
    return last


def test_catalog_is_complete() -> None:
    assert catalog("rating").check() == []


def test_idle_shows_the_counter_its_operator_and_the_ticket_in_the_citizens_language(rig: Any) -> None:
    r = rig()
    assert (r.model.screen, r.model.lang, r.model.counter_state) == (Screen.IDLE, "az", CounterState.CLOSED)
    assert r.model.agency_name == "Daxili İşlər Nazirliyi"
    assert r.model.operator_name is None
    r.model.on_message(notice(serving=ticket("A014", TicketState.CALLED, lang="en")))
    assert r.model.operator_name == "Leyla Məmmədova"
    assert r.model.serving is not None
    assert r.model.serving.number == "A014"
    assert (r.model.lang, r.model.agency_name) == ("en", "Ministry of Internal Affairs")
    r.model.on_message(notice())
    assert (r.model.serving, r.model.lang) == (None, "az")
    r.model.on_message(notice(operator=None))
    assert (r.model.counter_state, r.model.operator_name) == (CounterState.CLOSED, None)


def test_a_finished_visit_is_rated_with_one_tap(rig: Any) -> None:
    r = rig()
    last = finished(r, lang="ru")
    assert (r.model.screen, r.model.lang) == (Screen.FACES, "ru")
    assert r.model.visit == last
    r.step()
    r.model.rate(5)
    [sent] = r.server.sent
    assert (sent.kind, sent.fields) == ("rate", {"ticket": last.ticket, "score": 5, "reasons": []})
    assert sent.request_id is not None
    assert sent.request_id.startswith("rating-12-")
    assert sent.timeout >= 3600, "a rating made offline waits for the connection"
    assert (r.model.screen, r.model.lang) == (Screen.THANKS, "ru")
    r.server.accept(sent, last, r.now)
    assert r.model.waiting_to_send == 0
    assert not r.model.kept
    r.step(4.0)
    assert r.model.screen is Screen.THANKS
    r.step(1.0)
    assert (r.model.screen, r.model.visit, r.model.lang) == (Screen.IDLE, None, "az")
    r.model.on_message(notice(last=last.model_copy(update={"rated_at": r.now})))
    assert r.model.screen is Screen.IDLE, "a rated visit is not asked again"


def test_below_the_best_the_citizen_may_say_why(rig: Any) -> None:
    r = rig()
    last = finished(r, lang="en")
    r.step()
    r.model.rate(2)
    assert (r.model.screen, r.server.sent) == (Screen.REASONS, [])
    r.step()
    r.model.toggle_reason(RatingReason.RUDE)
    r.step()
    r.model.toggle_reason(RatingReason.WAITED_TOO_LONG)
    r.step()
    r.model.toggle_reason(RatingReason.RUDE)
    assert r.model.reasons == [RatingReason.WAITED_TOO_LONG]
    r.step()
    r.model.send()
    [sent] = r.server.sent
    assert sent.fields == {"ticket": last.ticket, "score": 2, "reasons": ["waited_too_long"]}
    assert r.model.screen is Screen.THANKS


def test_reasons_left_alone_are_sent_as_chosen(rig: Any) -> None:
    r = rig()
    finished(r)
    r.step()
    r.model.rate(3)
    r.step()
    r.model.toggle_reason(RatingReason.NEEDED_DOCUMENTS)
    r.step(15.0)
    r.model.touch()  # the citizen is still reading: the timer starts again
    r.step(15.0)
    assert r.server.sent == []
    r.step(5.5)
    [sent] = r.server.sent
    assert (sent.fields["score"], sent.fields["reasons"]) == (3, ["needed_documents"])
    assert r.model.screen is Screen.THANKS


def test_reasons_are_sent_before_the_servers_window_closes(rig: Any) -> None:
    r = rig(reasons=600.0)
    finished(r, window=timedelta(seconds=90))
    r.step()
    r.model.rate(1)
    for _ in range(80):
        r.model.touch()
        r.step(1.0)
    [sent] = r.server.sent
    assert sent.fields["score"] == 1
    assert r.model.screen is Screen.THANKS


def test_a_double_tap_on_a_face_does_not_choose_a_reason(rig: Any) -> None:
    r = rig()
    finished(r)
    r.step()
    r.model.rate(2)
    r.model.toggle_reason(RatingReason.RUDE)  # the second half of the tap, where a reason now is
    assert r.model.reasons == []
    r.model.send()
    assert r.server.sent == []


def test_the_faces_stay_a_minute_and_each_visit_is_offered_once(rig: Any) -> None:
    r = rig()
    last = finished(r)
    # The operator calls the next citizen at once: the faces stay (no skipping a rating).
    r.model.on_message(notice(serving=ticket("A015", TicketState.CALLED, lang="en"), last=last))
    assert (r.model.screen, r.model.lang) == (Screen.FACES, "ru")
    r.step(59.0)
    assert r.model.screen is Screen.FACES
    r.step(1.5)
    assert (r.model.screen, r.model.lang) == (Screen.IDLE, "en")
    r.model.on_message(notice(serving=ticket("A015", TicketState.SERVING, lang="en"), last=last))
    assert r.model.screen is Screen.IDLE
    assert r.server.sent == []


def test_the_faces_never_outlast_the_servers_window(rig: Any) -> None:
    r = rig()
    finished(r, window=timedelta(seconds=20))
    r.step(19.0)
    assert r.model.screen is Screen.FACES
    r.step(1.5)
    assert r.model.screen is Screen.IDLE


def test_a_visit_found_on_connecting_is_asked_only_if_just_finished(rig: Any) -> None:
    r = rig()
    r.model.on_message(notice(last=visit("A013", finished_at=r.now - timedelta(seconds=90))))
    assert r.model.screen is Screen.IDLE, "finished a minute and a half ago: the citizen has gone"
    r.model.on_message(notice(last=visit("A014", finished_at=r.now - timedelta(seconds=10))))
    assert r.model.screen is Screen.FACES


def test_a_visit_rated_elsewhere_is_not_asked_for(rig: Any) -> None:
    r = rig()
    last = finished(r)
    assert r.model.screen is Screen.FACES
    r.model.on_message(EventMessage(seq=9, event=rated(last, 4, r.now)))
    assert r.model.screen is Screen.IDLE
    r.model.on_message(notice(last=last.model_copy(update={"rated_at": r.now})))
    assert (r.model.screen, r.server.sent) == (Screen.IDLE, [])


def test_another_finish_while_rating_sends_the_first_and_asks_the_second(rig: Any) -> None:
    r = rig()
    first = finished(r, "A014")
    r.step()
    r.model.rate(4)
    r.step()
    second = finished(r, "A015", lang="en")
    [sent] = r.server.sent
    assert sent.fields["ticket"] == first.ticket
    assert r.model.screen is Screen.THANKS
    r.step(5.5)
    assert (r.model.screen, r.model.visit) == (Screen.FACES, second)
    assert r.model.lang == "en"


def test_a_new_day_takes_the_faces_away(rig: Any) -> None:
    r = rig()
    finished(r)
    r.model.on_message(notice(last=None))
    assert (r.model.screen, r.server.sent) == (Screen.IDLE, [])


def test_offline_the_screen_says_so_and_the_rating_is_kept_until_sent(rig: Any) -> None:
    r = rig()
    last = finished(r)
    r.model.on_connection(ConnState.OFFLINE)
    r.step(1.0)
    assert not r.model.offline_shown, "a short drop is not shown"
    r.step(1.5)
    assert r.model.offline_shown
    r.model.rate(5)
    [sent] = r.server.sent
    assert r.model.kept, "the thank-you screen says the rating is kept"
    r.step(6.0)
    assert (r.model.screen, r.model.waiting_to_send) == (Screen.IDLE, 1)
    r.model.on_connection(ConnState.ONLINE)
    assert not r.model.offline_shown
    r.server.accept(sent, last, r.now)
    assert r.model.waiting_to_send == 0
    assert len(r.server.sent) == 1, "the client resends it; the model asks once"


def test_a_rating_that_recorded_nothing_is_sent_again_with_its_id(rig: Any) -> None:
    r = rig()
    finished(r)
    r.step()
    r.model.rate(5)
    [first] = r.server.sent
    first.future.set_exception(RequestFailed("store_unavailable", "the database is unavailable"))
    r.step(4.0)
    assert len(r.server.sent) == 1
    r.step(1.5)
    [_, again] = r.server.sent
    assert (again.request_id, again.fields) == (first.request_id, first.fields)
    assert r.model.waiting_to_send == 1


def test_a_refused_or_late_rating_is_dropped(rig: Any) -> None:
    r = rig()
    finished(r, "A014")
    r.step()
    r.model.rate(5)
    refused = r.server.sent[-1]
    refused.future.set_exception(
        RequestFailed("rating_refused", "already rated", {"reason": "already_rated"})
    )
    r.step(6.0)
    finished(r, "A015")
    r.step()
    r.model.rate(5)
    r.server.sent[-1].future.set_exception(RequestTimeout())
    r.step(10.0)
    assert (len(r.server.sent), r.model.waiting_to_send) == (2, 0)


def test_refused_device(rig: Any) -> None:
    r = rig(online=False)
    r.model.on_connection(ConnState.REFUSED)
    r.step(3.0)
    assert r.model.refused
    assert r.model.offline_shown

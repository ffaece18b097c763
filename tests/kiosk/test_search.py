"""Finding a service by name on the reference center, and the most requested services."""

from __future__ import annotations

import pytest

from kiosk.search import ServiceIndex, fold, most_requested
from novbe.screenshots.kiosk import queues_for, sample_center
from wire.messages import QueueFigures

CENTER = sample_center()
INDEX = ServiceIndex(CENTER)


def codes(query: str) -> list[str]:
    return [s.code for s in INDEX.search(query)]


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("Şəxsiyyət", "sexsiyyet"),
        ("ŞƏXSİYYƏT", "sexsiyyet"),
        ("Ümumvətəndaş pasportunun", "umumvetendas pasportunun"),
        ("Çağırış, Ğ Ö Ü I ı", "cagiris, g o u i i"),
        ("Выдача удостоверения", "выдача удостоверения"),
        ("йод, Ёлка", "йод, елка"),
    ],
)
def test_folding_drops_the_azerbaijani_marks_and_keeps_cyrillic(written: str, folded: str) -> None:
    assert fold(written) == folded


@pytest.mark.parametrize("query", ["sexsiyyet", "Şəxsiyyət", "SEXSIYYET", "şəxs", "sexs vesiq"])
def test_a_query_with_or_without_marks_finds_the_identity_card(query: str) -> None:
    assert codes(query)[0] == "DIN-ID"


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("pasport", "DIN-PASS"),
        ("паспорт", "DIN-PASS"),
        ("passport", "DIN-PASS"),
        ("удостоверения личности", "DIN-ID"),
        ("identity", "DIN-ID"),
        ("surucu", "DIN-DRV"),
        ("водит", "DIN-DRV"),
    ],
)
def test_every_language_finds_its_service(query: str, first: str) -> None:
    assert codes(query)[0] == first


def test_an_agency_name_finds_its_services() -> None:
    """Typing a ministry's name lists what it offers (its services' names don't say it)."""
    found = codes("edliyye")
    assert found
    assert all(CENTER.service(code).agency == "EDL" for code in found)  # type: ignore[union-attr]
    assert set(found) == {s.code for s in CENTER.services_of("EDL")}


def test_a_service_named_by_the_query_comes_before_one_found_by_its_agency() -> None:
    # "sosial" is in one service's own name ("Ünvanlı sosial yardım") and in the names of
    # three agencies: that service comes first.
    found = codes("sosial")
    assert found[0] == "EHSMN-BEN"
    assert len(found) > 3
    # "Daxili İşlər Nazirliyi" holds "daxili", no service's name does: the ministry's
    # services, the most requested first.
    din = codes("daxili")
    assert set(din) == {s.code for s in CENTER.services_of("DIN")}
    shares = [CENTER.service(code).share for code in din]  # type: ignore[union-attr]
    assert shares == sorted(shares, reverse=True)


def test_every_word_must_be_found() -> None:
    assert codes("pasport surucu") == []
    assert codes("xyzzy") == []
    assert codes("") == []
    assert codes("  ") == []


def test_the_most_requested_are_by_share_then_by_queue() -> None:
    queues = queues_for(CENTER)
    top = most_requested(CENTER, queues, 4)
    shares = [s.share for s in top]
    assert len(top) == 4
    assert shares == sorted(shares, reverse=True)
    assert shares[0] == max(s.share for s in CENTER.services)


def test_the_most_requested_leave_out_what_takes_no_ticket() -> None:
    queues = queues_for(CENTER)
    best = most_requested(CENTER, queues, 1)[0]
    queues[best.code] = QueueFigures(
        waiting=0, oldest_wait_min=0, open_counters=0, available=False, reason="closed"
    )
    assert best not in most_requested(CENTER, queues, 4)


def test_without_shares_the_longest_queues_are_the_most_requested() -> None:
    center = CENTER.model_copy(
        update={"services": tuple(s.model_copy(update={"share": 0.0}) for s in CENTER.services)}
    )
    queues = queues_for(center)
    top = most_requested(center, queues, 3)
    waiting = [queues[s.code].waiting for s in top]
    assert waiting == sorted((f.waiting for f in queues.values()), reverse=True)[:3]
    # Nobody waits and nothing is configured: nothing is said to be asked for.
    idle = {code: f.model_copy(update={"waiting": 0}) for code, f in queues.items()}
    assert most_requested(center, idle, 3) == []


@pytest.mark.parametrize("query", ["отчет", "отчёт", "ОТЧЕТ"])
def test_a_russian_name_with_yo_is_found_with_or_without_its_dots(query: str) -> None:
    """Russian writes "ё" as "е" as often as not: a service named "Отчёт ..." is found either way."""
    first = CENTER.services[0]
    names = {**first.name, "ru": "Отчёт о доходах"}
    center = CENTER.model_copy(
        update={"services": (first.model_copy(update={"name": names}), *CENTER.services[1:])}
    )
    assert [s.code for s in ServiceIndex(center).search(query)][:1] == [first.code]

"""The reference center converts faithfully and survives a trip through center.toml."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any

from server.center import Center, center_from_reference, dump_center, load_center
from wire.types import PriorityMode, Selection


def _converted(reference_data: dict[str, Any], tmp_path: Path) -> tuple[Center, Center]:
    center = center_from_reference(reference_data)
    path = tmp_path / "center.toml"
    path.write_text(dump_center(center), encoding="utf-8")
    return center, load_center(path)


def test_reference_round_trips_through_toml(reference_data: dict[str, Any], tmp_path: Path) -> None:
    """center_from_reference -> dump_center -> load_center gives an equal Center."""
    center, loaded = _converted(reference_data, tmp_path)
    assert loaded == center
    assert dump_center(loaded) == dump_center(center)


def test_reference_keeps_center_fields(reference_data: dict[str, Any], tmp_path: Path) -> None:
    _, center = _converted(reference_data, tmp_path)
    info = reference_data["center"]
    assert center.code == info["code"] == "BAKU1"
    assert center.name.model_dump() == info["name"]
    assert center.languages == info["languages"]
    assert center.hours.timezone == "Asia/Baku"
    assert (center.hours.open, center.hours.close) == (time(9, 0), time(19, 0))
    assert center.hours.days == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    assert [z.code for z in center.zones] == ["floor-1", "floor-2", "floor-3"]
    assert center.workload == reference_data["workload"]


def test_reference_keeps_devices_of_the_hall(reference_data: dict[str, Any], tmp_path: Path) -> None:
    _, center = _converted(reference_data, tmp_path)
    assert [(d.code, d.zones) for d in center.displays] == [
        (d["code"], d["zones"]) for d in reference_data["displays"]
    ]
    assert center.display("lobby").zones == ["floor-1", "floor-2", "floor-3"]
    lobby = center.display("lobby")
    assert lobby.languages == ["az", "ru", "en"]
    assert (lobby.screen_languages, lobby.screen_mode) == (["az", "ru"], "alternate")
    assert [(k.code, k.zone) for k in center.kiosks] == [
        (k["code"], k["zone"]) for k in reference_data["kiosks"]
    ]
    # The reference names no printer, and a printer is not guessed: see docs/configuration.md.
    assert center.kiosk("kiosk-2").printer is None
    assert center.operators == []
    assert center.devices == []


def test_reference_gives_hall_of_all_services_and_counters(
    reference_data: dict[str, Any], tmp_path: Path
) -> None:
    """to_hall has every service (with the agency's prefix and zone) and all 81 counters."""
    _, center = _converted(reference_data, tmp_path)
    hall = center.to_hall()
    ref_services = {s["code"]: (a, s) for a in reference_data["agencies"] for s in a["services"]}
    # The file holds 30 services (domain.md rounds it to 31): count what is there.
    assert len(hall.services) == len(ref_services) == 30
    for code, (agency, service) in ref_services.items():
        got = hall.services[code]
        assert (got.agency, got.prefix, got.zone) == (agency["code"], agency["prefix"], agency["zone"])
        assert got.mean_service_min == service["mean_service_min"]
    assert len(hall.counters) == 81
    for counter in reference_data["counters"]:
        got_counter = hall.counters[counter["number"]]
        assert got_counter.agency == counter["agency"]
        assert got_counter.zone == counter["zone"]
        assert got_counter.services == dict.fromkeys(counter["services"], 1.0)
        assert got_counter.policy.priority_mode is PriorityMode.STRICT
        assert got_counter.policy.selection is Selection.OLDEST_FIRST
    assert (hall.opens, hall.closes, hall.recall_limit) == (time(9, 0), time(19, 0), 3)
    assert hall.days == frozenset(range(6))  # Monday to Saturday, as date.weekday() counts


def test_reference_counters_per_agency_match_sizing(reference_data: dict[str, Any]) -> None:
    center = center_from_reference(reference_data)
    for agency in reference_data["agencies"]:
        staffed = [c for c in center.counters if center.agency_of_counter(c.number) == agency["code"]]
        assert len(staffed) == agency["counters"], agency["code"]


def test_center_looks_things_up(reference_data: dict[str, Any]) -> None:
    center = center_from_reference(reference_data)
    assert center.service("DIN-PASS").mean_service_min == 10
    assert center.agency_of("BANK-FEE").code == "BANK"
    assert center.prefix_of("BANK-FEE") == "L"
    assert center.counter(13).number == 13
    assert center.zone_of_counter(81) == reference_data["counters"][80]["zone"]
    assert center.zone("floor-2").name.get("en") == "Floor 2"
    assert len(center.all_services()) == 30


def test_example_file_loads(tmp_path: Path) -> None:
    """The annotated example in examples/ is a valid center and survives dump and load."""
    from .conftest import EXAMPLE

    center = load_center(EXAMPLE)
    assert center.prefix_of("DIN-PASS") == "P"
    assert center.counter_policy(3).selection is Selection.WEIGHTED
    assert center.counter_policy(4).head_start_min == 5.0
    assert center.counter_policy(4).selection is Selection.OLDEST_FIRST
    assert center.device_by_token("example-kiosk-token-0000000000000000000000") is not None
    path = tmp_path / "center.toml"
    path.write_text(dump_center(center), encoding="utf-8")
    assert load_center(path) == center

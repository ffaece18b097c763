"""A wrong center.toml is refused, with every problem named by its place in the file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server.center import Center, ConfigError, format_center_data, load_center

from .conftest import EXAMPLE, ROOT

Refuse = Callable[[dict[str, Any]], list[str]]


def test_center_refuses_unknown_service_on_counter(example_raw: dict[str, Any], refuse: Refuse) -> None:
    example_raw["counters"][2]["services"] = {"DIN-PASS": 2.0, "DIN-XYZ": 1.0}
    assert refuse(example_raw) == ['counters[2] (number 3): service "DIN-XYZ" is not defined']


def test_center_suggests_a_near_service_code(example_raw: dict[str, Any], refuse: Refuse) -> None:
    example_raw["counters"][0]["services"] = ["DIN-ID", "DIN-PAS"]
    assert refuse(example_raw) == [
        'counters[0] (number 1): service "DIN-PAS" is not defined (did you mean "DIN-PASS"?)'
    ]


def test_center_refuses_unknown_zone(example_raw: dict[str, Any], refuse: Refuse) -> None:
    example_raw["kiosks"][0]["zone"] = "floor-9"
    assert refuse(example_raw) == ['kiosks[0] (code "kiosk-1"): zone "floor-9" is not defined']


def test_center_refuses_unknown_zone_on_display(example_raw: dict[str, Any], refuse: Refuse) -> None:
    example_raw["displays"][0]["zones"] = ["hall", "roof"]
    assert refuse(example_raw) == ['displays[0] (code "hall"): zone "roof" is not defined']


def test_center_refuses_prefix_shared_by_two_agencies(example_raw: dict[str, Any], refuse: Refuse) -> None:
    example_raw["agencies"][1]["prefix"] = "A"
    assert refuse(example_raw) == [
        'agencies[1] (code "EDL"): ticket prefix "A" is already used by agency "DIN"'
    ]


def test_center_refuses_service_prefix_of_another_agency(example_raw: dict[str, Any], refuse: Refuse) -> None:
    example_raw["agencies"][1]["services"][0]["prefix"] = "P"
    assert refuse(example_raw) == [
        'agencies[1] (code "EDL"): ticket prefix "P" is already used by agency "DIN"'
    ]


@pytest.mark.parametrize("prefix", ["K2", "a", "ABCD", "Ə"])
def test_center_refuses_a_prefix_other_than_latin_capitals(
    example_raw: dict[str, Any], refuse: Refuse, prefix: str
) -> None:
    """Digits would make K21000 both K2's 1000th ticket and K's 21000th."""
    example_raw["agencies"][1]["prefix"] = prefix
    assert refuse(example_raw) == [
        f'agencies[1].prefix: "{prefix}" is not a ticket prefix (one to three Latin capitals A-Z, no digits)'
    ]


def test_center_refuses_duplicate_counter_number(example_raw: dict[str, Any], refuse: Refuse) -> None:
    example_raw["counters"][3]["number"] = 2
    assert refuse(example_raw) == ["counters[3] (number 2): number 2 is already used by counters[1]"]


def test_center_refuses_duplicate_codes(example_raw: dict[str, Any], refuse: Refuse) -> None:
    example_raw["kiosks"].append(dict(example_raw["kiosks"][0]))
    example_raw["agencies"][1]["services"].append(dict(example_raw["agencies"][0]["services"][0]))
    assert refuse(example_raw) == [
        'agencies[1].services[1] (code "DIN-ID"): code "DIN-ID" is already used by agencies[0].services[0]',
        'kiosks[1] (code "kiosk-1"): code "kiosk-1" is already used by kiosks[0]',
    ]


def test_center_refuses_missing_translation(example_raw: dict[str, Any], refuse: Refuse) -> None:
    del example_raw["agencies"][1]["name"]["ru"]
    example_raw["agencies"][0]["services"][1]["name"]["en"] = ""
    assert refuse(example_raw) == [
        'agencies[0].services[1].name: missing translation "en"',
        'agencies[1].name: missing translation "ru"',
    ]


def test_center_refuses_close_before_open(example_raw: dict[str, Any], refuse: Refuse) -> None:
    example_raw["hours"]["close"] = "08:30"
    assert refuse(example_raw) == [
        "hours: closing time 08:30 is not after opening time 09:00"
        " (a center open past midnight is not supported)"
    ]


@pytest.mark.parametrize("bad", ["25:00", "9:00", "09:60", "nine"])
def test_center_refuses_bad_time(example_raw: dict[str, Any], refuse: Refuse, bad: str) -> None:
    example_raw["hours"]["open"] = bad
    assert refuse(example_raw) == [
        f'hours.open: must be a time of day as HH:MM (00:00 to 23:59), got "{bad}"'
    ]


def test_center_refuses_unknown_time_zone(example_raw: dict[str, Any], refuse: Refuse) -> None:
    example_raw["hours"]["timezone"] = "Asia/Bakuu"
    assert refuse(example_raw) == [
        'hours.timezone: unknown time zone "Asia/Bakuu" (an IANA name such as "Asia/Baku")'
    ]


def test_center_refuses_bad_printer_scheme(example_raw: dict[str, Any], refuse: Refuse) -> None:
    example_raw["kiosks"][0]["printer"] = "lpt://1"
    assert refuse(example_raw) == [
        'kiosks[0].printer: printer URL "lpt://1" has scheme "lpt://"; '
        "expected one of virtual://, serial://, usb://, tcp://, file://"
    ]


def test_center_refuses_an_unknown_printer_profile(example_raw: dict[str, Any], refuse: Refuse) -> None:
    example_raw["kiosks"][0]["printer"] = "serial:///dev/ttyUSB0?profile=TM-T88"
    [problem] = refuse(example_raw)
    assert problem.startswith(
        "kiosks[0].printer: printer URL 'serial:///dev/ttyUSB0?profile=TM-T88': profile='TM-T88': "
        'unknown printer profile; did you mean "TM-T88V"? python-escpos knows AF-240, '
    )


def _line(example_raw: dict[str, Any], code: str, url: str) -> None:
    example_raw.setdefault("board_lines", []).append({"code": code, "url": url})


def test_center_refuses_a_board_on_a_line_that_does_not_exist(
    example_raw: dict[str, Any], refuse: Refuse
) -> None:
    example_raw["counters"][1]["board_line"] = "hall-board"
    assert refuse(example_raw) == [
        'counters[1] (number 2): board line "hall-board" is not defined (did you mean "hall-boards"?)'
    ]


def test_center_refuses_a_board_both_on_its_own_port_and_on_a_line(
    example_raw: dict[str, Any], refuse: Refuse
) -> None:
    example_raw["counters"][1]["board"] = "serial:///dev/ttyUSB1"
    assert refuse(example_raw) == [
        "counters[1] (number 2): has both board and board_line: a board is on its own port or on a line"
    ]


def test_center_refuses_two_lines_on_one_port(example_raw: dict[str, Any], refuse: Refuse) -> None:
    _line(example_raw, "upstairs", "serial:///dev/novbe-boards?baudrate=19200")
    assert refuse(example_raw) == [
        'board_lines[1] (code "upstairs"): port /dev/novbe-boards is already the line of board_lines[0]: '
        "one process must own a port, so put all its boards on one line (give each USB adapter a "
        "stable name, docs/hardware.md)"
    ]


def test_center_refuses_a_counter_opening_the_port_of_a_line(
    example_raw: dict[str, Any], refuse: Refuse
) -> None:
    example_raw["counters"][0]["board"] = "serial:///dev/novbe-boards?baudrate=9600&ack=06"
    assert refuse(example_raw) == [
        "counters[0] (number 1): board port /dev/novbe-boards is the line of "
        'board_lines[0] (code "hall-boards"): '
        'write board_line = "hall-boards" instead of board, so that only the line\'s process opens the port'
    ]


def test_center_refuses_two_counters_on_one_network_port(example_raw: dict[str, Any], refuse: Refuse) -> None:
    """A serial-over-Ethernet converter is one line whichever PC connects to it."""
    example_raw["counters"][0]["board"] = "socket://10.0.0.21:4001?ack=06"
    example_raw["counters"][3]["board"] = "socket://10.0.0.21:4001"
    assert refuse(example_raw) == [
        "counters[3] (number 4): board port socket://10.0.0.21:4001 is already used by counters[0]: "
        "boards sharing a line go on a [[board_lines]] line, driven by one process"
    ]


def test_center_lets_each_counter_pc_have_its_own_board_port(
    example_raw: dict[str, Any], tmp_path: Path
) -> None:
    """/dev/ttyUSB0 on two counters' PCs is two adapters, not one line."""
    example_raw["counters"][0]["board"] = "serial:///dev/ttyUSB0"
    example_raw["counters"][3]["board"] = "serial:///dev/ttyUSB0"
    path = tmp_path / "center.toml"
    path.write_text(format_center_data(example_raw), encoding="utf-8")
    assert [c.board for c in load_center(path).counters] == [
        "serial:///dev/ttyUSB0",
        None,
        None,
        "serial:///dev/ttyUSB0",
    ]


def test_center_refuses_two_boards_at_one_address_of_a_line(
    example_raw: dict[str, Any], refuse: Refuse
) -> None:
    example_raw["counters"][3]["board_line"] = "hall-boards"
    example_raw["counters"][3]["board_address"] = 2
    assert refuse(example_raw) == [
        'counters[3] (number 4): board address 2 on line "hall-boards" is already used by '
        "counters[1] (number 2)"
    ]


def test_center_refuses_a_binary_board_address_that_is_a_frame_marker(
    example_raw: dict[str, Any], refuse: Refuse
) -> None:
    """With address=byte, board 2 would be sent as 0x02, the frame start."""
    example_raw["board_lines"][0]["url"] = "serial:///dev/novbe-boards?address=byte&ack=06"
    assert refuse(example_raw) == [
        "counters[1] (number 2): board address 2 is sent as byte 0x02, which marks the start of a frame; "
        "set the board to another address "
        "(the default board address is the counter number: set board_address)"
    ]


def test_center_refuses_board_line_options_the_driver_rejects(
    example_raw: dict[str, Any], refuse: Refuse
) -> None:
    example_raw["board_lines"][0]["url"] = "serial:///dev/novbe-boards?checksum=crc99"
    [problem] = refuse(example_raw)
    assert problem.startswith("board_lines[0].url: board URL 'serial:///dev/novbe-boards?checksum=crc99': ")
    assert "checksum must be one of xor, sum8, lrc, none" in problem


def test_center_refuses_a_token_for_a_board_line_that_does_not_exist(
    example_raw: dict[str, Any], refuse: Refuse
) -> None:
    example_raw["devices"].append({"role": "boards", "code": "floor-2", "token_sha256": "a" * 64})
    assert refuse(example_raw) == ['devices[1] (boards "floor-2"): board line code "floor-2" is not defined']


def test_center_refuses_a_token_for_the_rating_terminal_of_no_counter(
    example_raw: dict[str, Any], refuse: Refuse
) -> None:
    example_raw["devices"].append({"role": "rating", "code": "99", "token_sha256": "b" * 64})
    assert refuse(example_raw) == ['devices[1] (rating "99"): counter number "99" is not defined']


def test_center_refuses_bad_paper_width(example_raw: dict[str, Any], refuse: Refuse) -> None:
    example_raw["kiosks"][0]["paper_mm"] = 60
    assert refuse(example_raw) == ["kiosks[0].paper_mm: Input should be 80 or 58, got 60"]


@pytest.mark.parametrize("weight", [0, -1.5])
def test_center_refuses_weight_not_above_zero(
    example_raw: dict[str, Any], refuse: Refuse, weight: float
) -> None:
    example_raw["counters"][2]["services"]["DIN-ID"] = weight
    assert refuse(example_raw) == [
        f'counters[2].services: weight of service "DIN-ID": input should be greater than 0, got {weight}'
    ]


def test_center_refuses_bad_policy_and_volume(example_raw: dict[str, Any], refuse: Refuse) -> None:
    example_raw["counters"][3]["policy"]["priority_mode"] = "vip"
    example_raw["displays"][0]["volume"] = 101
    assert refuse(example_raw) == [
        "counters[3].policy.priority_mode: Input should be 'strict', 'head_start' or 'none', got \"vip\"",
        "displays[0].volume: Input should be less than or equal to 100, got 101",
    ]


def test_center_refuses_a_wait_standard_or_rating_window_of_nothing(
    example_raw: dict[str, Any], refuse: Refuse
) -> None:
    example_raw["rules"] = {"wait_standard_min": 0, "rating_window_min": -1}
    assert refuse(example_raw) == [
        "rules.wait_standard_min: Input should be greater than 0, got 0",
        "rules.rating_window_min: Input should be greater than 0, got -1",
    ]


def test_center_without_the_new_rules_gets_their_defaults(example_raw: dict[str, Any]) -> None:
    """A center.toml written before the wait standard and the rating window still loads."""
    example_raw.pop("rules", None)
    center = Center.model_validate(example_raw)
    assert (center.rules.wait_standard_min, center.rules.rating_window_min) == (15.0, 5.0)
    assert center.to_hall().rating_window_min == 5.0


def test_center_refuses_unknown_field(example_raw: dict[str, Any], refuse: Refuse) -> None:
    example_raw["agencies"][0]["services"][0]["mean_servce_min"] = 5
    assert refuse(example_raw) == [
        "agencies[0].services[0].mean_servce_min: unknown field (misspelt, or in the wrong table?)"
    ]


def test_center_refuses_references_to_nothing(example_raw: dict[str, Any], refuse: Refuse) -> None:
    example_raw["operators"][1]["counters"] = [1, 99]
    example_raw["devices"][0]["code"] = "kiosk-7"
    assert refuse(example_raw) == [
        'operators[1] (login "op1"): counter 99 is not defined',
        'devices[0] (kiosk "kiosk-7"): kiosk code "kiosk-7" is not defined',
    ]


def test_center_reports_all_problems_together(example_raw: dict[str, Any], refuse: Refuse) -> None:
    """Problems of both kinds (a value, a reference) come in one message, in file order."""
    example_raw["hours"]["close"] = "25:00"
    example_raw["agencies"][1]["prefix"] = "A"
    del example_raw["zones"][0]["name"]["az"]
    example_raw["counters"][0]["services"] = ["DIN-XYZ"]
    example_raw["counters"][1]["number"] = 1
    example_raw["kiosks"][0]["printer"] = "http://printer"
    lines = refuse(example_raw)
    assert lines == [
        'hours.close: must be a time of day as HH:MM (00:00 to 23:59), got "25:00"',
        'zones[0].name: missing translation "az"',
        'agencies[1] (code "EDL"): ticket prefix "A" is already used by agency "DIN"',
        'counters[0] (number 1): service "DIN-XYZ" is not defined',
        "counters[1] (number 1): number 1 is already used by counters[0]",
        'kiosks[0].printer: printer URL "http://printer" has scheme "http://"; '
        "expected one of virtual://, serial://, usb://, tcp://, file://",
        'operators[1] (login "op1"): counter 2 is not defined',
    ]


def test_center_error_gives_line_numbers(tmp_path: Path) -> None:
    """In a hand-written file, each problem also names its line."""
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace('services = ["EDL-COPY"]', 'services = ["EDL-COPY", "EDL-XYZ"]')
    text = text.replace('close = "19:00"', 'close = "7pm"')
    path = tmp_path / "center.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_center(path)
    lines = text.splitlines()
    problems = info.value.problems
    assert [p.path for p in problems] == ["hours.close", "counters[3] (number 4)"]
    for problem, needle in zip(problems, ['close = "7pm"', '"EDL-XYZ"'], strict=True):
        assert problem.line is not None
        assert needle in lines[problem.line - 1]
        assert str(problem).endswith(f"(line {problem.line})")


def test_center_refuses_a_file_that_is_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "center.toml"
    path.write_text('code = "X"\nname = {\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"center\.toml: not valid TOML: .*line 2"):
        load_center(path)


def test_center_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.toml: cannot read: No such file or directory"):
        load_center(tmp_path / "nowhere.toml")


def test_center_refuses_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "center.toml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_center(path)
    assert [str(p) for p in info.value.problems] == [
        f"{field}: required field is missing" for field in ("code", "name", "zones", "agencies", "counters")
    ]


def test_center_built_directly_checks_references(example_raw: dict[str, Any]) -> None:
    """Center.model_validate applies the same cross-checks as load_center."""
    example_raw["counters"][0]["zone"] = "cellar"
    with pytest.raises(ValueError, match=r'counters\[0\]: zone "cellar" is not defined'):
        Center.model_validate(example_raw)


def test_center_example_in_the_docs_is_the_example_file() -> None:
    """docs/configuration.md shows the example center, which the tests load and init starts from."""
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    shown = doc.split("## A full example", 1)[1].split("```toml\n", 1)[1].split("```\n", 1)[0]
    assert shown == EXAMPLE.read_text(encoding="utf-8")


def test_the_example_in_examples_is_a_link_to_the_shipped_one() -> None:
    """examples/center-example.toml cannot drift from the file novbe installs: it links to it."""
    linked = ROOT / "examples" / "center-example.toml"
    assert linked.is_symlink()
    assert linked.resolve() == EXAMPLE.resolve() == (ROOT / "server" / "centers" / "example.toml").resolve()

"""``novbe device``: list a center's devices, issue or rotate one device's token, write one
device's file again; center.toml is edited in place, one line at a time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server.center import ConfigError, load_center
from server.center.provision import (
    InitResult,
    device_path,
    init_center,
    issue_token,
    list_devices,
    rewrite_device_file,
)
from server.security import hash_token
from wire.device import dump_device, load_device

Refuse = Callable[[dict[str, Any]], list[str]]


@pytest.fixture
def made(tmp_path: Path) -> InitResult:
    return init_center(tmp_path, reference=None, demo=True, server_url="ws://hall.local:9000")


def _states(home: Path) -> dict[tuple[str, str], str]:
    return {(r.role, r.code): r.state for r in list_devices(home)}


def test_list_tells_which_device_files_are_right(made: InitResult, tmp_path: Path) -> None:
    assert set(_states(tmp_path).values()) == {"ok"}
    assert {r.server_url for r in list_devices(tmp_path)} == {"ws://hall.local:9000"}
    made.device_paths["counter", "1"].unlink()
    made.device_paths["counter", "2"].write_text("role = ", encoding="utf-8")
    other = load_device(made.device_paths["counter", "4"]).model_copy(update={"token": "t" * 43})
    made.device_paths["counter", "3"].write_text(
        dump_device(other.model_copy(update={"code": "3", "counter": 3}))
    )
    states = _states(tmp_path)
    assert (states["counter", "1"], states["counter", "2"], states["counter", "3"]) == (
        "no file",
        "unreadable",
        "other token",
    )
    assert states["counter", "4"] == "ok"


def test_a_kiosk_without_a_token_is_listed_and_gets_its_first(made: InitResult, tmp_path: Path) -> None:
    center_path = tmp_path / "center.toml"
    text = center_path.read_text(encoding="utf-8")
    kiosk_hash = made.center.device("kiosk", "kiosk-1").token_sha256
    start = text.index("[[devices]]")
    block = text[start : text.index(kiosk_hash) + len(kiosk_hash) + 2]
    assert 'role = "kiosk"' in block
    assert block.count("[[devices]]") == 1
    center_path.write_text(text.replace(block, ""), encoding="utf-8")
    made.device_paths["kiosk", "kiosk-1"].unlink()
    assert _states(tmp_path)["kiosk", "kiosk-1"] == "no token"
    done = issue_token(tmp_path, "kiosk", "kiosk-1")
    assert done.issued
    config = load_device(done.path)
    assert (config.server_url, config.printer) == (
        "ws://hall.local:9000",
        made.center.kiosk("kiosk-1").printer,
    )
    assert load_center(center_path).device_by_token(config.token) is not None
    assert _states(tmp_path)["kiosk", "kiosk-1"] == "ok"


def test_rotating_a_token_changes_that_device_only(made: InitResult, tmp_path: Path) -> None:
    center_path = tmp_path / "center.toml"
    center_path.write_text("# kept by the administrator\n" + center_path.read_text(encoding="utf-8"))
    before = {p: p.read_bytes() for p in (tmp_path / "devices").iterdir()}
    done = issue_token(tmp_path, "counter", "3")
    assert not done.issued
    token = load_device(done.path).token
    assert token != made.tokens["counter", "3"]
    center = load_center(center_path)
    assert center.device("counter", "3").token_sha256 == hash_token(token)
    assert center.device_by_token(made.tokens["counter", "3"]) is None
    assert center_path.read_text(encoding="utf-8").startswith("# kept by the administrator\n")
    for path, data in before.items():
        if path != done.path:
            assert path.read_bytes() == data, path
    assert done.path.stat().st_mode & 0o777 == 0o600


def test_a_supervisor_desk_may_have_any_name(made: InitResult, tmp_path: Path) -> None:
    done = issue_token(tmp_path, "supervisor", "front-desk")
    assert done.issued
    assert done.path == device_path(tmp_path, "supervisor", "front-desk")
    assert _states(tmp_path)["supervisor", "front-desk"] == "ok"


def test_a_center_file_that_cannot_take_the_token_is_left_as_it_was(made: InitResult, tmp_path: Path) -> None:
    center_path = tmp_path / "center.toml"
    broken = center_path.read_text(encoding="utf-8") + "\ndevices_extra = 1\n"
    center_path.write_text(broken, encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown field"):
        issue_token(tmp_path, "counter", "3")
    assert center_path.read_text(encoding="utf-8") == broken
    assert load_device(made.device_paths["counter", "3"]).token == made.tokens["counter", "3"]


def test_rewriting_a_file_keeps_its_token_and_takes_center_toml_settings(
    made: InitResult, tmp_path: Path
) -> None:
    center_path = tmp_path / "center.toml"
    text = center_path.read_text(encoding="utf-8")
    old_printer = made.center.kiosk("kiosk-1").printer
    assert old_printer is not None
    center_path.write_text(text.replace(old_printer, "tcp://192.0.2.10:9100"), encoding="utf-8")
    done = rewrite_device_file(tmp_path, "kiosk", "kiosk-1")
    config = load_device(done.path)
    assert (config.token, config.printer) == (made.tokens["kiosk", "kiosk-1"], "tcp://192.0.2.10:9100")
    made.device_paths["counter", "2"].unlink()
    with pytest.raises(ConfigError, match="give it a new one with novbe device token"):
        rewrite_device_file(tmp_path, "counter", "2")


def test_each_counter_has_a_rating_terminal_whose_token_is_its_own(made: InitResult, tmp_path: Path) -> None:
    states = _states(tmp_path)
    assert [code for (role, code) in states if role == "rating"] == ["1", "2", "3", "4"]
    done = issue_token(tmp_path, "rating", "3")
    assert not done.issued
    config = load_device(done.path)
    assert (config.role, config.code, config.counter) == ("rating", "3", 3)
    center = load_center(tmp_path / "center.toml")
    assert center.device("rating", "3").token_sha256 == hash_token(config.token)
    assert load_device(made.device_paths["counter", "3"]).token == made.tokens["counter", "3"]
    with pytest.raises(
        ConfigError, match=r"there is no counter 9 for a rating terminal; add it under \[\[counters\]\]"
    ):
        issue_token(tmp_path, "rating", "9")


def test_a_kiosks_scanner_goes_from_center_toml_to_its_device_file(made: InitResult, tmp_path: Path) -> None:
    """The serial scanner that reads bookings' QR codes is set per kiosk, like its printer."""
    assert made.center.kiosk("kiosk-1").scanner is None
    center_path = tmp_path / "center.toml"
    text = center_path.read_text(encoding="utf-8")
    printer = made.center.kiosk("kiosk-1").printer
    assert printer is not None
    line = f'printer = "{printer}"'
    assert line in text
    scanner = "serial:///dev/ttyACM0?baudrate=9600"
    center_path.write_text(text.replace(line, f'{line}\nscanner = "{scanner}"', 1), encoding="utf-8")
    config = load_device(rewrite_device_file(tmp_path, "kiosk", "kiosk-1").path)
    assert config.scanner == scanner
    assert config.printer == printer


def test_a_kiosks_scanner_must_be_a_serial_url(example_raw: dict[str, Any], refuse: Refuse) -> None:
    example_raw["kiosks"][0]["scanner"] = "/dev/ttyACM0"
    [problem] = refuse(example_raw)
    assert problem.startswith("kiosks[0].scanner: ")

"""Device files: read, written, refused."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from wire.device import DeviceConfig, DeviceConfigError, QuietPeriod, dump_device, load_device

TOKEN = "k" * 43


def test_device_file_round_trips(tmp_path: Path) -> None:
    cfg = DeviceConfig.model_validate(
        {
            "role": "display",
            "code": "lobby",
            "server_url": "ws://10.0.0.2:8765",
            "token": TOKEN,
            "languages": ["ru", "az"],
            "volume": 35,
            "quiet_hours": ["22:00-07:00"],
            "voice_pack": "/usr/share/novbe/voice",
            "fullscreen": False,
            "screen_languages": ["az", "ru", "en"],
            "screen_mode": "pair",
            "screen_every_s": 7,
            "idle_images": "/srv/novbe/idle",
            "timezone": "Asia/Baku",
        }
    )
    path = tmp_path / "display-lobby.toml"
    path.write_text(dump_device(cfg), encoding="utf-8")
    assert load_device(path) == cfg
    text = path.read_text(encoding="utf-8")
    assert 'quiet_hours = ["22:00-07:00"]' in text
    assert 'screen_mode = "pair"' in text
    assert 'timezone = "Asia/Baku"' in text


def refused(path: Path, text: str) -> list[str]:
    """The problems ``load_device`` names, one a line, for a file holding ``text``."""
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DeviceConfigError) as info:
        load_device(path)
    return str(info.value).splitlines()


def test_display_file_refuses_an_unknown_time_zone_and_a_language_twice(tmp_path: Path) -> None:
    path = tmp_path / "display-lobby.toml"
    text = (
        f'role = "display"\ncode = "lobby"\nserver_url = "ws://hall:8765"\ntoken = "{TOKEN}"\n'
        'timezone = "Asia/Bakuu"\nscreen_languages = ["az", "ru", "az"]\nscreen_mode = "both"\n'
    )
    assert refused(path, text) == [
        f"{path}: screen_languages: language listed twice: az",
        f"{path}: screen_mode: Input should be 'alternate' or 'pair'",
        f'{path}: timezone: unknown time zone "Asia/Bakuu" (an IANA name such as "Asia/Baku")',
    ]


def test_device_counter_file_keeps_its_board(tmp_path: Path) -> None:
    cfg = DeviceConfig(
        role="counter",
        code="13",
        server_url="wss://hall",
        token=TOKEN,
        counter=13,
        board="serial:///dev/ttyUSB1?baudrate=9600",
        board_address=13,
    )
    path = tmp_path / "counter-13.toml"
    path.write_text(dump_device(cfg), encoding="utf-8")
    assert load_device(path) == cfg
    assert "volume" not in path.read_text(encoding="utf-8")
    assert "screen_" not in path.read_text(encoding="utf-8")


def test_quiet_period_may_wrap_midnight() -> None:
    night = QuietPeriod.model_validate("22:00-07:00")
    assert night.contains(time(23, 30))
    assert night.contains(time(6, 59))
    assert not night.contains(time(7, 0))
    lunch = QuietPeriod.model_validate("13:00-14:00")
    assert lunch.contains(time(13, 0))
    assert not lunch.contains(time(14, 0))


def test_device_refuses_a_bad_file_naming_each_problem(tmp_path: Path) -> None:
    path = tmp_path / "kiosk-1.toml"
    text = (
        'role = "kiosk"\ncode = "kiosk-1"\nserver_url = "http://hall"\ntoken = "short"\n'
        'printer = "lpt://1"\npaper_mm = 57\nvolum = 3\n'
    )
    assert refused(path, text) == [
        f'{path}: server_url: server URL must look like "ws://host:port" or "wss://host", got "http://hall"',
        f"{path}: token: String should have at least 16 characters",
        f'{path}: printer: printer URL "lpt://1" has scheme "lpt://"; '
        "expected one of virtual://, serial://, usb://, tcp://, file://",
        f"{path}: paper_mm: Input should be 80 or 58",
        f"{path}: volum: unknown field (misspelt, or in the wrong table?)",
    ]


def test_device_kiosk_without_a_printer_is_allowed(tmp_path: Path) -> None:
    """A kiosk whose printer is not configured yet still starts (and says so on screen)."""
    path = tmp_path / "kiosk-1.toml"
    path.write_text(
        f'role = "kiosk"\ncode = "kiosk-1"\nserver_url = "ws://hall"\ntoken = "{TOKEN}"\n', encoding="utf-8"
    )
    assert load_device(path).printer is None


def test_device_refuses_a_server_url_with_a_wrong_port(tmp_path: Path) -> None:
    path = tmp_path / "kiosk-1.toml"
    path.write_text(
        f'role = "kiosk"\ncode = "kiosk-1"\nserver_url = "ws://hall:99999"\ntoken = "{TOKEN}"\n',
        encoding="utf-8",
    )
    with pytest.raises(DeviceConfigError, match="wrong port"):
        load_device(path)


def test_device_refuses_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(DeviceConfigError, match="cannot read"):
        load_device(tmp_path / "none.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("role = \n", encoding="utf-8")
    with pytest.raises(DeviceConfigError, match="not valid TOML"):
        load_device(broken)


def test_device_rating_terminal_needs_its_counter(tmp_path: Path) -> None:
    path = tmp_path / "rating-12.toml"
    path.write_text(
        'role = "rating"\ncode = "12"\nserver_url = "ws://hall.local:8765"\ntoken = "' + "t" * 43 + '"\n',
        encoding="utf-8",
    )
    with pytest.raises(DeviceConfigError, match='a rating terminal needs "counter"'):
        load_device(path)

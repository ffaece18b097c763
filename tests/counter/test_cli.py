"""``novbe counter`` refuses a wrong device file before opening any window."""

from __future__ import annotations

from pathlib import Path

import pytest

from novbe.cli import main as novbe


def test_missing_device_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert novbe(["counter", "--device", str(tmp_path / "counter-12.toml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_kiosk_file_is_not_a_counters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        'role = "kiosk"\ncode = "kiosk-1"\nserver_url = "ws://127.0.0.1:1"\n'
        'token = "0123456789abcdef0123"\nprinter = "virtual:///tmp/t"\n',
        encoding="utf-8",
    )
    assert novbe(["counter", "--device", str(path)]) == 2
    assert "the file of a kiosk, not of a counter" in capsys.readouterr().err

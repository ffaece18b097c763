from __future__ import annotations

from datetime import datetime, time

import pytest

from display.announce import AudioPolicy, volume_gain


def at(hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 11, 23, hh, mm)


def test_quiet_hours_start_included_end_excluded():
    policy = AudioPolicy(volume=70, quiet_hours=[(time(13, 0), time(14, 0))], quiet_volume=0)
    assert policy.volume_at(at(12, 59)) == 70
    assert policy.volume_at(at(13, 0)) == 0
    assert policy.volume_at(at(13, 59)) == 0
    assert policy.volume_at(at(14, 0)) == 70


def test_several_intervals_and_one_across_midnight():
    policy = AudioPolicy(volume=90, quiet_hours=[(time(13), time(14)), (time(22), time(7))], quiet_volume=20)
    assert policy.volume_at(at(23, 30)) == 20
    assert policy.volume_at(at(0, 0)) == 20
    assert policy.volume_at(at(6, 59)) == 20
    assert policy.volume_at(at(7, 0)) == 90
    assert policy.volume_at(time(13, 15)) == 20
    assert policy.is_quiet(at(21, 59)) is False


def test_volume_bounds_and_curve():
    with pytest.raises(ValueError, match=r"0\.\.100"):
        AudioPolicy(volume=101)
    with pytest.raises(ValueError, match=r"0\.\.100"):
        AudioPolicy(quiet_volume=-1)
    assert AudioPolicy().volume_at(at(13)) == 80
    assert volume_gain(100) == 1.0
    assert volume_gain(0) == 0.0
    assert volume_gain(50) == pytest.approx(0.25)

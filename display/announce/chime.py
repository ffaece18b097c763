"""The chime played before a call: a two-tone "ding-dong", generated, or a center's own WAV."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from display.announce.audio import Samples, read_wav, resample, trim

DING_HZ = 659.25
"""E5, then C5: a falling major third, the classic doorbell interval that halls know."""
DONG_HZ = 523.25
CHIME_PEAK = 0.6
"""Below the speech peak (0.7): the chime calls attention, the words carry the message."""

# Bell-like partials (ratio to the fundamental, relative amplitude, decay time constant in s).
_PARTIALS = ((1.0, 1.0, 0.45), (2.0, 0.35, 0.18), (3.0, 0.12, 0.09), (4.2, 0.05, 0.05))


def _bell(freq: float, seconds: float, rate: int) -> Samples:
    t = np.arange(int(seconds * rate), dtype=np.float64) / rate
    tone = np.zeros_like(t)
    for ratio, amp, tau in _PARTIALS:
        tone += amp * np.exp(-t / tau) * np.sin(2 * np.pi * freq * ratio * t)
    attack = min(len(t), int(0.004 * rate))
    # A few milliseconds of attack so the strike does not click on cheap speakers.
    tone[:attack] *= np.linspace(0.0, 1.0, attack)
    return tone.astype(np.float32)


@functools.lru_cache(maxsize=8)
def _chime(rate: int) -> Samples:
    ding = _bell(DING_HZ, 0.55, rate)
    dong = _bell(DONG_HZ, 0.75, rate)
    offset = int(0.38 * rate)
    out = np.zeros(offset + len(dong), dtype=np.float32)
    out[: len(ding)] += ding
    out[offset:] += dong
    fade = int(0.05 * rate)
    out[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    out *= CHIME_PEAK / float(np.max(np.abs(out)))
    out.flags.writeable = False
    return out


def chime(rate: int) -> Samples:
    """The generated ding-dong at ``rate`` (about 1.1 s). Cached; read-only."""
    return _chime(rate)


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int, rate: int) -> Samples:
    samples, src_rate = read_wav(Path(path))
    out = resample(trim(samples, src_rate), src_rate, rate)
    out.flags.writeable = False
    return out


def load_chime(path: Path, rate: int) -> Samples:
    """A center's own chime WAV, trimmed and resampled to ``rate``; cached until the file changes.

    Raises ``OSError`` or ``ValueError`` when the file is missing or not a PCM WAV.
    """
    return _load(str(path), path.stat().st_mtime_ns, rate)

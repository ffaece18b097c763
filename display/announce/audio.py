"""Small PCM helpers: read and write WAV files as float32 mono, trim, resample, normalize."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]
"""Mono audio, float32 in [-1, 1]."""

DEFAULT_RATE = 22_050


def read_wav(path: Path) -> tuple[Samples, int]:
    """Read an integer PCM WAV (8/16/24/32-bit, any channel count) as mono float32 and its rate.

    Raises ``ValueError`` for what the stdlib ``wave`` module cannot read (float or compressed
    WAV) and ``OSError`` when the file cannot be opened.
    """
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, rate, frames = (
                w.getnchannels(),
                w.getsampwidth(),
                w.getframerate(),
                w.getnframes(),
            )
            raw = w.readframes(frames)
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"{path.name}: not an integer PCM WAV ({exc})") from exc
    if width == 1:
        data = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        data = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        ints = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        ints = np.where(ints & 0x800000, ints - 0x1000000, ints)
        data = ints.astype(np.float32) / 8_388_608.0
    elif width == 4:
        data = (np.frombuffer(raw, "<i4").astype(np.float64) / 2_147_483_648.0).astype(np.float32)
    else:
        raise ValueError(f"{path.name}: unsupported sample width {width}")
    if channels > 1:
        data = data[: len(data) // channels * channels].reshape(-1, channels).mean(axis=1, dtype=np.float32)
    return np.ascontiguousarray(data, dtype=np.float32), rate


def to_pcm16(samples: Samples) -> bytes:
    """Float samples to 16-bit little-endian PCM, clipped rather than wrapped."""
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def wav_bytes(pcm16: bytes, rate: int) -> bytes:
    """A complete mono 16-bit WAV file holding ``pcm16``."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm16)
    return buf.getvalue()


def write_wav(path: Path, samples: Samples, rate: int) -> None:
    path.write_bytes(wav_bytes(to_pcm16(samples), rate))


def resample(samples: Samples, src_rate: int, dst_rate: int) -> Samples:
    """Linear-interpolation resampling: enough for speech clips and a chime, and cheap."""
    if src_rate == dst_rate or len(samples) == 0:
        return samples
    n_out = max(1, round(len(samples) * dst_rate / src_rate))
    positions = np.arange(n_out, dtype=np.float64) * (src_rate / dst_rate)
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


def trim(samples: Samples, rate: int, threshold: float = 0.02, keep_s: float = 0.015) -> Samples:
    """Cut leading and trailing silence so that joined words follow each other naturally.

    A sample counts as sound when its magnitude exceeds ``threshold`` times the clip's peak;
    ``keep_s`` of margin is kept on each side so that soft onsets and endings are not clipped.
    """
    if len(samples) == 0:
        return samples
    peak = float(np.max(np.abs(samples)))
    if peak == 0.0:
        return samples[:0]
    loud = np.flatnonzero(np.abs(samples) > threshold * peak)
    keep = int(keep_s * rate)
    start = max(0, int(loud[0]) - keep)
    end = min(len(samples), int(loud[-1]) + 1 + keep)
    out = samples[start:end].copy()
    # Short fades so the cut never clicks.
    fade = min(len(out) // 2, int(0.005 * rate))
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        out[:fade] *= ramp
        out[-fade:] *= ramp[::-1]
    return out


def normalize(samples: Samples, peak: float = 0.7) -> Samples:
    """Scale to a common peak level, so all clips of a pack sound equally loud."""
    top = float(np.max(np.abs(samples))) if len(samples) else 0.0
    if top == 0.0:
        return samples
    return (samples * (peak / top)).astype(np.float32)


def rms(samples: Samples) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0

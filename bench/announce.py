"""Compose and render one az+ru announcement ("A015 -> 12") to a WAV file: p50/p95.

Cold: a fresh pack object, so every clip is read from disk, as after a display starts.
Warm: clips in memory, as for every later call. The espeak-ng packs are generated first.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path

from display.announce import Call, VoicePack, build_pack, compose, espeak_available


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _report(name: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(
        f"   {name}: p50 {statistics.median(ms):.1f} ms, p95 {_pct(ms, 0.95):.1f} ms, "
        f"max {max(ms):.1f} ms ({len(ms)} runs)"
    )


def main() -> None:
    if not espeak_available():
        print("   skipped: espeak-ng is not installed (Debian package espeak-ng)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        for lang in ("az", "ru"):
            build_pack(root / "voices", lang)
        print(f"   building the az and ru packs with espeak-ng: {time.perf_counter() - started:.1f} s")

        cold = []
        for _ in range(20):
            packs = [VoicePack.load(root / "voices" / "az"), VoicePack.load(root / "voices" / "ru")]
            t = time.perf_counter()
            compose(Call("A015", 12), packs, ["az", "ru"]).render_wav(root / "out.wav")
            cold.append(time.perf_counter() - t)
        _report("compose+render A015 -> 12, az+ru, cold", cold)

        rng = random.Random(1)
        warm = []
        duration = 0.0
        for _ in range(300):
            call = Call(f"{rng.choice('ABCDEFGH')}{rng.randint(1, 999):03d}", rng.randint(1, 99))
            t = time.perf_counter()
            announcement = compose(call, packs, ["az", "ru"])
            announcement.render_wav(root / "out.wav")
            warm.append(time.perf_counter() - t)
            duration += announcement.duration
        _report("compose+render random calls, az+ru, warm", warm)
        print(f"   mean announcement length {duration / len(warm):.1f} s")

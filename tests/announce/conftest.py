"""Voice packs for the announcement tests: the espeak-ng one (built once) and synthetic tone packs."""

from __future__ import annotations

import shutil
import wave
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pytest

from display.announce import VoicePack, build_pack
from display.announce.numerals import all_keys
from wire.types import LANGS, Lang

TONE_RATE = 16_000
TONE_SECONDS = 0.2


def tone_hz(index: int) -> float:
    """Distinct tones 50 Hz apart, well away from the chime's 523 and 659 Hz and their overtones."""
    return 1_500.0 + 50.0 * index


def write_tone_pack(
    root: Path, lang: Lang, keys: Iterable[str], rate: int = TONE_RATE, manifest: bool = True
) -> dict[str, float]:
    """A pack whose clip for each key is a pure tone of its own; returns key -> frequency."""
    root.mkdir(parents=True, exist_ok=True)
    freqs: dict[str, float] = {}
    files: dict[str, str] = {}
    t = np.arange(int(TONE_SECONDS * rate)) / rate
    for i, key in enumerate(dict.fromkeys(keys)):
        freqs[key] = tone_hz(i)
        files[key] = f"clip{i:03d}.wav"
        with wave.open(str(root / files[key]), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes((0.5 * 32767 * np.sin(2 * np.pi * freqs[key] * t)).astype("<i2").tobytes())
    if manifest:
        lines = [f'language = "{lang}"', f"sample_rate = {rate}", 'voice = "tones"', "", "[clips]"]
        lines += [f'"{key}" = "{name}"' for key, name in files.items()]
        (root / "manifest.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return freqs


@pytest.fixture
def tone_pack(tmp_path: Path) -> Callable[..., tuple[VoicePack, dict[str, float]]]:
    def make(lang: Lang, keys: Iterable[str] | None = None, rate: int = TONE_RATE, name: str = "tones"):
        freqs = write_tone_pack(tmp_path / name / lang, lang, all_keys(lang) if keys is None else keys, rate)
        return VoicePack.load(tmp_path / name / lang), freqs

    return make


@pytest.fixture(scope="session")
def espeak_packs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, VoicePack]:
    """The default packs of all three languages, generated once per test session."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (Debian package espeak-ng): no generated voice pack")
    root = tmp_path_factory.mktemp("voices")
    return {lang: build_pack(root, lang) for lang in LANGS}

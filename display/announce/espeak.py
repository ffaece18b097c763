"""The default voice packs, generated with espeak-ng (Debian package ``espeak-ng``)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from display.announce.audio import DEFAULT_RATE, normalize, read_wav, resample, trim, write_wav
from display.announce.numerals import all_keys, spoken_text
from display.announce.pack import (
    MANIFEST,
    PackError,
    VoicePack,
    default_filenames,
    load_packs,
    write_manifest,
)
from wire.types import LANGS, Lang

log = logging.getLogger(__name__)

ESPEAK = "espeak-ng"
SPEED_WPM = 150
"""Slower than espeak-ng's 175: a hall is reverberant and listeners are not all native speakers."""
CLIP_PEAK = 0.7


class EspeakMissing(RuntimeError):
    """espeak-ng is not installed (Debian package ``espeak-ng``)."""


def espeak_available() -> bool:
    return shutil.which(ESPEAK) is not None


def voice_name(lang: Lang) -> str:
    return f"espeak-ng {lang}"


def _synthesize(text: str, lang: Lang, target: Path, rate: int) -> None:
    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        subprocess.run(
            [ESPEAK, "-v", lang, "-s", str(SPEED_WPM), "-w", tmp.name, text],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=30,
        )
        samples, src_rate = read_wav(Path(tmp.name))
    samples = normalize(trim(resample(samples, src_rate, rate), rate), CLIP_PEAK)
    write_wav(target, samples, rate)


def build_pack(
    out_dir: Path | str,
    lang: Lang,
    keys: Iterable[str] | None = None,
    rate: int = DEFAULT_RATE,
    jobs: int | None = None,
) -> VoicePack:
    """Write the espeak-ng pack of ``lang`` into ``out_dir/lang`` and return it.

    ``keys`` limits the clips made (all that any call can need by default). The manifest always
    lists only the clips written. Raises ``EspeakMissing`` when espeak-ng is absent.
    """
    if not espeak_available():
        raise EspeakMissing("espeak-ng is not installed (Debian package espeak-ng)")
    wanted = list(dict.fromkeys(keys)) if keys is not None else all_keys(lang)
    names = default_filenames(all_keys(lang))
    names.update({k: v for k, v in default_filenames(wanted).items() if k not in names})
    root = Path(out_dir) / lang
    root.mkdir(parents=True, exist_ok=True)
    # espeak-ng is one process per clip; a few in parallel use the cores while others start up.
    with ThreadPoolExecutor(max_workers=jobs or min(8, (os.cpu_count() or 2) * 2)) as pool:
        futures = [
            pool.submit(_synthesize, spoken_text(key, lang), lang, root / names[key], rate) for key in wanted
        ]
        for future in futures:
            future.result()
    write_manifest(root, lang, rate, voice_name(lang), {key: names[key] for key in wanted})
    return VoicePack.load(root, lang)


def build_packs(out_dir: Path | str, languages: Iterable[Lang] = LANGS) -> list[VoicePack]:
    return [build_pack(out_dir, lang) for lang in languages]


def default_voice_dir() -> Path:
    """Where the generated packs live: ``$NOVBE_VOICE_DIR``, else the user's cache directory."""
    env = os.environ.get("NOVBE_VOICE_DIR")
    if env:
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "novbe" / "voices"


def ensure_default_packs(languages: Sequence[Lang], directory: Path | None = None) -> list[VoicePack]:
    """The generated packs of ``languages``, built first where missing or incomplete.

    Takes a few seconds per language the first time; returns what it could (possibly nothing)
    when espeak-ng is absent or fails, so a display still starts and chimes.
    """
    root = directory or default_voice_dir()
    for lang in languages:
        complete = False
        if (root / lang / MANIFEST).exists():
            try:
                complete = not VoicePack.load(root / lang, lang).missing(all_keys(lang))
            except PackError:
                complete = False
        if complete:
            continue
        try:
            build_pack(root, lang)
        except (EspeakMissing, OSError, ValueError, subprocess.SubprocessError) as exc:
            log.warning("cannot build the %s voice pack in %s: %s", lang, root, exc)
    return load_packs(root, languages)


def recording_list(lang: Lang) -> list[tuple[str, str, str]]:
    """(file name, clip key, what to say) for every clip of a ``lang`` pack."""
    names = default_filenames(all_keys(lang))
    return [(names[key], key, spoken_text(key, lang)) for key in all_keys(lang)]

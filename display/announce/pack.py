"""Voice packs: one directory per language of short recorded clips, described by a manifest.

Layout of a pack directory (for example ``voices/az/``)::

    manifest.toml     language, sample_rate, voice, and the [clips] table: key = "file.wav"
    bes.wav           one clip per key, mono 16-bit PCM

A directory of voice packs holds one such directory per language (``voices/az``, ``voices/ru``).
A pack without a manifest is accepted too: its language is the directory's name and its clips use
the standard file names (``default_filename``), so a center can drop in recordings named as
``python -m display.announce.build_pack --list az`` prints them.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from display.announce.audio import DEFAULT_RATE, Samples, read_wav, resample, trim
from display.announce.numerals import LETTERS, all_keys
from wire.types import LANGS, Lang

log = logging.getLogger(__name__)

MANIFEST = "manifest.toml"

_TRANSLIT = {
    # Azerbaijani letters outside ASCII.
    "ə": "e",
    "ı": "i",
    "ş": "sh",
    "ç": "ch",
    "ğ": "gh",
    "ö": "o",
    "ü": "u",
    # Russian.
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "yo",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}


class PackError(Exception):
    """A pack directory that cannot be used at all (no such directory, unreadable manifest)."""


def _ascii_stem(key: str) -> str:
    if len(key) == 1 and key in LETTERS:
        return f"letter_{key.lower()}"
    stem = "".join(_TRANSLIT.get(ch, ch) for ch in key.lower())
    stem = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in stem)
    return stem or "clip"


def default_filenames(keys: Iterable[str]) -> dict[str, str]:
    """Safe ASCII file names for clip keys ("beş" -> "besh.wav", "A" -> "letter_a.wav").

    Keys whose transliterations collide get a numeric suffix, in the order given.
    """
    names: dict[str, str] = {}
    used: set[str] = set()
    for key in keys:
        stem = base = _ascii_stem(key)
        n = 2
        while stem in used:
            stem, n = f"{base}_{n}", n + 1
        used.add(stem)
        names[key] = f"{stem}.wav"
    return names


def default_filename(key: str, lang: Lang) -> str:
    """The standard file name of ``key`` in a pack of ``lang``."""
    return default_filenames(all_keys(lang)).get(key) or default_filenames([key])[key]


def write_manifest(
    directory: Path, language: Lang, sample_rate: int, voice: str, files: Mapping[str, str]
) -> None:
    doc = {"language": language, "sample_rate": sample_rate, "voice": voice, "clips": dict(files)}
    (directory / MANIFEST).write_text(tomli_w.dumps(doc), encoding="utf-8")


@dataclass(eq=False)
class VoicePack:
    """The clips of one voice in one language. Clips are read on first use and kept in memory."""

    root: Path
    language: Lang
    sample_rate: int = DEFAULT_RATE
    voice: str = ""
    files: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    """Why a clip is unusable, by key (missing file, unreadable WAV), once it was looked at."""
    _clips: dict[str, tuple[Samples, int]] = field(default_factory=dict, repr=False)
    _resampled: dict[tuple[str, int], Samples] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, directory: Path | str, language: Lang | None = None) -> VoicePack:
        """Open the pack in ``directory``. Raises ``PackError`` if it is unusable as a whole."""
        root = Path(directory)
        if not root.is_dir():
            raise PackError(f"no voice pack directory {root}")
        manifest = root / MANIFEST
        doc: dict[str, object] = {}
        if manifest.exists():
            try:
                doc = tomllib.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise PackError(f"{manifest}: {exc}") from exc
        lang = doc.get("language", language or root.name)
        if lang not in LANGS:
            raise PackError(f"{root}: unknown language {lang!r} (expected one of {', '.join(LANGS)})")
        if language is not None and lang != language:
            raise PackError(f"{root}: a pack for {lang!r}, not {language!r}")
        rate = doc.get("sample_rate", DEFAULT_RATE)
        voice = doc.get("voice", root.name)
        clips = doc.get("clips", {})
        if (
            not isinstance(rate, int)
            or rate <= 0
            or not isinstance(voice, str)
            or not isinstance(clips, dict)
        ):
            raise PackError(
                f"{manifest}: sample_rate must be a positive integer, voice a string, clips a table"
            )
        files = default_filenames(all_keys(lang))
        files.update({str(k): str(v) for k, v in clips.items()})
        return cls(root=root, language=lang, sample_rate=rate, voice=voice, files=files)

    def keys(self) -> list[str]:
        return list(self.files)

    def _read(self, key: str) -> tuple[Samples, int] | None:
        if key in self._clips:
            return self._clips[key]
        if key in self.problems:
            return None
        name = self.files.get(key)
        if name is None:
            self.problems[key] = "not in the manifest"
            return None
        path = self.root / name
        try:
            samples, rate = read_wav(path)
        except FileNotFoundError:
            self.problems[key] = f"no file {name}"
            return None
        except (OSError, ValueError) as exc:
            self.problems[key] = str(exc)
            return None
        samples = trim(samples, rate)
        if len(samples) == 0:
            self.problems[key] = f"{name} is silent"
            return None
        samples.flags.writeable = False
        self._clips[key] = (samples, rate)
        return self._clips[key]

    def missing(self, keys: Iterable[str]) -> list[str]:
        """The keys among ``keys`` this pack cannot say (absent, unreadable or silent clips)."""
        return [key for key in dict.fromkeys(keys) if self._read(key) is None]

    def clip(self, key: str, rate: int) -> Samples:
        """The trimmed clip of ``key`` at ``rate``. Raises ``KeyError`` if the pack lacks it."""
        cached = self._resampled.get((key, rate))
        if cached is not None:
            return cached
        found = self._read(key)
        if found is None:
            raise KeyError(f"{self.root}: no usable clip for {key!r}: {self.problems[key]}")
        samples, src_rate = found
        out = resample(samples, src_rate, rate)
        out.flags.writeable = False
        self._resampled[(key, rate)] = out
        return out

    def clip_rate(self, key: str) -> int:
        """The sample rate the clip of ``key`` was recorded at (the manifest's when unreadable)."""
        found = self._read(key)
        return found[1] if found else self.sample_rate


def load_packs(directory: Path | str, languages: Iterable[Lang] = LANGS) -> list[VoicePack]:
    """The packs found in a directory of packs (one subdirectory per language), in ``languages`` order.

    Languages whose pack is absent or unusable are left out and logged, never raised: a display
    must keep running (and chiming) with whatever voices it has.
    """
    packs = []
    for lang in languages:
        sub = Path(directory) / lang
        if not sub.is_dir():
            continue
        try:
            packs.append(VoicePack.load(sub, lang))
        except PackError as exc:
            log.warning("voice pack ignored: %s", exc)
    return packs

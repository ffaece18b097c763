"""Compose a call into one audio announcement: chime, then the call in each language."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path

import numpy as np

from display.announce.audio import DEFAULT_RATE, Samples, to_pcm16, wav_bytes
from display.announce.chime import chime as generated_chime, load_chime
from display.announce.numerals import call_parts
from display.announce.pack import VoicePack
from wire.types import Lang

log = logging.getLogger(__name__)

WORD_GAP_S = 0.04
"""Between words of a phrase: short, since espeak-ng and studio clips both end with a soft tail."""
PHRASE_GAP_S = 0.25
"""Where the written phrase has its comma: after the ticket, before the counter."""
LANGUAGE_GAP_S = 0.4
AFTER_CHIME_S = 0.2
LEAD_S = 0.35
"""Silence before a call that follows the one before without a chime: with the tail of the one
before and the player's restart, about half a second between two calls."""
TAIL_S = 0.15
"""Silence at the end, so that a player that stops early never cuts the last word."""


@dataclass(frozen=True, slots=True)
class Call:
    """A ticket called to a counter: what is announced. ``number`` is the display number ("A015")."""

    number: str
    counter: int
    recall: bool = False
    lang: Lang | None = None
    """The language the citizen took the ticket in; None when unknown."""


def spoken_languages(call: Call, languages: Sequence[Lang], *, first_only: bool = False) -> list[Lang]:
    """The languages ``call`` is said in: the first of ``languages`` (the hall's) always, then
    the citizen's own when it is another of ``languages``.

    A call whose language is unknown is said in every one of ``languages``, so that nobody
    misses it; ``first_only`` says it in the first alone (the hall is behind, see
    ``AnnouncementQueue``).
    """
    if not languages:
        return []
    first = languages[0]
    if first_only:
        return [first]
    if call.lang is None:
        return list(languages)
    return [first] if call.lang == first or call.lang not in languages else [first, call.lang]


@dataclass(frozen=True, slots=True)
class Segment:
    """One sound of an announcement, at a place in its timeline (seconds from the start)."""

    kind: str
    """"chime" or "clip"."""
    key: str
    lang: str
    start: float
    end: float


def volume_gain(volume: int) -> float:
    """Amplitude factor for a 0-100 volume. Squared, because loudness is heard on a log scale:
    50 is a quarter of the amplitude (-12 dB), which sounds about half as loud."""
    return (max(0, min(100, volume)) / 100.0) ** 2


@dataclass(frozen=True)
class AudioPolicy:
    """How loud the hall hears calls, and when it should not hear them.

    ``quiet_hours`` are (start, end) local times, start included, end excluded; an interval may
    cross midnight ((22:00, 07:00)). During quiet hours ``quiet_volume`` applies; 0 means calls
    are shown but not announced.
    """

    volume: int = 80
    quiet_hours: Sequence[tuple[time, time]] = ()
    quiet_volume: int = 0

    def __post_init__(self) -> None:
        for v in (self.volume, self.quiet_volume):
            if not 0 <= v <= 100:
                raise ValueError(f"volume must be within 0..100, not {v}")
        object.__setattr__(self, "quiet_hours", tuple((a, b) for a, b in self.quiet_hours))

    def is_quiet(self, when: datetime | time) -> bool:
        t = when.time() if isinstance(when, datetime) else when
        t = t.replace(tzinfo=None)
        for start, end in self.quiet_hours:
            start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
            if start <= end:
                if start <= t < end:
                    return True
            elif t >= start or t < end:
                return True
        return False

    def volume_at(self, when: datetime | time) -> int:
        """The effective volume (0-100) at a local wall-clock time."""
        return self.quiet_volume if self.is_quiet(when) else self.volume


class Announcement:
    """The sound of one call, ready to render. Rendering happens once, on first ``pcm()``."""

    def __init__(
        self,
        call: Call,
        *,
        sample_rate: int,
        parts: list[tuple[Segment, Samples]],
        words: dict[str, list[str]],
        volume: int,
        skipped: bool,
        problems: list[str],
    ) -> None:
        self.call = call
        self.sample_rate = sample_rate
        self.words = words
        """The clip keys spoken, per language (only the languages actually spoken)."""
        self.volume = volume
        self.skipped = skipped
        """True when nothing is to be played (quiet hours, volume 0, or nothing to say)."""
        self.problems = problems
        """Why a language was not spoken or the chime replaced: for the display's log."""
        self._parts = parts
        self._pcm: bytes | None = None

    @property
    def segments(self) -> list[Segment]:
        return [seg for seg, _ in self._parts]

    @property
    def duration(self) -> float:
        """Seconds of audio that ``pcm()`` holds (0 when skipped)."""
        if self.skipped or not self._parts:
            return 0.0
        return self._parts[-1][0].end + TAIL_S

    @property
    def audible(self) -> bool:
        return not self.skipped and self.duration > 0

    def pcm(self) -> bytes:
        """Mono 16-bit little-endian PCM at ``sample_rate``, volume applied; empty when skipped."""
        if self._pcm is None:
            if not self.audible:
                self._pcm = b""
            else:
                out = np.zeros(round(self.duration * self.sample_rate), dtype=np.float32)
                for seg, samples in self._parts:
                    start = round(seg.start * self.sample_rate)
                    out[start : start + len(samples)] += samples[: len(out) - start]
                out *= volume_gain(self.volume)
                self._pcm = to_pcm16(out)
        return self._pcm

    def wav(self) -> bytes:
        """The whole WAV file (mono, 16-bit PCM), for players that take a buffer."""
        return wav_bytes(self.pcm(), self.sample_rate)

    def render_wav(self, path: Path | str) -> Path:
        """Write the announcement as a WAV file (an empty one when skipped) and return its path."""
        target = Path(path)
        target.write_bytes(self.wav())
        return target

    def __repr__(self) -> str:
        state = "skipped" if self.skipped else f"{self.duration:.2f} s at volume {self.volume}"
        return f"<Announcement {self.call.number} -> {self.call.counter}: {state}, {self.words}>"


def _pick_pack(
    packs: Sequence[VoicePack], lang: Lang, keys: list[str], problems: list[str]
) -> VoicePack | None:
    # One voice per sentence: a phrase stitched from two voices sounds broken, so a language is
    # said by the first pack (the center's own before the generated one) that has every clip.
    for pack in packs:
        if pack.language != lang:
            continue
        missing = pack.missing(keys)
        if not missing:
            return pack
        problems.append(f"{lang}: pack {pack.root} lacks {', '.join(missing)}")
    return None


def compose(
    call: Call,
    packs: VoicePack | Iterable[VoicePack],
    languages: Sequence[Lang] = ("az", "ru"),
    chime: bool | Path = True,
    volume: int = 100,
    lead: float = 0.0,
) -> Announcement:
    """Build the announcement of ``call``: chime, then the call said in each of ``languages``.

    ``packs`` are tried in order for each language (put a center's own pack before the default
    one). A language no pack can say completely is left out; with no language left the
    announcement is the chime alone. ``chime`` is True for the generated ding-dong, a path to a
    center's WAV, or False for none; ``lead`` is seconds of silence before everything. Never
    raises for missing or broken voice files.
    """
    pack_list = [packs] if isinstance(packs, VoicePack) else list(packs)
    problems: list[str] = []
    chosen: list[tuple[Lang, VoicePack, list[str], list[str]]] = []
    for lang in languages:
        try:
            ticket, desk = call_parts(call.number, call.counter, lang)
        except ValueError as exc:
            problems.append(f"{lang}: {exc}")
            continue
        pack = _pick_pack(pack_list, lang, ticket + desk, problems)
        if pack is None:
            problems.append(f"{lang}: no voice pack can say it; not spoken")
            continue
        chosen.append((lang, pack, ticket, desk))

    # Never lower the quality of a recording: render at the highest rate among the voices used.
    rates = [pack.clip_rate(key) for _, pack, t, d in chosen for key in t + d]
    rate = max(rates, default=DEFAULT_RATE)

    parts: list[tuple[Segment, Samples]] = []
    cursor = lead

    def add(kind: str, key: str, lang: str, samples: Samples) -> None:
        nonlocal cursor
        end = cursor + len(samples) / rate
        parts.append((Segment(kind, key, lang, cursor, end), samples))
        cursor = end

    if chime is not False:
        ding: Samples | None = None
        if isinstance(chime, Path):
            try:
                ding = load_chime(chime, rate)
            except (OSError, ValueError) as exc:
                problems.append(f"chime {chime}: {exc}; the generated chime is used")
        add("chime", "chime", "", ding if ding is not None else generated_chime(rate))
        cursor += AFTER_CHIME_S
    words: dict[str, list[str]] = {}
    for i, (lang, pack, ticket, desk) in enumerate(chosen):
        if i:
            cursor += LANGUAGE_GAP_S
        for j, phrase in enumerate((ticket, desk)):
            if j:
                cursor += PHRASE_GAP_S
            for k, key in enumerate(phrase):
                if k:
                    cursor += WORD_GAP_S
                add("clip", key, lang, pack.clip(key, rate))
        words[lang] = ticket + desk

    for problem in problems:
        log.info("announcement of %s -> %s: %s", call.number, call.counter, problem)
    return Announcement(
        call,
        sample_rate=rate,
        parts=parts,
        words=words,
        volume=volume,
        skipped=volume <= 0 or not parts,
        problems=problems,
    )


@dataclass
class Composer:
    """A display's announcement settings in one place: voices, languages, chime and policy.

    ``languages``: the first says every call, each other one only the calls of tickets taken in
    it (:func:`spoken_languages`).
    """

    packs: list[VoicePack] = field(default_factory=list)
    languages: Sequence[Lang] = ("az", "ru", "en")
    policy: AudioPolicy = field(default_factory=AudioPolicy)
    chime: bool | Path = True

    def compose(
        self, call: Call, now: datetime, *, chained: bool = False, first_only: bool = False
    ) -> Announcement:
        """The announcement of ``call`` at local time ``now`` (quiet hours apply).

        ``chained``: it follows the announcement before at once, so it goes without the chime
        (the hall is listening already) after a short silence. ``first_only``: the hall is
        behind, so it is said in the first language only.
        """
        volume = self.policy.volume_at(now)
        if volume <= 0:
            # Nothing will be heard: skip reading clips and rendering.
            return Announcement(
                call, sample_rate=DEFAULT_RATE, parts=[], words={}, volume=0, skipped=True, problems=[]
            )
        languages = spoken_languages(call, self.languages, first_only=first_only)
        if chained:
            announcement = compose(call, self.packs, languages, False, volume, lead=LEAD_S)
            if announcement.words:
                return announcement
            # No voice can say it: the chime alone is the call.
        return compose(call, self.packs, languages, self.chime, volume)

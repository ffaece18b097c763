"""What the hall hears: calls composed from voice-pack clips into one WAV per announcement.

No Qt here: the display window renders an ``Announcement`` to a WAV file and plays it with
QMediaPlayer. See docs/announcements.md.
"""

from __future__ import annotations

from display.announce.chime import chime, load_chime
from display.announce.compose import (
    Announcement,
    AudioPolicy,
    Call,
    Composer,
    Segment,
    compose,
    spoken_languages,
    volume_gain,
)
from display.announce.espeak import build_pack, default_voice_dir, ensure_default_packs, espeak_available
from display.announce.numerals import all_keys, call_parts, call_words, parse_ticket, words
from display.announce.pack import PackError, VoicePack, load_packs
from display.announce.queueing import AnnouncementQueue

__all__ = [
    "Announcement",
    "AnnouncementQueue",
    "AudioPolicy",
    "Call",
    "Composer",
    "PackError",
    "Segment",
    "VoicePack",
    "all_keys",
    "build_pack",
    "call_parts",
    "call_words",
    "chime",
    "compose",
    "default_voice_dir",
    "ensure_default_packs",
    "espeak_available",
    "load_chime",
    "load_packs",
    "parse_ticket",
    "spoken_languages",
    "volume_gain",
    "words",
]

from __future__ import annotations

import itertools
import wave
from datetime import datetime, time
from pathlib import Path

import numpy as np
import pytest

from display.announce import (
    AudioPolicy,
    Call,
    Composer,
    VoicePack,
    call_words,
    chime,
    compose,
    spoken_languages,
)
from display.announce.chime import DING_HZ, DONG_HZ
from display.announce.compose import AFTER_CHIME_S, LANGUAGE_GAP_S, LEAD_S, PHRASE_GAP_S, TAIL_S, WORD_GAP_S
from display.announce.numerals import call_parts
from tests.announce.conftest import TONE_RATE, write_tone_pack


def read(path: Path) -> tuple[np.ndarray, int, wave._wave_params]:
    with wave.open(str(path), "rb") as w:
        params = w.getparams()
        data = np.frombuffer(w.readframes(params.nframes), "<i2").astype(np.float64) / 32768
    return data, params.framerate, params


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2))) if len(x) else 0.0


def dominant_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[int(np.argmax(spectrum))])


def expected_speech_seconds(clip_seconds: list[list[list[float]]]) -> float:
    """Speech time from clip lengths per language, per phrase, with the documented gaps."""
    total = 0.0
    for i, phrases in enumerate(clip_seconds):
        total += LANGUAGE_GAP_S if i else 0.0
        for j, clips in enumerate(phrases):
            total += (PHRASE_GAP_S if j else 0.0) + sum(clips) + WORD_GAP_S * (len(clips) - 1)
    return total


def test_espeak_announcement_as_wav(espeak_packs, tmp_path):
    packs = [espeak_packs["az"], espeak_packs["ru"]]
    announcement = compose(Call("A015", 12), packs, ["az", "ru"])
    path = announcement.render_wav(tmp_path / "A015-12.wav")
    data, rate, params = read(path)
    assert (params.nchannels, params.sampwidth, params.comptype) == (1, 2, "NONE")
    assert rate == 22_050
    assert path.read_bytes()[:4] == b"RIFF"
    assert path.read_bytes()[8:16] == b"WAVEfmt "

    clips = [
        [
            [len(espeak_packs[lg].clip(k, rate)) / rate for k in phrase]
            for phrase in call_parts("A015", 12, lg)
        ]
        for lg in ("az", "ru")
    ]
    expected = len(chime(rate)) / rate + AFTER_CHIME_S + expected_speech_seconds(clips) + TAIL_S
    assert len(data) / rate == pytest.approx(expected, abs=0.01)
    assert 4.0 < len(data) / rate < 12.0  # a sanity bound on the whole call
    assert rms(data) > 0.05
    assert announcement.words == {"az": call_words("A015", 12, "az"), "ru": call_words("A015", 12, "ru")}
    assert announcement.problems == []
    # Speech is there in both languages, not only the chime: every spoken segment is loud.
    for seg in announcement.segments:
        part = data[int(seg.start * rate) : int(seg.end * rate)]
        assert rms(part) > 0.02, seg


def test_clip_order_by_tone(tone_pack, tmp_path):
    az, az_hz = tone_pack("az")
    ru, ru_hz = tone_pack("ru")
    announcement = compose(Call("B347", 81), [az, ru], ["az", "ru"])
    data, rate, _ = read(announcement.render_wav(tmp_path / "tones.wav"))
    assert rate == TONE_RATE

    # The chime first: ding then dong.
    first = announcement.segments[0]
    assert first.kind == "chime"
    assert dominant_hz(data[: int(0.3 * rate)], rate) == pytest.approx(DING_HZ, abs=8)
    assert dominant_hz(data[int(0.7 * rate) : int(first.end * rate)], rate) == pytest.approx(DONG_HZ, abs=8)

    # Then each word, in order, read back from the audio itself: tone per segment.
    heard = []
    for seg in announcement.segments[1:]:
        part = data[int(seg.start * rate) + 80 : int(seg.end * rate) - 80]
        freq = dominant_hz(part, rate)
        table = az_hz if seg.lang == "az" else ru_hz
        key = min(table, key=lambda k, f=freq: abs(table[k] - f))
        assert abs(table[key] - freq) < 10, seg
        heard.append((seg.lang, key))
    expected = [("az", k) for k in call_words("B347", 81, "az")] + [
        ("ru", k) for k in call_words("B347", 81, "ru")
    ]
    assert heard == expected

    # The gaps are silent and as long as documented.
    clips = [[[0.2] * len(p) for p in call_parts("B347", 81, lg)] for lg in ("az", "ru")]
    chime_s = len(chime(rate)) / rate
    assert len(data) / rate == pytest.approx(
        chime_s + AFTER_CHIME_S + expected_speech_seconds(clips) + TAIL_S, abs=0.01
    )
    segs = announcement.segments
    for a, b in itertools.pairwise(segs[1:]):
        gap = data[int(a.end * rate) + 2 : int(b.start * rate) - 2]
        assert rms(gap) < 1e-3
        assert b.start - a.end in (
            pytest.approx(WORD_GAP_S),
            pytest.approx(PHRASE_GAP_S),
            pytest.approx(LANGUAGE_GAP_S),
        )


def test_chime_only_without_any_pack(tmp_path):
    announcement = compose(Call("A015", 12), [], ["az", "ru"])
    assert announcement.audible
    assert announcement.words == {}
    assert [s.kind for s in announcement.segments] == ["chime"]
    assert any("az" in p for p in announcement.problems)
    data, rate, _ = read(announcement.render_wav(tmp_path / "chime.wav"))
    assert 0.9 < len(data) / rate < 1.8
    assert rms(data) > 0.05


def test_missing_clip_falls_back_to_next_pack_and_never_mixes_voices(tone_pack, tmp_path):
    default_az, _default_hz = tone_pack("az", name="default")
    # The center recorded everything but "beş".
    own_az, _ = tone_pack("az", keys=[k for k in call_words("A015", 12, "az") if k != "beş"], name="own")
    assert own_az.missing(call_words("A015", 12, "az")) == ["beş"]
    assert own_az.missing(["beş", "beş", "on"]) == ["beş"]

    fallback = compose(Call("A015", 12), [own_az, default_az], ["az"])
    assert fallback.words == {"az": call_words("A015", 12, "az")}
    assert any("beş" in p for p in fallback.problems)
    # A call the center's pack can say fully uses the center's voice.
    own_call = compose(Call("A012", 15 - 3), [own_az, default_az], ["az"])
    assert own_call.problems == []
    assert own_call.audible

    # No pack for a language: that language is left out, the other spoken.
    only_az = compose(Call("A015", 12), [default_az], ["az", "ru"])
    assert list(only_az.words) == ["az"]
    assert any(p.startswith("ru:") for p in only_az.problems)


def test_broken_clip_is_reported_not_raised(tone_pack):
    pack, _ = tone_pack("ru")
    (pack.root / pack.files["пятнадцать"]).write_bytes(b"not a wav")
    (pack.root / pack.files["окно"]).unlink()
    fresh = VoicePack.load(pack.root)
    assert fresh.missing(call_words("A015", 12, "ru")) == ["пятнадцать", "окно"]
    assert set(fresh.problems) == {"пятнадцать", "окно"}
    announcement = compose(Call("A015", 12), [fresh], ["ru"])
    assert announcement.audible
    assert announcement.words == {}


def test_pack_without_manifest_uses_standard_file_names(tmp_path):
    from display.announce.numerals import all_keys
    from display.announce.pack import default_filenames

    root = tmp_path / "voices" / "en"
    write_tone_pack(root, "en", all_keys("en"), manifest=False)
    # Rename the clips to the standard names a center gets from --list.
    names = default_filenames(all_keys("en"))
    for i, key in enumerate(all_keys("en")):
        (root / f"clip{i:03d}.wav").rename(root / names[key])
    pack = VoicePack.load(root)
    assert pack.language == "en"
    assert pack.missing(all_keys("en")) == []
    assert names["A"] == "letter_a.wav"


def test_higher_rate_recordings_are_not_downsampled(tone_pack, tmp_path):
    az, _ = tone_pack("az", rate=44_100)
    announcement = compose(Call("A015", 12), [az], ["az"])
    assert announcement.sample_rate == 44_100
    _, rate, _ = read(announcement.render_wav(tmp_path / "hi.wav"))
    assert rate == 44_100


def test_volume_scales_the_render(tone_pack):
    az, _ = tone_pack("az")
    loud = compose(Call("A015", 12), [az], ["az"], volume=100)
    half = compose(Call("A015", 12), [az], ["az"], volume=50)
    ratio = rms(np.frombuffer(half.pcm(), "<i2").astype(float)) / rms(
        np.frombuffer(loud.pcm(), "<i2").astype(float)
    )
    assert ratio == pytest.approx(0.25, rel=0.01)
    muted = compose(Call("A015", 12), [az], ["az"], volume=0)
    assert muted.skipped
    assert muted.pcm() == b""
    assert muted.duration == 0


def test_custom_chime_and_broken_custom_chime(tmp_path):
    path = tmp_path / "chime.wav"
    write_tone_pack(tmp_path / "c", "en", ["x"], manifest=False)
    (tmp_path / "c" / "clip000.wav").rename(path)
    own = compose(Call("A015", 12), [], ["az"], chime=path)
    assert own.segments[0].end == pytest.approx(0.2, abs=0.01)
    broken = compose(Call("A015", 12), [], ["az"], chime=tmp_path / "absent.wav")
    assert broken.audible
    assert any("chime" in p for p in broken.problems)
    assert not compose(Call("A015", 12), [], ["az"], chime=False).audible


def test_bad_ticket_number_is_chime_only():
    announcement = compose(Call("???", 12), [], ["az"])
    assert announcement.audible
    assert announcement.words == {}
    assert any("ticket number" in p for p in announcement.problems)


def test_skipped_announcement_renders_an_empty_wav(tmp_path):
    composer = Composer(policy=AudioPolicy(volume=80, quiet_hours=[(time(13), time(14))]))
    quiet = composer.compose(Call("A015", 12), datetime(2026, 11, 23, 13, 30))
    assert quiet.skipped
    assert not quiet.audible
    _data, _, params = read(quiet.render_wav(tmp_path / "quiet.wav"))
    assert params.nframes == 0
    loud = composer.compose(Call("A015", 12), datetime(2026, 11, 23, 14, 0))
    assert loud.audible
    assert loud.volume == 80


def test_render_is_done_once(tone_pack):
    az, _ = tone_pack("az")
    announcement = compose(Call("A015", 12), [az], ["az"])
    assert announcement.pcm() is announcement.pcm()


@pytest.mark.parametrize(
    ("lang", "first_only", "spoken"),
    [
        ("az", False, ["az"]),
        ("ru", False, ["az", "ru"]),
        ("en", False, ["az", "en"]),
        (None, False, ["az", "ru", "en"]),
        ("ru", True, ["az"]),
        (None, True, ["az"]),
    ],
)
def test_a_call_is_said_in_the_halls_language_and_the_citizens(lang, first_only, spoken):
    """Azerbaijani for everyone; the citizen's language besides only when it is another one; every
    language when the ticket's is unknown (a log from before calls carried it)."""
    assert spoken_languages(Call("A015", 12, lang=lang), ["az", "ru", "en"], first_only=first_only) == spoken


def test_a_language_the_display_does_not_speak_is_left_out():
    assert spoken_languages(Call("A015", 12, lang="en"), ["az", "ru"]) == ["az"]
    assert spoken_languages(Call("A015", 12, lang="az"), ["ru", "az"]) == ["ru", "az"]
    assert spoken_languages(Call("A015", 12, lang="ru"), []) == []


def test_composer_says_the_citizens_language_and_a_chained_call_goes_without_the_chime(tone_pack):
    packs = [tone_pack(lang)[0] for lang in ("az", "ru", "en")]
    composer = Composer(packs=packs, languages=["az", "ru", "en"])
    now = datetime(2026, 11, 23, 10, 0)
    az = composer.compose(Call("A015", 12, lang="az"), now)
    ru = composer.compose(Call("A015", 12, lang="ru"), now)
    assert list(az.words) == ["az"]
    assert list(ru.words) == ["az", "ru"]
    assert ru.duration > az.duration + 1.0
    late = composer.compose(Call("A015", 12, lang="ru"), now, first_only=True)
    assert list(late.words) == ["az"]
    assert late.duration == pytest.approx(az.duration)

    chained = composer.compose(Call("A015", 12, lang="az"), now, chained=True)
    assert [s.kind for s in chained.segments] == ["clip"] * len(call_words("A015", 12, "az"))
    assert chained.segments[0].start == pytest.approx(LEAD_S)
    assert chained.duration == pytest.approx(az.duration - az.segments[1].start + LEAD_S)
    # With no voice that can say it, a chained call is its chime, never silence.
    mute = Composer(packs=[], languages=["az"]).compose(Call("A015", 12), now, chained=True)
    assert [s.kind for s in mute.segments] == ["chime"]

from __future__ import annotations

import tomllib

import numpy as np

from display.announce import build_pack
from display.announce.audio import read_wav
from display.announce.build_pack import main
from display.announce.espeak import recording_list
from display.announce.numerals import all_keys
from wire.types import LANGS


def test_list_prints_every_clip_to_record(capsys):
    assert main(["--list", "az"]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines() if not line.startswith("#")]
    assert [key for _, key, _ in lines] == all_keys("az")
    assert ["besh.wav", "beş", "beş"] in lines
    assert ["letter_i.wav", "I", "ı"] in lines
    assert all(name.isascii() and name.endswith(".wav") for name, _, _ in lines)


def test_file_names_are_unique_ascii():
    for lang in LANGS:
        names = [name for name, _, _ in recording_list(lang)]
        assert len(set(names)) == len(names)
        assert all(name.isascii() for name in names)


def test_generated_manifest_and_clips(espeak_packs):
    for lang in LANGS:
        pack = espeak_packs[lang]
        doc = tomllib.loads((pack.root / "manifest.toml").read_text(encoding="utf-8"))
        assert doc["language"] == lang
        assert doc["sample_rate"] == 22_050
        assert "espeak-ng" in doc["voice"]
        assert list(doc["clips"]) == all_keys(lang)
        for key in ("A", all_keys(lang)[0]):
            samples, rate = read_wav(pack.root / doc["clips"][key])
            assert rate == 22_050
            # Trimmed: sound starts and ends within a few tens of milliseconds of the file's edges.
            loud = np.flatnonzero(np.abs(samples) > 0.02 * np.max(np.abs(samples)))
            assert loud[0] < 0.03 * rate
            assert len(samples) - loud[-1] < 0.03 * rate
            # Normalized: every clip peaks at the same level.
            assert abs(float(np.max(np.abs(samples))) - 0.7) < 0.01


def test_build_only_some_keys(tmp_path, espeak_packs):
    pack = build_pack(tmp_path, "ru", keys=["талон", "A"])
    doc = tomllib.loads((pack.root / "manifest.toml").read_text(encoding="utf-8"))
    assert doc["clips"] == {"талон": "talon.wav", "A": "letter_a.wav"}
    assert pack.missing(["талон", "A", "сто"]) == ["сто"]


def test_ensure_default_packs_builds_once_and_survives_without_espeak(tmp_path, espeak_packs, monkeypatch):
    from display.announce import ensure_default_packs, espeak

    packs = ensure_default_packs(["en"], tmp_path)
    assert [p.language for p in packs] == ["en"]
    stamp = (tmp_path / "en" / "manifest.toml").stat().st_mtime_ns
    assert [p.language for p in ensure_default_packs(["en"], tmp_path)] == ["en"]
    assert (tmp_path / "en" / "manifest.toml").stat().st_mtime_ns == stamp  # complete: not rebuilt

    monkeypatch.setattr(espeak, "ESPEAK", "no-such-espeak-ng")
    assert ensure_default_packs(["ru"], tmp_path / "none") == []
    assert main([str(tmp_path / "none"), "--lang", "ru"]) == 2

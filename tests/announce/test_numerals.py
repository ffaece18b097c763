from __future__ import annotations

import tomllib

import pytest

from display.announce import VoicePack, all_keys, call_words, parse_ticket, words
from display.announce.numerals import LANGS, LETTERS, call_parts

# Written by hand, not derived from the code under test.
EXPECTED = {
    "az": {
        1: "bir",
        2: "iki",
        10: "on",
        11: "on bir",
        15: "on beş",
        19: "on doqquz",
        20: "iyirmi",
        21: "iyirmi bir",
        40: "qırx",
        99: "doxsan doqquz",
        100: "yüz",
        101: "yüz bir",
        110: "yüz on",
        115: "yüz on beş",
        200: "iki yüz",
        347: "üç yüz qırx yeddi",
        560: "beş yüz altmış",
        678: "altı yüz yetmiş səkkiz",
        850: "səkkiz yüz əlli",
        999: "doqquz yüz doxsan doqquz",
    },
    "ru": {
        1: "один",
        2: "два",
        10: "десять",
        11: "одиннадцать",
        15: "пятнадцать",
        19: "девятнадцать",
        20: "двадцать",
        21: "двадцать один",
        40: "сорок",
        99: "девяносто девять",
        100: "сто",
        101: "сто один",
        110: "сто десять",
        115: "сто пятнадцать",
        200: "двести",
        347: "триста сорок семь",
        400: "четыреста",
        512: "пятьсот двенадцать",
        684: "шестьсот восемьдесят четыре",
        999: "девятьсот девяносто девять",
    },
    "en": {
        1: "one",
        2: "two",
        10: "ten",
        11: "eleven",
        15: "fifteen",
        19: "nineteen",
        20: "twenty",
        21: "twenty one",
        40: "forty",
        99: "ninety nine",
        100: "one hundred",
        101: "one hundred and one",
        110: "one hundred and ten",
        115: "one hundred and fifteen",
        200: "two hundred",
        347: "three hundred and forty seven",
        999: "nine hundred and ninety nine",
    },
}

CALLS = {
    "az": "A on beş nömrəli bilet on iki nömrəli masaya",
    "ru": "билет A пятнадцать окно номер двенадцать",
    "en": "ticket A fifteen counter twelve",
}


@pytest.mark.parametrize(
    ("lang", "n", "expected"), [(lg, n, e) for lg, d in EXPECTED.items() for n, e in d.items()]
)
def test_words_sample(lang, n, expected):
    assert words(n, lang) == expected.split()


@pytest.mark.parametrize("lang", LANGS)
def test_call_words_a015_to_12(lang):
    assert call_words("A015", 12, lang) == CALLS[lang].split()


def test_call_phrases_split_at_the_comma():
    assert call_parts("A015", 12, "az") == (
        ["A", "on", "beş", "nömrəli", "bilet"],
        ["on", "iki", "nömrəli", "masaya"],
    )
    assert call_parts("A015", 12, "ru") == (["билет", "A", "пятнадцать"], ["окно", "номер", "двенадцать"])


def test_leading_zeros_are_not_spoken_and_prefixes_may_be_long():
    assert call_words("A100", 1, "en") == ["ticket", "A", "one", "hundred", "counter", "one"]
    assert call_words("A001", 100, "az") == ["A", "bir", "nömrəli", "bilet", "yüz", "nömrəli", "masaya"]
    assert call_words("bc007", 5, "ru") == ["билет", "B", "C", "семь", "окно", "номер", "пять"]
    assert call_words("20261122-C999", 999, "en")[:2] == ["ticket", "C"]


@pytest.mark.parametrize("bad", ["A000", "A1000", "015", "Ə015", "A-15", "", "A 15"])
def test_not_a_ticket_number(bad):
    with pytest.raises(ValueError, match=r"ticket number|1\.\.999"):
        parse_ticket(bad)


@pytest.mark.parametrize("n", [0, 1000, -1])
def test_numbers_out_of_range(n):
    with pytest.raises(ValueError, match=r"1\.\.999"):
        words(n, "az")
    with pytest.raises(ValueError, match=r"1\.\.999"):
        call_words("A001", n, "ru")


@pytest.mark.parametrize("lang", LANGS)
def test_every_number_uses_only_pack_keys(lang):
    keys = set(all_keys(lang))
    for n in range(1, 1000):
        said = words(n, lang)
        assert said, n
        assert set(said) <= keys, n
        call = call_words(f"Z{n:03d}", n, lang)
        assert set(call) <= keys, n


def test_numbers_are_distinct():
    for lang in LANGS:
        said = {tuple(words(n, lang)) for n in range(1, 1000)}
        assert len(said) == 999, lang


@pytest.mark.parametrize("lang", LANGS)
def test_every_number_and_letter_is_in_the_generated_manifest(espeak_packs, lang):
    pack: VoicePack = espeak_packs[lang]
    manifest = set(tomllib.loads((pack.root / "manifest.toml").read_text(encoding="utf-8"))["clips"])
    for n in range(1, 1000):
        assert set(call_words(f"A{n:03d}", n, lang)) <= manifest, n
    assert set(LETTERS) <= manifest
    assert pack.missing(all_keys(lang)) == []

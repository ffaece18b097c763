from __future__ import annotations

import tomllib

import pytest

from display.announce import VoicePack, all_keys, call_words, parse_ticket, words
from display.announce.numerals import LETTERS, call_parts
from wire.types import LANGS

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
        1000: "min",
        1001: "min bir",
        1015: "min on beş",
        1100: "min yüz",
        2000: "iki min",
        2347: "iki min üç yüz qırx yeddi",
        10000: "on min",
        21000: "iyirmi bir min",
        100000: "yüz min",
        999999: "doqquz yüz doxsan doqquz min doqquz yüz doxsan doqquz",
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
        1000: "тысяча",
        1001: "тысяча один",
        1015: "тысяча пятнадцать",
        2000: "две тысячи",
        2002: "две тысячи два",
        3000: "три тысячи",
        4021: "четыре тысячи двадцать один",
        5000: "пять тысяч",
        11000: "одиннадцать тысяч",
        12000: "двенадцать тысяч",
        14000: "четырнадцать тысяч",
        21000: "двадцать одна тысяча",
        22000: "двадцать две тысячи",
        25000: "двадцать пять тысяч",
        100000: "сто тысяч",
        101000: "сто одна тысяча",
        111000: "сто одиннадцать тысяч",
        999999: "девятьсот девяносто девять тысяч девятьсот девяносто девять",
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
        1000: "one thousand",
        1001: "one thousand and one",
        1015: "one thousand and fifteen",
        1100: "one thousand one hundred",
        1215: "one thousand two hundred and fifteen",
        2000: "two thousand",
        21000: "twenty one thousand",
        100000: "one hundred thousand",
    },
}

CALLS = {
    "az": "A on beş masa on iki",
    "ru": "A пятнадцать окно двенадцать",
    "en": "A fifteen counter twelve",
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
    """ "A on beş, masa on iki": the ticket as printed, then the counter in the screen's words."""
    assert call_parts("A015", 12, "az") == (["A", "on", "beş"], ["masa", "on", "iki"])
    assert call_parts("A015", 12, "ru") == (["A", "пятнадцать"], ["окно", "двенадцать"])
    assert call_parts("A015", 12, "en") == (["A", "fifteen"], ["counter", "twelve"])


def test_leading_zeros_are_not_spoken_and_prefixes_may_be_long():
    assert call_words("A100", 1, "en") == ["A", "one", "hundred", "counter", "one"]
    assert call_words("A001", 100, "az") == ["A", "bir", "masa", "yüz"]
    assert call_words("bc007", 5, "ru") == ["B", "C", "семь", "окно", "пять"]
    assert call_words("20261122-C999", 999, "en")[:2] == ["C", "nine"]


def test_numbers_past_999_are_said_whole():
    """A busy day's A1000 is "A min", "А тысяча", "A one thousand": no leading zeros, no digit by digit."""
    assert parse_ticket("A1000") == ("A", 1000)
    assert parse_ticket("20261130-DN12345") == ("DN", 12345)
    assert call_words("A1000", 12, "az") == ["A", "min", "masa", "on", "iki"]
    assert call_parts("B2021", 7, "ru") == (["B", "две", "тысячи", "двадцать", "один"], ["окно", "семь"])
    assert call_words("C1015", 3, "en") == [
        "C",
        "one",
        "thousand",
        "and",
        "fifteen",
        "counter",
        "three",
    ]


@pytest.mark.parametrize("bad", ["A000", "A0000", "A1000000", "015", "Ə015", "A-15", "", "A 15"])
def test_not_a_ticket_number(bad):
    with pytest.raises(ValueError, match=r"ticket number|1\.\.999,999"):
        parse_ticket(bad)


@pytest.mark.parametrize("n", [0, 1_000_000, -1])
def test_numbers_out_of_range(n):
    with pytest.raises(ValueError, match=r"1\.\.999,999"):
        words(n, "az")
    with pytest.raises(ValueError, match=r"1\.\.999,999"):
        call_words("A001", n, "ru")


# Every number below 30,000 (a day of a whole large center under one prefix), then a sample.
NUMBERS = [*range(1, 30_000), *range(30_000, 1_000_000, 997), 999_999]


@pytest.mark.parametrize("lang", LANGS)
def test_every_number_uses_only_pack_keys(lang):
    keys = set(all_keys(lang))
    for n in NUMBERS:
        said = words(n, lang)
        assert said, n
        assert set(said) <= keys, n
    for n in range(1, 1000):
        assert set(call_words(f"Z{n:03d}", n, lang)) <= keys, n


def test_numbers_are_distinct():
    for lang in LANGS:
        said = {tuple(words(n, lang)) for n in NUMBERS}
        assert len(said) == len(NUMBERS), lang


def test_pack_keys_of_numbers_below_1000_keep_their_order():
    """Packs made before numbers passed 999 keep their file names: new words come last."""
    assert all_keys("ru")[-5:] == ["тысяча", "две", "тысячи", "тысяч", "одна"]
    assert all_keys("az")[-1] == "min"
    assert all_keys("en")[-1] == "thousand"


@pytest.mark.parametrize("lang", LANGS)
def test_every_number_and_letter_is_in_the_generated_manifest(espeak_packs, lang):
    pack: VoicePack = espeak_packs[lang]
    manifest = set(tomllib.loads((pack.root / "manifest.toml").read_text(encoding="utf-8"))["clips"])
    for n in [*range(1, 1000), 1000, 2021, 25_000, 101_000]:
        assert set(call_words(f"A{n:03d}", n, lang)) <= manifest, n
    assert set(LETTERS) <= manifest
    assert pack.missing(all_keys(lang)) == []

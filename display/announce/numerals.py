"""What is said for a call, as a sequence of clip keys per language.

A clip key names one recorded word of a voice pack: number words and fixed words are keyed by the
word as written in the language ("beş", "пятнадцать", "fifteen"); the letters of a ticket prefix
are keyed by the Latin capital letter itself ("A"), whose clip holds that letter's name as spoken
in the language ("be", "бэ", "bee").
"""

from __future__ import annotations

import functools
import re
import string

from wire.types import Lang

MAX_NUMBER = 999_999
"""The largest number spoken. Ticket numbers grow past 999 (A1000) on a busy day."""
LETTERS = string.ascii_uppercase
"""Ticket prefixes use the Latin capitals A-Z only: a receipt printer has no code page for ə."""

_AZ_UNITS = ("", "bir", "iki", "üç", "dörd", "beş", "altı", "yeddi", "səkkiz", "doqquz")
_AZ_TENS = ("", "on", "iyirmi", "otuz", "qırx", "əlli", "altmış", "yetmiş", "səksən", "doxsan")

_RU_UNITS = ("", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять")
_RU_TEENS = (
    "десять",
    "одиннадцать",
    "двенадцать",
    "тринадцать",
    "четырнадцать",
    "пятнадцать",
    "шестнадцать",
    "семнадцать",
    "восемнадцать",
    "девятнадцать",
)
_RU_TENS = (
    "",
    "",
    "двадцать",
    "тридцать",
    "сорок",
    "пятьдесят",
    "шестьдесят",
    "семьдесят",
    "восемьдесят",
    "девяносто",
)
_RU_HUNDREDS = (
    "",
    "сто",
    "двести",
    "триста",
    "четыреста",
    "пятьсот",
    "шестьсот",
    "семьсот",
    "восемьсот",
    "девятьсот",
)

_EN_UNITS = ("", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_EN_TEENS = (
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

# Thousands: "min" in Azerbaijani (1000 is "min", as 100 is "yüz"); "thousand" in English; in
# Russian тысяча is feminine, so one and two take their feminine forms (одна, две), and the noun
# agrees with the number before it: тысяча, две тысячи, пять тысяч, двадцать одна тысяча.
_AZ_THOUSAND = "min"
_EN_THOUSAND = "thousand"
_RU_THOUSAND = ("тысяча", "тысячи", "тысяч")
_RU_FEMININE = {"один": "одна", "два": "две"}

# How each language names the Latin letters of a ticket prefix. Azerbaijani follows its own
# alphabet (I is the dotless ı there; W, absent from it, is "dubl-ve"). Russian uses the names
# taught in Russian schools for Latin letters. English uses the English names (espeak-ng reads a
# lone capital letter by its name).
LETTER_NAMES: dict[Lang, dict[str, str]] = {
    "az": dict(
        zip(
            LETTERS,
            [
                "a",
                "be",
                "ce",
                "de",
                "e",
                "ef",
                "ge",
                "he",
                "ı",
                "je",
                "ka",
                "el",
                "em",
                "en",
                "o",
                "pe",
                "qe",
                "re",
                "se",
                "te",
                "u",
                "ve",
                "dubl-ve",
                "xe",
                "ye",
                "ze",
            ],
            strict=True,
        )
    ),
    "ru": dict(
        zip(
            LETTERS,
            [
                "а",
                "бэ",
                "цэ",
                "дэ",
                "э",
                "эф",
                "гэ",
                "аш",
                "и",
                "йот",
                "ка",
                "эль",
                "эм",
                "эн",
                "о",
                "пэ",
                "ку",
                "эр",
                "эс",
                "тэ",
                "у",
                "вэ",
                "дубль-вэ",
                "икс",
                "игрек",
                "зэт",
            ],
            strict=True,
        )
    ),
    "en": {letter: letter for letter in LETTERS},
}

FIXED_WORDS: dict[Lang, tuple[str, ...]] = {
    "az": ("masa",),
    "ru": ("окно",),
    "en": ("counter",),
}
"""The words of a call besides numbers and letters: the glossary's word for a counter."""

_TICKET = re.compile(r"([A-Za-z]+)(\d{1,6})")


def _check(n: int) -> None:
    if not 1 <= n <= MAX_NUMBER:
        raise ValueError(f"only numbers 1..{MAX_NUMBER:,} are spoken, not {n}")


def words(n: int, lang: Lang) -> list[str]:
    """The words of the cardinal number ``n`` (1..999,999), in the form used before a noun or as a name.

    >>> words(115, "az"), words(115, "ru"), words(115, "en")
    (['yüz', 'on', 'beş'], ['сто', 'пятнадцать'], ['one', 'hundred', 'and', 'fifteen'])
    >>> words(1015, "az"), words(2000, "ru"), words(1015, "en")
    (['min', 'on', 'beş'], ['две', 'тысячи'], ['one', 'thousand', 'and', 'fifteen'])
    """
    _check(n)
    thousands, rest = divmod(n, 1000)
    if not thousands:
        return _below_thousand(rest, lang)
    out = _thousands(thousands, lang)
    if rest:
        if lang == "en" and rest < 100:
            # British usage again: "one thousand and fifteen", "two thousand one hundred".
            out.append("and")
        out += _below_thousand(rest, lang)
    return out


def _thousands(k: int, lang: Lang) -> list[str]:
    """``k`` thousand (1 <= k <= 999)."""
    if lang == "az":
        # "min" alone is a thousand, as "yüz" is a hundred; "iki min", "yüz min".
        return [_AZ_THOUSAND] if k == 1 else [*_below_thousand(k, lang), _AZ_THOUSAND]
    if lang == "ru":
        if k == 1:
            return [_RU_THOUSAND[0]]
        count = _below_thousand(k, lang)
        count[-1] = _RU_FEMININE.get(count[-1], count[-1])
        last2, last = k % 100, k % 10
        if 11 <= last2 <= 14 or not 1 <= last <= 4:
            noun = _RU_THOUSAND[2]
        else:
            noun = _RU_THOUSAND[0] if last == 1 else _RU_THOUSAND[1]
        return [*count, noun]
    if lang == "en":
        return [*_below_thousand(k, lang), _EN_THOUSAND]
    raise ValueError(f"no numerals for language {lang!r}")


def _below_thousand(n: int, lang: Lang) -> list[str]:
    """The words of 1..999."""
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    out: list[str] = []
    if lang == "az":
        # "yüz" alone is a hundred; "bir yüz" is not said.
        if hundreds:
            out += ["yüz"] if hundreds == 1 else [_AZ_UNITS[hundreds], "yüz"]
        if tens:
            out.append(_AZ_TENS[tens])
        if units:
            out.append(_AZ_UNITS[units])
    elif lang == "ru":
        if hundreds:
            out.append(_RU_HUNDREDS[hundreds])
        if tens == 1:
            out.append(_RU_TEENS[units])
        else:
            if tens:
                out.append(_RU_TENS[tens])
            if units:
                out.append(_RU_UNITS[units])
    elif lang == "en":
        # British usage, as taught in Azerbaijan: "one hundred and fifteen".
        if hundreds:
            out += [_EN_UNITS[hundreds], "hundred"]
            if rest:
                out.append("and")
        if tens == 1:
            out.append(_EN_TEENS[units])
        else:
            if tens:
                out.append(_EN_TENS[tens])
            if units:
                out.append(_EN_UNITS[units])
    else:
        raise ValueError(f"no numerals for language {lang!r}")
    return out


def parse_ticket(number: str) -> tuple[str, int]:
    """Split a ticket's display number into its prefix letters and its value: "A015" -> ("A", 15).

    A ticket id with its service day ("20261122-A015") is accepted too.
    """
    display = number.rsplit("-", 1)[-1].strip()
    match = _TICKET.fullmatch(display)
    if match is None:
        raise ValueError(f"not a ticket number (letters, then 1-6 digits): {number!r}")
    value = int(match.group(2))
    _check(value)
    return match.group(1).upper(), value


def call_parts(number: str, counter: int, lang: Lang) -> tuple[list[str], list[str]]:
    """The two phrases of a call, ticket then counter, said with a short pause between them.

    Short, because a busy hall hears several calls a minute: the ticket as it is printed,
    then the counter in the words the screen uses ("masa 12", "окно 12", "counter 12").
    """
    prefix, value = parse_ticket(number)
    _check(counter)
    letters = list(prefix)
    if lang == "az":
        # "A on beş, masa on iki": "masa" in the nominative, as on the screen.
        return [*letters, *words(value, lang)], ["masa", *words(counter, lang)]
    if lang == "ru":
        # "А пятнадцать, окно двенадцать": a numeral after the noun stays in the nominative,
        # so no case agreement is needed.
        return [*letters, *words(value, lang)], ["окно", *words(counter, lang)]
    if lang == "en":
        return [*letters, *words(value, lang)], ["counter", *words(counter, lang)]
    raise ValueError(f"no announcement phrases for language {lang!r}")


def call_words(number: str, counter: int, lang: Lang) -> list[str]:
    """The clip keys of one call in one language, in the order they are said."""
    ticket, desk = call_parts(number, counter, lang)
    return ticket + desk


def all_keys(lang: Lang) -> list[str]:
    """Every clip key any call can need in ``lang``: what a voice pack must hold.

    The words of 1..999, the fixed words and the letters first, in the order packs made
    before numbers passed 999 had them (their file names stay the same), then the words
    that only numbers of a thousand and more use.
    """
    return list(_all_keys(lang))


@functools.cache
def _all_keys(lang: Lang) -> tuple[str, ...]:
    keys: dict[str, None] = {}
    for n in range(1, 1000):
        keys.update(dict.fromkeys(words(n, lang)))
    keys.update(dict.fromkeys(FIXED_WORDS[lang]))
    keys.update(dict.fromkeys(LETTERS))
    # Every number past 999 is "k thousand" followed by a number below a thousand, so these
    # and the words above make every number up to MAX_NUMBER.
    for k in range(1, 1000):
        keys.update(dict.fromkeys(words(k * 1000, lang)))
    return tuple(keys)


def spoken_text(key: str, lang: Lang) -> str:
    """What the clip of ``key`` says: the word itself, or the letter's name in ``lang``."""
    if len(key) == 1 and key in LETTERS:
        return LETTER_NAMES[lang][key]
    return key

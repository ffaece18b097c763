"""The report's words: complete catalogs, numbers and dates in each language."""

from __future__ import annotations

import re
from datetime import date

import pytest

from report.periods import day, parse_month, parse_week
from report.text import Words
from wire.i18n import LANGS, Catalog

from .helpers import small_center


def test_catalog_has_every_key_in_every_language_with_the_same_placeholders() -> None:
    catalog = Catalog("report")
    assert catalog.check() == []
    for key, text in catalog.texts["en"].items():
        wanted = set(re.findall(r"{(\w+)", text))
        for lang in LANGS:
            assert set(re.findall(r"{(\w+)", catalog.texts[lang][key])) == wanted, (lang, key)


@pytest.mark.parametrize(
    ("lang", "number", "share", "when", "month"),
    [
        ("az", "12\u00a0345,7", "97,5%", "23.11.2026", "Noyabr 2026"),
        ("ru", "12\u00a0345,7", "97,5%", "23.11.2026", "Ноябрь 2026"),
        ("en", "12,345.7", "97.5%", "2026-11-23", "November 2026"),
    ],
)
def test_numbers_dates_and_months_in_each_language(
    lang: str, number: str, share: str, when: str, month: str
) -> None:
    w = Words(lang, small_center())
    assert w.num(12345.67) == number
    assert w.pct(0.975) == share
    assert w.num(None) == w.pct(None) == "—"
    assert w.period(day(date(2026, 11, 23))) == when
    assert w.period(parse_month("2026-11")) == month
    assert "48" in w.period(parse_week("2026-W48"))


def test_names_come_from_the_center_in_the_language() -> None:
    w = Words("ru", small_center())
    assert (w.name("agency", "DIN"), w.name("service", "FEE"), w.name("counter", "3")) == (
        "Interior (ru)",
        "State fee (ru)",
        "Bank (ru)",
    )
    assert w.name("agency", "GONE") == "GONE", "an agency no longer configured keeps its code"
    assert w.name("operator", "") == "(никто не вошёл)"
    assert Words("az", small_center()).name("center", "") == "Sınaq mərkəzi"

"""One vocabulary for the whole hall: docs/glossary.toml (explained in docs/glossary.md), held
against every text a person meets.

The texts: every app's catalog (any ``<package>/locale/{az,ru,en}.json`` of the checkout, so
an app added later is checked without a change here), the paper (the labels and priority
names of every layout in hardware/layouts) and the spoken call (display/announce).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from display.announce.numerals import call_words
from hardware.layout import load_layout
from wire.types import Lang

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = tomllib.loads((ROOT / "docs" / "glossary.toml").read_text(encoding="utf-8"))
LANGS: tuple[Lang, ...] = ("az", "ru", "en")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@dataclass(frozen=True)
class Text:
    """One entry of a source: the same thing said in each language."""

    where: str
    """``kiosk:ticket.zone``, ``paper:ticket-80mm:labels.zone``, ``voice:call``."""
    texts: Mapping[str, str]


def catalogs() -> list[Path]:
    """Every package of the checkout with a catalog."""
    return sorted(p.parents[1] for p in ROOT.glob("*/locale/az.json") if not p.parts[-3].startswith("."))


@cache
def entries() -> tuple[Text, ...]:
    found: list[Text] = []
    for package in catalogs():
        books = {lang: json.loads((package / "locale" / f"{lang}.json").read_text("utf-8")) for lang in LANGS}
        for key in sorted(set().union(*books.values())):
            found.append(Text(f"{package.name}:{key}", {lang: books[lang].get(key, "") for lang in LANGS}))
    for path in sorted((ROOT / "hardware" / "layouts").glob("*.toml")):
        layout = load_layout(path)
        for table_name in ("labels", "priorities"):
            table: Any = getattr(layout, table_name)
            for key in sorted(set().union(*(table.get(lang, {}) for lang in LANGS))):
                texts: dict[str, str] = {lang: table.get(lang, {}).get(key, "") for lang in LANGS}
                found.append(Text(f"paper:{layout.name}:{table_name}.{key}", texts))
    for number, counter in (("A015", 12), ("DN1024", 7)):
        said: dict[str, str] = {lang: " ".join(call_words(number, counter, lang)) for lang in LANGS}
        found.append(Text(f"voice:{number}->{counter}", said))
    return tuple(found)


def bare(text: str) -> str:
    return PLACEHOLDER.sub(" ", text)


def terms() -> Iterator[dict[str, Any]]:
    yield from GLOSSARY["term"]


def test_the_glossary_sees_every_source() -> None:
    """The sources are really read: the four catalogs of today, both layouts, the voice."""
    names = {t.where.split(":")[0] for t in entries()}
    assert {"kiosk", "counter", "display", "wire", "paper", "voice"} <= names
    layouts = {t.where.split(":")[1] for t in entries() if t.where.startswith("paper:")}
    assert layouts == {"ticket-80mm", "ticket-58mm"}
    assert len(entries()) > 200


def test_the_glossary_is_well_formed() -> None:
    ids = [t["id"] for t in terms()]
    assert len(ids) == len(set(ids)), "a term is listed twice"
    for term in terms():
        for lang in LANGS:
            entry = term[lang]
            assert entry["use"], f"{term['id']}: no {lang} word"
            # The chosen word matches its own pattern and none of the words to avoid.
            assert re.search(entry["match"], entry["use"], re.I), f"{term['id']}.{lang}: use vs match"
            for avoid in entry["avoid"]:
                assert not re.search(avoid, entry["use"], re.I), f"{term['id']}.{lang}: uses {avoid}"


def test_every_glossary_term_is_in_the_document() -> None:
    """docs/glossary.md shows every term's chosen words."""
    doc = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    for term in terms():
        for lang in LANGS:
            assert term[lang]["use"] in doc, f"docs/glossary.md lacks {term['id']}.{lang}"


@pytest.mark.parametrize("term", list(terms()), ids=lambda t: t["id"])
def test_no_text_uses_a_word_to_avoid(term: dict[str, Any]) -> None:
    wrong = [
        f"{t.where} [{lang}] {t.texts[lang]!r} says {avoid!r}"
        for t in entries()
        for lang in LANGS
        for avoid in term[lang]["avoid"]
        if t.where.split(":")[0] not in term.get("except_in", ())
        and re.search(avoid, bare(t.texts[lang]), re.I)
    ]
    assert not wrong, "\n".join(wrong)


def pivot_problems(term: dict[str, Any], found: tuple[Text, ...]) -> list[str]:
    """Entries whose English says ``term`` while their Azerbaijani or Russian does not."""
    return [
        f"{t.where}: en {t.texts['en']!r} but {lang} {t.texts[lang]!r} lacks {term[lang]['use']!r}"
        for t in found
        if re.search(term["en"]["match"], bare(t.texts["en"]), re.I)
        for lang in ("az", "ru")
        if t.texts[lang] and not re.search(term[lang]["match"], bare(t.texts[lang]), re.I)
    ]


@pytest.mark.parametrize("term", [t for t in terms() if t.get("pivot", True)], ids=lambda t: t["id"])
def test_where_english_says_the_term_the_others_say_theirs(term: dict[str, Any]) -> None:
    wrong = pivot_problems(term, entries())
    assert not wrong, "\n".join(wrong)


def _source_text(ref: str, lang: str) -> list[tuple[str, str]]:
    """The texts a ``[[same]]`` reference names: one per layout for ``paper:``."""
    source, key = ref.split(":", 1)
    if source == "paper":
        return [
            (t.where, t.texts[lang])
            for t in entries()
            if t.where.startswith("paper:") and t.where.endswith(f":{key}")
        ]
    return [(t.where, t.texts[lang]) for t in entries() if t.where == ref]


@pytest.mark.parametrize("group", GLOSSARY["same"], ids=lambda g: g["what"])
def test_the_screen_and_the_paper_say_it_the_same_way(group: dict[str, Any]) -> None:
    for lang in LANGS:
        said = [found for ref in group["texts"] for found in _source_text(ref, lang)]
        assert len(said) >= len(group["texts"]), f"{group['what']}: {group['texts']} not all found"
        forms = {PLACEHOLDER.sub("{}", text).casefold() for _, text in said}
        assert len(forms) == 1, f"{group['what']} [{lang}]: " + "; ".join(f"{w}={t!r}" for w, t in said)


def test_the_glossary_catches_the_words_it_was_made_for() -> None:
    """The checks are not empty: the wordings found before the glossary fail them."""
    before = {
        "ticket": ("az", "Masada bilet yoxdur."),
        "priority": ("az", "Növbədənkənar: {priority}"),
        "go_to": ("az", "Gedin: {zone}"),
        "disability": ("ru", "Есть льгота? Пожилые, инвалиды, беременные"),
        "no_show": ("en", "Mark {number} as not come (no-show)?"),
        "nobody_ahead": ("en", "No one is ahead of you"),
        "under_a_minute": ("az", "0-1 dəq."),
    }
    by_id = {t["id"]: t for t in terms()}
    for term_id, (lang, text) in before.items():
        avoided = by_id[term_id][lang]["avoid"]
        assert any(re.search(a, bare(text), re.I) for a in avoided), f"{term_id}: {text!r} passes"
    # The hint that sent the citizen "to the counter" in English and "to the operator" in the
    # others, as it was.
    hint = Text(
        "kiosk:priority.hint",
        {
            "az": "Sənədinizi operatora göstərin.",
            "ru": "Покажите подтверждающий документ оператору.",
            "en": "Show your document at the counter.",
        },
    )
    assert len(pivot_problems(by_id["counter"], (hint,))) == 2

"""Translation catalogs: every user-visible string in az, ru and en.

Each package keeps ``locale/az.json``, ``locale/ru.json`` and ``locale/en.json``: flat
objects of key -> text with ``{name}`` placeholders. A key missing in one language is
a bug that the tests catch (:func:`Catalog.check`); at run time it falls back to
Azerbaijani, then to the key itself, so a screen never goes blank.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from .types import LANGS, WaitRange

__all__ = ["LANGS", "Catalog", "catalog", "tr", "wait_words"]


class Catalog:
    def __init__(self, package: str) -> None:
        self.package = package
        self.texts: dict[str, dict[str, str]] = {}
        root = resources.files(package).joinpath("locale")
        for lang in LANGS:
            self.texts[lang] = json.loads(root.joinpath(f"{lang}.json").read_text(encoding="utf-8"))

    def tr(self, key: str, lang: str, /, **values: Any) -> str:
        text = self.texts.get(lang, {}).get(key) or self.texts["az"].get(key) or key
        if values:
            try:
                return text.format(**values)
            except (KeyError, IndexError, ValueError):
                return text
        return text

    def check(self) -> list[str]:
        """Problems: keys missing or empty in a language, placeholders that differ."""
        problems = []
        keys = set().union(*(set(t) for t in self.texts.values()))
        for key in sorted(keys):
            for lang in LANGS:
                if not self.texts[lang].get(key):
                    problems.append(f"{self.package}: {lang}: missing {key!r}")
        return problems


@cache
def catalog(package: str) -> Catalog:
    return Catalog(package)


def tr(key: str, lang: str, /, **values: Any) -> str:
    """Translate a key of the shared ``wire`` catalog (error messages, common words)."""
    return catalog("wire").tr(key, lang, **values)


def wait_words(wait: WaitRange, lang: str, /, *, short: bool = False) -> str:
    """The promised wait in words, the same on every screen and on the paper.

    "Estimated wait: 5-11 min", "Estimated wait: under a minute" or "No wait"; ``short``
    for a line that already says what it counts ("Waiting: 3 · ~5-11 min"). The range is
    shown as the server decided it, never rounded again (docs/protocol.md, "The promised
    wait"). A hyphen, not a dash: the printers' code pages have no dash.
    """
    form = "wait.short" if short else "wait"
    if wait.none:
        return tr(f"{form}.none", lang)
    if wait.under_minute:
        return tr(f"{form}.under_minute", lang)
    return tr(f"{form}.range", lang, low=wait.low_min, high=wait.high_min)

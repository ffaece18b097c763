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

LANGS = ("az", "ru", "en")


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

"""The pages' HTML and texts, without a server: every state in every language, the size,
the policy, the typed address."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from server.security import normalize_ticket_token, ticket_token
from server.web import pages
from server.web.replica import TicketPage, Transfer
from wire.i18n import LANGS, catalog
from wire.links import short_link, split_link
from wire.types import WaitRange

AT = datetime(2026, 11, 30, 10, 15)

STATES = ["waiting", "called", "serving", "parked", "done", "no_show", "cancelled", "closed", "day_closed"]


def test_the_pages_catalog_is_complete_in_three_languages() -> None:
    assert catalog("server.web").check() == []


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("state", STATES)
def test_every_state_has_its_words(state: str, lang: str) -> None:
    page = TicketPage(
        number="A015",
        lang="az",
        state=state,
        service={"az": "Şəxsiyyət vəsiqəsi", "ru": "Удостоверение", "en": "Identity card"},
        agency={"az": "DİN", "ru": "МВД", "en": "MIA"},
        ahead=3,
        wait=WaitRange(5, 11),
        counter=12,
        place={"az": "2-ci mərtəbə", "ru": "2-й этаж", "en": "Floor 2"},
        transfer=Transfer({"az": "Rüsum", "ru": "Пошлина", "en": "Fee"}, 12, None, 12),
    )
    html = pages.ticket_page(page, lang, "Mərkəz <1>", "../", AT)
    assert "A015" in html
    assert "{" not in re.sub(r"<(style|script)>.*?</\1>", "", html, flags=re.S), "no placeholder left"
    assert "Mərkəz &lt;1&gt;" in html, "names are escaped"
    assert len(html.encode()) < 50_000
    if state == "called":
        assert {"az": "12 saylı masaya", "ru": "окну 12", "en": "counter 12"}[lang] in html
        assert {"az": "2-ci mərtəbə", "ru": "2-й этаж", "en": "Floor 2"}[lang] in html
    if state == "waiting":
        assert {"az": "Sizdən əvvəl: 3", "ru": "Перед вами: 3", "en": "Ahead of you: 3"}[lang] in html
        assert "5-11" in html


def test_the_policy_allows_only_the_pages_own_style_and_script() -> None:
    assert "'unsafe-inline'" not in pages.CSP
    assert "default-src 'none'" in pages.CSP
    assert pages.CSP.count("'sha256-") == 2


def test_a_token_typed_from_the_paper() -> None:
    token = ticket_token("k" * 43, "20261130-A001")
    assert len(token) == 26
    url = f"https://novbe.example.az/t/{token}"
    typed = short_link(url)
    assert typed.startswith("novbe.example.az/t/")
    assert normalize_ticket_token(typed.rsplit("/", 1)[1].upper()) == token
    assert "".join(split_link(url)) == typed
    assert normalize_ticket_token("0" * 26) is None, "no 0 or 1 in base32"
    assert short_link("NOVBE:BAKU1:20261130-A001") == ""
    assert ticket_token("k" * 43, "20261130-A002") != token


def test_the_language_follows_the_ticket_unless_asked() -> None:
    assert pages.pick_lang(None, "en-GB,en;q=0.9", "ru") == "ru"
    assert pages.pick_lang("en", None, "ru") == "en"
    assert pages.pick_lang("xx", "ru-RU,ru", "") == "ru"
    assert pages.pick_lang(None, None, "") == "az"

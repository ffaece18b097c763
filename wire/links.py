"""The address of a ticket's page as a citizen types it from the paper."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["link_token", "short_link", "split_link"]

_TOKEN = re.compile(r"^[a-z2-7]{26}$")
"""A ticket's page token (``server.security.ticket_token``): 26 base32 characters."""

_LINK = re.compile(
    r"^(?:https?://)?[^/\s]+(?:/[^/\s]+)*/t/(?P<token>[a-z2-7](?:-?[a-z2-7]){25})/?$", re.IGNORECASE
)
"""A ticket page's address: any site and folder, ``/t/``, the token (dashes between any of its
characters, as :func:`short_link` cuts it in fours)."""


def short_link(url: str) -> str:
    """``url`` without its ``https://``, the token cut into groups of four for typing
    (``novbe.example.az/t/k7qm-d2xw-4n5t-pa3h-zr6y-cebv-fu``); the server takes the token
    with or without the dashes. "" for data that is no web address (a ticket of a center
    without public pages carries its id)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    head, _, last = parts.path.rpartition("/")
    if _TOKEN.match(last):
        last = "-".join(last[i : i + 4] for i in range(0, len(last), 4))
    short = f"{parts.netloc}{head}/{last}"
    return short if parts.scheme == "https" else f"http://{short}"


def link_token(text: str) -> str | None:
    """The token of a ticket page's address (``https://novbe.example.az/t/TOKEN``, as its QR
    code holds it, or :func:`short_link`'s form from the paper), lowercase and without dashes;
    None for text that is no such address. The site is not checked: the server that knows
    the day's tickets says whether the token names one."""
    found = _LINK.match(text.strip())
    return found["token"].replace("-", "").lower() if found is not None else None


def split_link(url: str) -> tuple[str, str]:
    """:func:`short_link` in two parts for paper, where it is too long for one line: the
    site and folder (``novbe.example.az/t/``) and the token (``k7qm-d2xw-…``)."""
    short = short_link(url)
    head, _, last = short.rpartition("/")
    return (f"{head}/", last) if head else (short, "")

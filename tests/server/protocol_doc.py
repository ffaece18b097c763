"""Reading docs/protocol.md the way a person writing a client would: its sections, its
tables, its JSON examples. The acceptance and fuzz tests take what they check from here."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The text under a heading, up to the next heading of the same or a higher level."""
    found = re.search(rf"^(#+) {re.escape(title)}$", DOC, re.M)
    assert found is not None, f"no section {title!r} in docs/protocol.md"
    following = re.compile(rf"^#{{1,{len(found.group(1))}}} ", re.M).search(DOC, found.end())
    return DOC[found.end() : following.start() if following else len(DOC)]


def table(text: str) -> list[list[str]]:
    """The body rows of the markdown tables in ``text``: cells, stripped."""
    rows: list[list[str]] = []
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        if "-" in line and set(line) <= {"|", "-", " "}:
            rows.pop()  # the row above a rule is a header
            continue
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def code_spans(text: str) -> list[str]:
    return re.findall(r"`([^`\n]+)`", text)


def json_objects(text: str) -> Iterator[dict[str, Any]]:
    """Every JSON object written in ``text``: in ```json blocks and in `code spans`. Objects
    that abbreviate with … (not JSON) are left out."""
    decoder = json.JSONDecoder()
    for block in re.findall(r"```json\n(.*?)```", text, re.S):
        position = 0
        while position < len(block):
            if block[position].isspace():
                position += 1
                continue
            try:
                value, position = decoder.raw_decode(block, position)
            except ValueError:
                following = block.find("\n{", position)
                if following < 0:
                    break
                position = following + 1
                continue
            if isinstance(value, dict):
                yield value
    outside = re.sub(r"```.*?```", "", text, flags=re.S)
    for span in code_spans(outside):
        if span.startswith("{"):
            try:
                value = json.loads(span)
            except ValueError:
                continue
            if isinstance(value, dict):
                yield value


def documented_error_codes() -> set[str]:
    """The codes of the table under "Errors"."""
    return {code for row in table(section("Errors")) for code in code_spans(row[0])}


CLIENT_TYPES = {"hello"} | {
    kind for row in table(section("Requests").split("###")[0]) for kind in code_spans(row[1])
}
"""Every ``type`` a client may send, from the table of requests by role."""

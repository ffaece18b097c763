"""The HTML report: one self-contained file (styles inline, plots as inline SVG, no script,
nothing fetched), readable in any browser and printable."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from html import escape

from server.tally.figures import BOOKED_WITHIN_MIN, REASONS, BookedRow, Figures, Row

from .build import Report
from .index import IndexRow
from .national import NationalReport
from .plots import agencies_plot, heatmap, hours_plot
from .tables import INDEX_COLUMNS, Column, columns, report_outcomes
from .text import DASH, NationalWords, Words

_STYLE = """
body { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; margin: 20px 16px; color: #1a202c; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 2px solid #2b6cb0; padding-bottom: 3px; }
.period { font-size: 18px; color: #2b6cb0; margin: 0; }
.sub { color: #4a5568; margin: 4px 0 0; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 16px; }
.card { border: 1px solid #cbd5e0; border-radius: 6px; padding: 10px 14px; min-width: 150px; }
.card .v { font-size: 24px; font-weight: bold; color: #2b6cb0; }
.card .l { font-size: 13px; color: #4a5568; }
.wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: 11.5px; margin: 6px 0; }
th, td { border: 1px solid #e2e8f0; padding: 3px 4px; }
th { background: #edf2f7; vertical-align: bottom; text-align: left; font-size: 11px; }
td.name { min-width: 150px; max-width: 240px; }
td.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; background: #f7fafc; }
.up { color: #2f855a; } .down { color: #c53030; }
svg { max-width: 100%; height: auto; }
.note { color: #4a5568; font-size: 13px; }
footer { margin-top: 32px; color: #718096; font-size: 12px; }
"""


def _cell(value: float | int | None, column: Column, w: Words) -> str:
    if value is None:
        return DASH
    if column.kind == "share":
        return w.pct(float(value))
    if column.kind == "min":
        return w.num(float(value), 1)
    if column.kind == "score":
        return w.num(float(value), 2)
    return w.count(int(value))


def _tables(level: str, rows: list[Row], w: Words, total: Row | None = None) -> str:
    """The level's table in two halves: the queue, then service, satisfaction and the promise."""
    return _table(level, "queue", rows, w, total) + _table(level, "service", rows, w, total)


def _table(level: str, part: str, rows: list[Row], w: Words, total: Row | None = None) -> str:
    cols = columns(level, part)
    standard = w.standard()
    key_title = {"center": "col.code", "agency": "col.code", "service": "col.code", "counter": "col.counter",
                 "operator": "col.operator", "day": "col.day"}[level]  # fmt: skip
    head = [w(key_title)] + ([w("col.name")] if level not in ("operator", "day") else [])
    head += [w(c.title, standard=standard) for c in cols]
    out = ['<div class="wrap"><table><tr>', *(f"<th>{escape(h)}</th>" for h in head), "</tr>"]

    def line(row: Row, css: str = "", key: str | None = None) -> None:
        shown = w.name(level, row.key) if level in ("operator", "day") else row.key
        cells = [escape(key if key is not None else shown)]
        if level not in ("operator", "day"):
            cells.append(escape(w.name(level, row.key)) if key is None else "")
        out.append(f'<tr class="{css}">' if css else "<tr>")
        out.append(f"<td>{cells[0]}</td>")
        out.extend(f'<td class="name">{c}</td>' for c in cells[1:])
        out.extend(f'<td class="n">{escape(_cell(c.get(row), c, w))}</td>' for c in cols)
        out.append("</tr>")

    for row in rows:
        line(row)
    if total is not None:
        line(total, "total", w("level.center"))
    out.append("</table></div>")
    return "".join(out)


def _index_table(
    rows: Sequence[IndexRow], w: Words, name_of: Callable[[str], str] | None = None, what: str = "col.agency"
) -> str:
    """The ranking: agencies by default; ``name_of`` and ``what`` name other things ranked."""
    name_of = name_of or w.agency
    heads = [what if h == "col.agency" else h for h in INDEX_COLUMNS]
    out = ['<div class="wrap"><table><tr>', *(f"<th>{escape(w(h))}</th>" for h in heads), "</tr>"]
    for i in rows:
        # Rounded first, so that a change too small to show reads 0,0 and not -0,0.
        shown = None if i.change is None else round(i.change, 1) + 0.0
        change = DASH if shown is None else ("+" if shown > 0 else "") + w.num(shown, 1)
        css = "" if not shown else ("up" if shown > 0 else "down")
        cells = [
            (str(i.rank), "n"),
            (i.agency, ""),
            (name_of(i.agency), ""),
            (w.num(i.index, 1), "n"),
            (w.pct(i.delivery), "n"),
            (w.pct(i.satisfaction), "n"),
            (w.count(i.ratings), "n"),
            (DASH if i.previous is None else w.num(i.previous, 1), "n"),
            (DASH if i.previous_rank is None else str(i.previous_rank), "n"),
            (change, f"n {css}".strip()),
        ]
        out.append("<tr>" + "".join(f'<td class="{c}">{escape(v)}</td>' for v, c in cells) + "</tr>")
    out.append("</table></div>")
    return "".join(out)


def _reasons_table(fig: Figures, w: Words) -> str:
    center = fig.center
    total = sum(center.reasons.values())
    head = [w("col.reason"), w("col.count"), w("col.share")]
    out = ['<div class="wrap"><table><tr>', *(f"<th>{escape(h)}</th>" for h in head), "</tr>"]
    for reason in REASONS:
        n = center.reasons[reason]
        out.append(
            f'<tr><td>{escape(w(f"reason.{reason}"))}</td><td class="n">{escape(w.count(n))}</td>'
            f'<td class="n">{escape(w.pct(n / total if total else None))}</td></tr>'
        )
    out.append("</table></div>")
    return "".join(out)


def _outcomes_table(report: Report, w: Words) -> str:
    """How the visits ended, for the center and each service that served someone: the
    count and the share of each outcome the operators chose at the finish."""
    codes = report_outcomes(report)
    head = [w("col.name"), w("col.served"), *(w.outcome(code) for code in codes)]
    out = ['<div class="wrap"><table><tr>', *(f"<th>{escape(h)}</th>" for h in head), "</tr>"]
    rows = [report.figures.center, *(r for r in report.figures.rows["service"] if r.served)]
    for row in rows:
        cells = [
            f"<td>{escape(w.name(row.level, row.key))}</td>",
            f'<td class="n">{escape(w.count(row.served))}</td>',
        ]
        for code in codes:
            n = row.outcomes.get(code, 0)
            share = w.pct(n / row.served if row.served else None, 0)
            cells.append(f'<td class="n">{escape(w.count(n))} · {escape(share)}</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table></div>")
    return "".join(out)


def _booked_table(fig: Figures, w: Words) -> str:
    """Booked visits against walk-ins: the center, then each service that had bookings."""
    minutes = w.num(BOOKED_WITHIN_MIN, 0)
    head = [
        w("col.name"),
        w("col.booked"),
        w("col.checked_in"),
        w("col.missed"),
        w("col.after_slot_mean"),
        w("col.after_slot_p90"),
        w("col.after_slot_within", minutes=minutes),
        w("col.walk_ins"),
        w("col.walk_in_wait_mean"),
        w("col.walk_in_wait_p90"),
        w("col.walk_in_within", standard=w.standard()),
    ]
    out = ['<div class="wrap"><table><tr>', *(f"<th>{escape(h)}</th>" for h in head), "</tr>"]

    def line(row: BookedRow, level: str, css: str = "") -> None:
        cells = [
            w.count(row.booked),
            w.count(row.checked_in),
            w.count(row.missed),
            w.num(row.after_slot_mean),
            w.num(row.after_slot_p90),
            w.pct(row.after_slot_within_share),
            w.count(row.walk_ins),
            w.num(row.walk_in_wait_mean),
            w.num(row.walk_in_wait_p90),
            w.pct(row.walk_in_within_share),
        ]
        out.append(
            f'<tr{css}><td class="name">{escape(w.name(level, row.key))}</td>'
            + "".join(f'<td class="n">{escape(cell)}</td>' for cell in cells)
            + "</tr>"
        )

    center, *services = fig.booked
    for row in services:
        line(row, "service")
    line(center, "center", ' class="total"')
    out.append("</table></div>")
    return "".join(out) + f'<p class="note">{escape(w("note.booked", minutes=minutes))}</p>'


LEVEL_SECTIONS = (
    ("service", "section.services"),
    ("counter", "section.counters"),
    ("operator", "section.operators"),
    ("day", "section.days"),
)


def _section(title: str, body: str) -> str:
    return f"<section><h2>{escape(title)}</h2>{body}</section>"


def _read_notes(report: Report | NationalReport, w: Words) -> list[str]:
    """Notes on what the figures were made from: no printed range, no rating, no previous
    period, events skipped or damaged."""
    fig = report.figures
    out = []
    if fig.no_range:
        out.append(w("note.no_range", n=w.count(fig.no_range)))
    if not fig.center.ratings:
        out.append(w("note.no_ratings"))
    if not report.before.days:
        out.append(w("note.no_previous", period=w.period(report.previous)))
    if report.skipped:
        types = ", ".join(f"{name} ({n})" for name, n in sorted(report.skipped.items()))
        out.append(w("note.skipped", n=w.count(sum(report.skipped.values())), types=types))
    if report.unreadable:
        out.append(w("note.unreadable", n=w.count(report.unreadable)))
    return out


def notes(report: Report, w: Words) -> list[str]:
    """What the reader must know to trust the figures: days not closed, events skipped."""
    fig = report.figures
    out = []
    if not fig.center.tickets:
        out.append(w("note.no_tickets"))
    for day, n in fig.not_closed:
        out.append(w("note.not_closed", day=w.date(day), n=n))
    return out + _read_notes(report, w)


def _cards(c: Row, w: Words) -> str:
    """The summary: tickets, served, mean wait, within the standard, satisfied, the promise."""
    wait = DASH if c.wait_mean is None else f"{w.num(c.wait_mean, 1)} {w('unit.min')}"
    cards = [
        (w.count(c.tickets), w("card.tickets")),
        (w.count(c.served), w("card.served")),
        (wait, w("card.wait_mean")),
        (w.pct(c.within_share), w("card.within", standard=w.standard())),
        (w.pct(c.satisfied_share), f"{w('card.satisfied')} · {w('card.ratings', n=w.count(c.ratings))}"),
        (w.pct(c.promise_inside), w("card.promise")),
    ]
    cells = "".join(
        f'<div class="card"><div class="v">{escape(v)}</div><div class="l">{escape(label)}</div></div>'
        for v, label in cards
    )
    return f'<div class="cards">{cells}</div>'


def _head(w: Words, title: str, period: str, subtitle: str) -> str:
    """The document's start, to the end of its header."""
    return (
        f'<!DOCTYPE html>\n<html lang="{w.lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)} · {escape(period)}</title><style>{_STYLE}</style></head><body>"
        f'<header><h1>{escape(title)}</h1><p class="period">{escape(period)}</p>'
        f'<p class="sub">{escape(subtitle)}</p></header>'
    )


def _tail(w: Words, found: list[str], generated: str) -> str:
    """The notes, if any, and the footer, to the document's end."""
    out = ""
    if found:
        out += _section(
            w("section.notes"), "<ul>" + "".join(f"<li>{escape(n)}</li>" for n in found) + "</ul>"
        )
    return (
        f"{out}<footer><p>{escape(generated)}</p><p>{escape(w('report.docs'))}</p></footer></body></html>\n"
    )


def _made(made_at: datetime | None) -> str:
    return (made_at or datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M")


def render(report: Report, w: Words, *, made_at: datetime | None = None) -> str:
    """The whole HTML document."""
    fig = report.figures
    c = fig.center
    standard = w.standard()
    title = w("report.title", center=report.center.name.get(w.lang))
    period = w.period(report.period)
    parts = [
        _head(w, title, period, w("report.subtitle", days=len(fig.days), standard=standard)),
        _section(w("section.summary"), _cards(c, w)),
        _section(
            w("section.index"),
            f'{_index_table(report.index, w)}<p class="note">{escape(w("note.index"))}</p>',
        ),
        _section(w("section.hours"), hours_plot(report, w)),
        _section(
            w("section.agencies"), agencies_plot(report, w) + _tables("agency", fig.rows["agency"], w, c)
        ),
    ]
    several = len(fig.days) > 1
    if several:
        parts.append(_section(w("section.heatmap"), heatmap(report, w)))
    for level, heading in LEVEL_SECTIONS:
        if level != "day" or several:
            parts.append(_section(w(heading), _tables(level, fig.rows[level], w)))
    if fig.booked and fig.booked[0].booked:
        parts.append(_section(w("section.booked"), _booked_table(fig, w)))
    parts.append(_section(w("section.outcomes"), _outcomes_table(report, w)))
    parts.append(_section(w("section.ratings"), _reasons_table(fig, w)))
    generated = w("report.generated", events=w.count(report.events), when=_made(made_at))
    parts.append(_tail(w, notes(report, w), generated))
    return "".join(parts)


def _matrix(report: NationalReport, w: NationalWords) -> str:
    """Each agency (national rank order) at each center: its index there, and its rank there."""
    at = report.index_at()
    codes = report.codes
    head = [w("col.rank"), w("col.code"), w("col.agency"), *codes]
    out = ['<div class="wrap"><table><tr>', *(f"<th>{escape(h)}</th>" for h in head), "</tr>"]
    for i in report.index:
        here = at.get(i.agency, {})
        cells = [f'<td class="n">{i.rank}</td>', f"<td>{escape(i.agency)}</td>"]
        cells.append(f'<td class="name">{escape(w.agency(i.agency))}</td>')
        for code in codes:
            row = here.get(code)
            shown = DASH if row is None else f"{w.num(row.index, 1)} ({row.rank})"
            cells.append(f'<td class="n">{escape(shown)}</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table></div>")
    return "".join(out)


def national_notes(report: NationalReport, w: NationalWords) -> list[str]:
    """What the reader must know: centers without data, days not closed, events skipped."""
    out = []
    if report.missing:
        names = ", ".join(f"{code} ({w.center_name(code)})" for code in report.missing)
        out.append(w("national.missing", centers=names, period=w.period(report.period)))
    for code, center in zip(report.codes, report.centers, strict=True):
        for day, n in center.figures.not_closed:
            out.append(f"{code}: {w('note.not_closed', day=w.date(day), n=n)}")
    return out + _read_notes(report, w)


def render_national(report: NationalReport, w: NationalWords, *, made_at: datetime | None = None) -> str:
    """The national report as one HTML document: the pooled summary, the agency index across
    all centers, the centers' standing, each agency at each center, then the tables."""
    fig = report.figures
    c = fig.center
    title = w("national.title")
    period = w.period(report.period)
    subtitle = w("national.subtitle", centers=len(report.codes), days=len(fig.days), standard=w.standard())
    parts = [
        _head(w, title, period, subtitle),
        _section(w("section.summary"), _cards(c, w)),
        _section(
            w("national.index"),
            f'{_index_table(report.index, w)}<p class="note">{escape(w("national.note.index"))}</p>',
        ),
        _section(
            w("national.standing"),
            f"{_index_table(report.standing, w, w.center_name, 'col.center')}"
            f'<p class="note">{escape(w("national.note.standing"))}</p>',
        ),
        _section(
            w("national.matrix"),
            f'{_matrix(report, w)}<p class="note">{escape(w("national.note.matrix"))}</p>',
        ),
        _section(w("national.centers"), _tables("center", report.center_rows(), w, c)),
        _section(w("section.agencies"), _tables("agency", fig.rows["agency"], w, c)),
        _section(w("section.services"), _tables("service", fig.rows["service"], w)),
    ]
    if len(fig.days) > 1:
        parts.append(_section(w("section.days"), _tables("day", fig.rows["day"], w)))
    parts.append(_section(w("section.ratings"), _reasons_table(fig, w)))
    generated = w("national.generated", events=w.count(report.events), when=_made(made_at))
    parts.append(_tail(w, national_notes(report, w), generated))
    return "".join(parts)

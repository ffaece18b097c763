"""The report's tables: which columns each level has, and the CSV and XLSX files.

The CSV is for programs: one row per center, agency, service, counter, operator and day,
with stable English column names (docs/reports.md lists them), numbers with a decimal
point, shares in [0, 1], empty cells for figures that have nothing to be computed from.
The XLSX is for people: one sheet per table, headers and names in the report's language.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from server.tally.figures import LEVELS, REASONS, Row, outcome_codes

from .build import Report
from .index import IndexRow
from .national import NationalReport
from .text import Words


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    """The CSV name."""
    title: str
    """The catalog key of the header."""
    get: Callable[[Row], float | int | None]
    kind: str = "count"
    """``count``, ``min`` (minutes), ``share`` or ``score``."""


COLUMNS: tuple[Column, ...] = (
    Column("tickets", "col.tickets", lambda r: r.tickets),
    Column("visits", "col.visits", lambda r: r.visits),
    Column("served", "col.served", lambda r: r.served),
    Column("no_shows", "col.no_shows", lambda r: r.no_shows),
    Column("transfers", "col.transfers", lambda r: r.transfers),
    Column("cancelled", "col.cancelled", lambda r: r.cancelled),
    Column("unserved", "col.unserved", lambda r: r.unserved),
    Column("called", "col.waited", lambda r: r.waited),
    Column("wait_mean_min", "col.wait_mean", lambda r: r.wait_mean, "min"),
    Column("wait_median_min", "col.wait_median", lambda r: r.wait_median, "min"),
    Column("wait_p90_min", "col.wait_p90", lambda r: r.wait_p90, "min"),
    Column("wait_max_min", "col.wait_max", lambda r: r.wait_max, "min"),
    Column("within_standard_share", "col.within", lambda r: r.within_share, "share"),
    Column("service_mean_min", "col.service_mean", lambda r: r.service_mean, "min"),
    Column("service_p90_min", "col.service_p90", lambda r: r.service_p90, "min"),
    Column("ratings", "col.ratings", lambda r: r.ratings),
    Column("rating_mean", "col.rating_mean", lambda r: r.rating_mean, "score"),
    Column("satisfied_share", "col.satisfied", lambda r: r.satisfied_share, "share"),
    Column("promise_inside_share", "col.promise_inside", lambda r: r.promise_inside, "share"),
    Column("promise_later_share", "col.promise_later", lambda r: r.promise_later, "share"),
)
"""Every figure of a row, in the order the tables show them."""

HIDDEN: dict[str, frozenset[str]] = {
    "counter": frozenset({"tickets", "cancelled", "unserved", "promise_inside_share", "promise_later_share"}),
    "operator": frozenset(
        {"tickets", "cancelled", "unserved", "promise_inside_share", "promise_later_share"}
    ),
}
"""Columns a level's table leaves out (they don't belong to it; the CSV leaves them empty)."""


SERVICE_COLUMNS = frozenset(
    {
        "service_mean_min",
        "service_p90_min",
        "ratings",
        "rating_mean",
        "satisfied_share",
        "promise_inside_share",
        "promise_later_share",
    }
)
"""The second half of a table too wide for a page: service, satisfaction, the promise."""


def columns(level: str, part: str | None = None) -> list[Column]:
    """The columns of ``level``'s table; ``part`` "queue" or "service" for one half of it."""
    hidden = HIDDEN.get(level, frozenset())
    shown = [c for c in COLUMNS if c.key not in hidden]
    if part is None:
        return shown
    return [c for c in shown if (c.key in SERVICE_COLUMNS) == (part == "service")]


def report_outcomes(report: Report) -> list[str]:
    """The outcome codes a report's tables show, in order (see ``figures.outcome_codes``)."""
    return outcome_codes([o.code for o in report.center.outcomes], report.figures.center.outcomes)


CSV_HEADER = [
    "level",
    "key",
    "name",
    *(c.key for c in COLUMNS),
    *(f"reason_{reason}" for reason in REASONS),
    "index",
    "index_rank",
    "index_delivery",
    "index_satisfaction",
    "index_previous",
    "index_change",
]
"""The columns of a report's CSV (docs/reports.md), a center's or the nation's."""


def _csv_value(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def write_csv(report: Report, w: Words, path: Path) -> None:
    """One row per center, agency, service, counter, operator and day (the ``level``
    column), then the index in its own columns on the agency rows."""
    index = {i.agency: i for i in report.index}
    codes = report_outcomes(report)
    header = [*CSV_HEADER[:-6], *(f"outcome_{code or 'none'}" for code in codes), *CSV_HEADER[-6:]]
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(header)
        for level in LEVELS:
            for row in report.figures.rows[level]:
                line = [level, row.key, w.name(level, row.key)]
                line += [_csv_value(c.get(row)) for c in COLUMNS]
                line += [str(row.reasons[reason]) for reason in REASONS]
                line += [str(row.outcomes.get(code, 0)) for code in codes]
                line += _index_cells(index.get(row.key) if level == "agency" else None)
                out.writerow(line)


def write_hours_csv(report: Report, path: Path) -> None:
    """Arrivals and mean waits by hour: ``day`` = ``all`` for the whole period, then each day."""
    fig = report.figures
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["day", "hour", "arrivals", "wait_mean_min", "within_standard_share"])
        for h in fig.hours:
            out.writerow(["all", h.hour, h.arrivals, _csv_value(h.wait_mean), _csv_value(h.within_share)])
        for n, day in enumerate(fig.days):
            for hour in range(24):
                wait = fig.grid_wait[n, hour]
                arrivals = int(fig.grid_arrivals[n, hour])
                if arrivals or wait == wait:  # NaN != NaN: an hour with nothing in it is left out
                    out.writerow([day.isoformat(), hour, arrivals, "" if wait != wait else f"{wait:.4f}", ""])


INDEX_COLUMNS = (
    "col.rank",
    "col.code",
    "col.agency",
    "col.index",
    "col.delivery",
    "col.satisfaction",
    "col.ratings",
    "col.previous",
    "col.previous_rank",
    "col.change",
)
"""The index table's headers (catalog keys), in the HTML and the XLSX."""

_FORMATS = {"count": "#,##0", "min": "0.0", "share": "0.0%", "score": "0.00"}


def _sheet_title(text: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\."""
    for bad in "[]:*?/\\":
        text = text.replace(bad, " ")
    return text[:31]


def write_xlsx(report: Report, w: Words, path: Path) -> None:
    """One sheet per table, in the report's language."""
    book = Workbook()
    bold = Font(bold=True)
    first = book.active
    assert first is not None
    book.remove(first)

    def sheet(
        title: str, header: list[str], rows: Sequence[Sequence[object]], formats: list[str | None]
    ) -> None:
        ws = book.create_sheet(_sheet_title(title))
        ws.append(header)
        for cell in ws[1]:
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in rows:
            ws.append(row)
        for col, fmt in enumerate(formats, start=1):
            letter = get_column_letter(col)
            ws.column_dimensions[letter].width = 14 if col > 2 else 32
            if fmt is not None:
                for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
                    cell.number_format = fmt
        ws.freeze_panes = "C2"

    standard = w.standard()
    titles = {
        "center": w("section.summary"),
        "agency": w("section.agencies"),
        "service": w("section.services"),
        "counter": w("section.counters"),
        "operator": w("section.operators"),
        "day": w("section.days"),
    }
    key_title = {
        "center": "",
        "agency": w("col.code"),
        "service": w("col.code"),
        "counter": w("col.counter"),
        "operator": w("col.operator"),
        "day": w("col.day"),
    }
    codes = report_outcomes(report)
    for level in LEVELS:
        cols = columns(level)
        header = [key_title[level], w("col.name"), *(w(c.title, standard=standard) for c in cols)]
        header += [w(f"reason.{reason}") for reason in REASONS]
        header += [w.outcome(code) for code in codes]
        rows = [
            [
                row.key,
                w.name(level, row.key),
                *(c.get(row) for c in cols),
                *(row.reasons[r] for r in REASONS),
                *(row.outcomes.get(code, 0) for code in codes),
            ]
            for row in report.figures.rows[level]
        ]
        counts = len(REASONS) + len(codes)
        formats: list[str | None] = [None, None, *(_FORMATS[c.kind] for c in cols), *["#,##0"] * counts]
        sheet(titles[level], header, rows, formats)
        if level == "center":
            index_rows = [
                [i.rank, i.agency, w.agency(i.agency), i.index, i.delivery, i.satisfaction, i.ratings,
                 i.previous, i.previous_rank, i.change]
                for i in report.index
            ]  # fmt: skip
            sheet(
                w("section.index"),
                [w(key) for key in INDEX_COLUMNS],
                index_rows,
                [None, None, None, "0.0", "0.0%", "0.0%", "#,##0", "0.0", None, "+0.0;-0.0;0.0"],
            )
    fig = report.figures
    sheet(
        w("section.hours_table"),
        [
            w("col.hour"),
            w("col.arrivals"),
            w("col.waited"),
            w("col.wait_mean"),
            w("col.within", standard=standard),
        ],
        [[h.hour, h.arrivals, h.waited, h.wait_mean, h.within_share] for h in fig.hours],
        [None, "#,##0", "#,##0", "0.0", "0.0%"],
    )
    grid = [
        [w.date(day), *(None if v != v else float(v) for v in fig.grid_wait[n])]
        for n, day in enumerate(fig.days)
    ]
    sheet(w("section.heatmap"), [w("col.day"), *(f"{h:02d}" for h in range(24))], grid, [None, *["0.0"] * 24])
    book.save(path)


NATIONAL_LEVELS = ("center", "agency", "service", "day")
"""The tables of the national report, after its total (level ``nation``)."""


def _index_cells(i: IndexRow | None) -> list[str]:
    if i is None:
        return [""] * 6
    return [
        _csv_value(i.index),
        str(i.rank),
        _csv_value(i.delivery),
        _csv_value(i.satisfaction),
        _csv_value(i.previous),
        _csv_value(i.change),
    ]


def write_national_csv(report: NationalReport, w: Words, path: Path) -> None:
    """The national report's rows: ``nation`` (every center pooled), then one per ``center``
    (with its standing in the index columns), ``agency`` (with the national index),
    ``service`` and ``day``; the columns of :func:`write_csv`."""
    index = {i.agency: i for i in report.index}
    standing = {i.agency: i for i in report.standing}
    rows: list[tuple[str, Row]] = [("nation", report.figures.center)]
    rows += [("center", row) for row in report.center_rows()]
    rows += [(level, row) for level in NATIONAL_LEVELS[1:] for row in report.figures.rows[level]]
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(CSV_HEADER)
        for level, row in rows:
            line = [level, row.key, w.name("center" if level == "nation" else level, row.key)]
            line += [_csv_value(c.get(row)) for c in COLUMNS]
            line += [str(row.reasons[reason]) for reason in REASONS]
            ranked = {"agency": index, "center": standing}.get(level, {})
            line += _index_cells(ranked.get(row.key))
            out.writerow(line)


def write_matrix_csv(report: NationalReport, path: Path) -> None:
    """Each agency at each center: ``agency``, ``center``, and the agency's ``index``,
    ``index_rank``, ``index_delivery``, ``index_satisfaction`` at that center (its own
    report's), for the agencies with visits there."""
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["agency", "center", "index", "index_rank", "index_delivery", "index_satisfaction"])
        for agency, centers in sorted(report.index_at().items()):
            for code, i in sorted(centers.items()):
                out.writerow([agency, code, *_index_cells(i)[:4]])

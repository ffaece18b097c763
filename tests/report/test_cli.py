"""``novbe report`` on a simulated center: the files it writes, and refusals of bad input."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import openpyxl
import pytest

from novbe.cli import main as novbe
from report.build import build_report
from report.cli import main
from report.periods import span
from server.simulate.run import FIRST_DAY
from server.store import EventStore

from .conftest import Simulated


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_report_writes_html_csv_and_xlsx(
    simulated: Simulated, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, said, _ = run(
        capsys, "--dir", str(simulated.folder), "--from", "2026-11-24", "--to", "2026-11-26", "--lang", "az",
        "--out", str(out),
    )  # fmt: skip
    assert code == 0
    stem = "report-2026-11-24_2026-11-26-az"
    names = {p.name for p in out.iterdir()}
    assert names == {f"{stem}.html", f"{stem}.csv", f"{stem}-hours.csv", f"{stem}.xlsx"}
    assert "3 day(s)" in said

    with EventStore(simulated.url) as store:
        report = build_report(
            store, simulated.center, span(FIRST_DAY.replace(day=24), FIRST_DAY.replace(day=26))
        )
    center = report.figures.center

    html = (out / f"{stem}.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 3, "hours, agencies, day x hour"
    # Self-contained: nothing fetched, nothing run.
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html
    assert not re.search(r"url\((?!#)", html), "only references inside the document"
    assert "Daxili İşlər Nazirliyi" in html
    assert "Qurumların indeksi" in html
    assert f">{center.tickets:,}<".replace(",", "\u00a0") in html, "az numbers group thousands with a space"

    with (out / f"{stem}.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    first = rows[0]
    assert (first["level"], first["name"]) == ("center", "Bakı 1 nömrəli ASAN xidmət mərkəzi")
    assert int(first["tickets"]) == center.tickets
    assert float(first["wait_p90_min"]) == pytest.approx(center.wait_p90, abs=1e-4)
    levels = {r["level"] for r in rows}
    assert levels == {"center", "agency", "service", "counter", "operator", "day"}
    agencies = [r for r in rows if r["level"] == "agency"]
    assert sorted(int(r["index_rank"]) for r in agencies) == list(range(1, len(agencies) + 1))
    assert all(r["index_change"] for r in agencies), "the previous period is in the log too"
    with (out / f"{stem}-hours.csv").open(encoding="utf-8") as f:
        hours = [r for r in csv.DictReader(f) if r["day"] == "all"]
    assert sum(int(r["arrivals"]) for r in hours) == center.tickets

    book = openpyxl.load_workbook(out / f"{stem}.xlsx")
    assert book.sheetnames[:3] == ["Xülasə", "Qurumların indeksi", "Qurumlar"]
    summary = book["Xülasə"]
    header = [c.value for c in summary[1]]
    assert summary.cell(2, header.index("Talon") + 1).value == center.tickets
    assert summary.cell(2, header.index("Orta gözləmə, dəq") + 1).value == pytest.approx(center.wait_mean)
    index = book["Qurumların indeksi"]
    assert index.cell(2, 1).value == 1
    assert index.cell(2, 2).value == report.index[0].agency


def test_report_of_the_last_day_by_default_in_russian(
    simulated: Simulated, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, said, _ = run(
        capsys, "--dir", str(simulated.folder), "--lang", "ru", "--format", "html", "--out", str(tmp_path)
    )
    assert code == 0
    html = (tmp_path / "report-2026-11-26-ru.html").read_text(encoding="utf-8")
    assert "Индекс ведомств" in html
    assert html.count("<svg") == 2, "one day: no day x hour map"
    assert "1 day(s)" in said


def test_novbe_report_is_a_novbe_command(simulated: Simulated, tmp_path: Path) -> None:
    argv = ["report", "--dir", str(simulated.folder), "--week", "2026-W48", "--format", "csv"]
    assert novbe([*argv, "--out", str(tmp_path)]) == 0
    assert (tmp_path / "report-2026-W48-az.csv").is_file()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--month", "2026-13"], "'2026-13' is not a month: write YYYY-MM"),
        (["--day", "23.11.2026"], "'23.11.2026' is not a date: write YYYY-MM-DD"),
        (["--from", "2026-11-23"], "a range needs both --from and --to"),
        (["--from", "2026-11-25", "--to", "2026-11-23"], "the range ends (2026-11-23) before it starts"),
        (["--week", "2026-W60"], "'2026-W60': no such week"),
        (["--format", "pdf"], "unknown format pdf: choose from html, csv, xlsx"),
        (
            ["--month", "2027-01"],
            "no service day of the log falls in 2027-01; the log has 2026-11-23 to 2026-11-26",
        ),
    ],
)
def test_report_refuses_bad_input_with_one_line(
    simulated: Simulated, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, "--dir", str(simulated.folder), "--out", str(tmp_path), *argv)
    assert code == 2
    assert err.count("\n") == 1, err
    assert err.startswith("novbe report: ")
    assert message in err
    assert not list(tmp_path.iterdir()), "nothing written"


def test_report_needs_the_center_and_its_log(
    simulated: Simulated, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--dir", str(tmp_path))
    assert code == 2
    assert err.count("\n") == 1, err
    assert f"{tmp_path / 'center.toml'}: cannot read" in err
    assert "(give --dir or --center)" in err
    (tmp_path / "center.toml").write_bytes((simulated.folder / "center.toml").read_bytes())
    code, _, err = run(capsys, "--dir", str(tmp_path))
    assert code == 2
    assert err == f"novbe report: no event log at {tmp_path / 'novbe.db'} (give --dir or --db)\n"

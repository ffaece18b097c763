"""``novbe simulate``: table, CSV and PNGs; both configuration formats; refusals."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from server.center import Center, dump_center
from server.simulate.cli import counter_list, main
from server.simulate.day import Behaviour
from server.simulate.policies import POLICIES, with_policy
from server.simulate.run import center_setup, day_rng
from server.simulate.workload import draw_citizens


def test_one_day_writes_table_csv_and_plots(
    reference_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "--center",
            str(reference_path),
            "--seed",
            "3",
            "--csv",
            str(tmp_path / "out.csv"),
            "--plots",
            str(tmp_path / "plots"),
            "--predictions",
            "--counters-closed",
            "80",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "DIN" in out
    assert "ALL" in out
    assert "LES bias" in out
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert {r["agency"] for r in rows} >= {"DIN", "BANK", "MED", "ALL"}
    overall = next(r for r in rows if r["agency"] == "ALL")
    assert 2_400 < int(overall["tickets"]) < 3_100
    assert float(overall["mean_wait"]) < 10
    for name in ("queues.png", "waits.png"):
        png = tmp_path / "plots" / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert 5_000 < png.stat().st_size < 400_000


def test_center_toml_is_accepted(
    reference: Center, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    toml = tmp_path / "center.toml"
    toml.write_text(dump_center(reference), encoding="utf-8")
    assert main(["--center", str(toml), "--policy", "per-service", "--no-breaks"]) == 0
    assert "policy per-service" in capsys.readouterr().out


def test_unknown_counter_and_missing_file_are_refused(
    reference_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--center", str(reference_path), "--counters-closed", "999"]) == 2
    assert "no counter 999" in capsys.readouterr().err
    assert main(["--center", str(tmp_path / "nope.toml")]) == 2


def test_counter_list() -> None:
    assert counter_list("12,41-43") == [(12, None), (41, None), (42, None), (43, None)]
    assert counter_list("7@14:30") == [(7, 14 * 60.0 + 30.0)]


def test_policies_meet_the_same_citizens(reference: Center) -> None:
    setup = center_setup(reference)
    first = draw_citizens(setup.workload, day_rng(5, 2))
    again = draw_citizens(center_setup(reference, policy="weighted").workload, day_rng(5, 2))
    assert first == again
    hall = with_policy(setup.hall, "weighted")
    weights = next(iter(hall.counters.values())).services
    assert weights["DIN-CRIM"] > weights["DIN-VEH"]  # 6 min errands before 15 min ones
    assert set(POLICIES) >= {"per-service", "oldest-first", "weighted", "head-start"}


def test_fee_payers_are_part_of_the_bank_share(reference: Center) -> None:
    """The bank's counters were sized for its share of visits, fee payers included."""
    w = center_setup(reference, behaviour=Behaviour()).workload
    assert w.fee_service == "BANK-FEE"
    others = sum(v for k, v in w.service_share.items() if k != "BANK-FEE")
    bank_visits = w.service_share["BANK-FEE"] + w.fee_share * others
    assert bank_visits == pytest.approx(0.1189, abs=1e-4)


def test_surge_closing_and_by_service(reference_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A lunch surge, the bank's counters closing at 15:00, one row per service."""
    argv = ["--center", str(reference_path), "--seed", "2", "--by-service", "--no-breaks"]
    assert main([*argv, "--surge", "13:00-14:00x2", "--counters-closed", "77-79@15:00"]) == 0
    out = capsys.readouterr().out
    assert "1 closing during the day" not in out
    assert "3 closing during the day" in out
    header = out.splitlines()[1]
    assert header.startswith("service")
    bank = next(line for line in out.splitlines() if line.startswith("BANK-FEE"))
    assert float(bank.split()[-2]) > 0  # citizens stranded at the bank, counted as unserved


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--surge", "13:00-12:00x2"], "not a surge"),
        (["--surge", "lunch"], "not a surge"),
        (["--counters-closed", "5@25:00"], "not a time of day"),
    ],
)
def test_bad_options_are_refused(
    reference_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--center", str(reference_path), *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err

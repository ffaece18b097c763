"""A clone of the repository is the whole project: nothing beside it is needed.

The clone is made into an empty folder (nothing beside it) and the demo runs from there,
with the clone's own code first on the path; the wheel carries the reference center.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]

CHECKOUT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (CHECKOUT / ".git").exists():
        pytest.skip("not a git checkout")
    alone = tmp_path_factory.mktemp("alone")
    target = alone / "novbe"
    subprocess.run(["git", "clone", "-q", str(CHECKOUT), str(target)], check=True, timeout=120)
    assert [p.name for p in alone.iterdir()] == ["novbe"]
    return target


def test_a_clone_runs_the_demo_with_nothing_beside_it(clone: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(clone),
        "NOVBE_HOME": str(tmp_path / "home"),
    }
    where = subprocess.run(
        [sys.executable, "-c", "import server; print(server.__file__)"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(clone), "the clone's own code must run"
    done = subprocess.run(
        [sys.executable, "-m", "novbe", "demo", "--headless", "--minutes", "1"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = done.stdout
    issued = int(summary.split("citizens took a ticket")[0].split(":")[-1])
    printed = int(summary.split("tickets printed")[0].split(",")[-1])
    served = int(summary.split("served")[0].split(",")[-1])
    assert issued > 0
    assert printed == issued
    assert served > 0
    assert list((clone / "demo-out" / "tickets").glob("*.png"))


def test_the_wheel_carries_the_reference_center(clone: Path, tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), "."],
        cwd=clone,
        check=True,
        timeout=300,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("novbe-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "server/centers/baku1.json" in names

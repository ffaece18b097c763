"""A clone of the repository is the whole project: nothing beside it is needed.

The clone is made into an empty folder (nothing beside it) and the demo runs from there,
with the clone's own code first on the path; the wheel carries the shipped centers (the
reference, and the example ``novbe init`` starts from) and the ``novbe`` command.
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


def _run(command: list[str], folder: Path, env: dict[str, str], timeout: float = 120) -> str:
    """Run ``command`` in ``folder`` with ``env`` and return what it printed."""
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _file_of(code: str, folder: Path, env: dict[str, str]) -> Path:
    """The file the Python lines ``code`` print, run where and as the commands run."""
    return Path(_run([sys.executable, "-c", code], folder, env).strip())


def test_a_clone_runs_the_demo_with_nothing_beside_it(clone: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(clone),
        "NOVBE_HOME": str(tmp_path / "home"),
    }
    code = _file_of("import server; print(server.__file__)", clone, env)
    assert code.is_relative_to(clone), "the clone's own code must run"
    summary = _run([sys.executable, "-m", "novbe", "demo", "--headless", "--minutes", "1"], clone, env, 300)
    issued = int(summary.split("citizens took a ticket")[0].split(":")[-1])
    printed = int(summary.split("tickets printed")[0].split(",")[-1])
    served = int(summary.split("served")[0].split(",")[-1])
    assert issued > 0
    assert printed == issued
    assert served > 0
    assert list((clone / "demo-out" / "tickets").glob("*.png"))


@pytest.fixture(scope="module")
def wheel(clone: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), "."],
        cwd=clone,
        check=True,
        timeout=300,
        capture_output=True,
    )
    (built,) = out.glob("novbe-*.whl")
    return built


def test_the_wheel_carries_the_shipped_centers_and_the_command(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (entry_points,) = (n for n in names if n.endswith(".dist-info/entry_points.txt"))
        scripts = archive.read(entry_points).decode()
    assert {"server/centers/baku1.json", "server/centers/example.toml"} <= names
    assert {"novbe/__main__.py", "novbe/cli.py", "novbe/demo.py", "novbe/process.py"} <= names
    assert "novbe = novbe.cli:main" in scripts.splitlines()


def test_novbe_init_from_the_installed_wheel_writes_the_example_center(wheel: Path, tmp_path: Path) -> None:
    """Installed, not run from a checkout: the example center comes from the package."""
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    home = tmp_path / "hall"
    said = _run([str(site / "bin" / "novbe"), "init", "--dir", str(home)], tmp_path, env)
    assert f"novbe init: wrote {home / 'center.toml'}" in said
    shipped = _file_of("import server.reference as r; print(r.example_center())", tmp_path, env)
    assert shipped.is_relative_to(site), "the installed package must answer"
    center = (home / "center.toml").read_text(encoding="utf-8")
    assert 'code = "DEMO"' in center
    assert 'prefix = "P"' in center  # the example file's own passport numbering

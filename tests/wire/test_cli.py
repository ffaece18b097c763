"""Command-line argument types the apps share."""

from __future__ import annotations

import argparse

import pytest

from wire import cli


def test_window_arguments_of_the_apps() -> None:
    """``--size`` and ``--position`` parse as the apps and the demo write them."""
    assert cli.size("1920x1080") == (1920, 1080)
    assert cli.position("560,-20") == (560, -20)
    for bad in ("1920", "x1080", "19x20x30"):
        with pytest.raises(argparse.ArgumentTypeError):
            cli.size(bad)
    with pytest.raises(argparse.ArgumentTypeError):
        cli.position("560x20")

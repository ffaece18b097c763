"""Command-line argument types the three apps share."""

from __future__ import annotations

import argparse
import re


def size(text: str) -> tuple[int, int]:
    """``WIDTHxHEIGHT`` (``1920x1080``) as a pair of ints; argparse's error otherwise."""
    m = re.fullmatch(r"(\d{2,5})x(\d{2,5})", text.strip().lower())
    if m is None:
        raise argparse.ArgumentTypeError(f'a size is WIDTHxHEIGHT, like 1920x1080, not "{text}"')
    return int(m.group(1)), int(m.group(2))


def position(text: str) -> tuple[int, int]:
    """``X,Y`` (``0,0`` is the top left of the screen) as a pair of ints."""
    m = re.fullmatch(r"(-?\d{1,5}),(-?\d{1,5})", text.strip())
    if m is None:
        raise argparse.ArgumentTypeError(f'a position is X,Y, like 0,0 or 560,40, not "{text}"')
    return int(m.group(1)), int(m.group(2))

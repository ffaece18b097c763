"""Pictures of the reference center's tickets through the virtual printer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from escpos.printer import Dummy
from PIL import Image

from hardware.layout import load_layout
from hardware.receipts import print_ticket
from hardware.render_samples import LANGS, center_views, main, priority_view, render

from .escpos_decode import decode


def dark_share(path: Path) -> float:
    image = Image.open(path).convert("L")
    histogram = image.histogram()
    return sum(histogram[:128]) / (image.width * image.height)


@pytest.mark.parametrize("paper_mm", [80, 58])
def test_render_draws_every_agency_in_every_language(
    center: dict[str, Any], tmp_path: Path, paper_mm: int
) -> None:
    """One ticket per agency in az, ru and en: each a tall picture of the paper, with ink, not black."""
    views = [(f"{view.number}-{lang}", view) for lang in LANGS for view in center_views(center, lang)]
    assert len(views) == 3 * len(center["agencies"])
    paths = render(views, tmp_path, paper_mm)
    width = 640 if paper_mm == 80 else 464
    for path in paths:
        with Image.open(path) as image:
            assert image.width == width
            assert 700 < image.height < 2400, path.name
        assert 0.03 < dark_share(path) < 0.35, path.name


def test_render_samples_writes_the_doc_pictures(tmp_path: Path) -> None:
    """A plain ticket and a senior citizen's ticket in each language; the priority one is longer."""
    assert main([str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"ticket-{lang}.png" for lang in LANGS]
        + [f"ticket-priority-{lang}.png" for lang in LANGS]
        + [f"ticket-booked-{lang}.png" for lang in LANGS]
    )
    for lang in LANGS:
        with (
            Image.open(tmp_path / f"ticket-{lang}.png") as plain,
            Image.open(tmp_path / f"ticket-priority-{lang}.png") as marked,
        ):
            assert marked.height > plain.height, lang  # the priority line is printed


def test_the_priority_sample_says_the_screen_words_in_russian() -> None:
    """ "Льгота", the right's name and "nobody ahead" as the kiosk's screen says them."""
    printer = Dummy()
    print_ticket(printer, priority_view("ru"), load_layout(paper_mm=80))
    texts = decode(printer.output).texts
    assert "Льгота: пожилой гражданин" in texts
    assert "Перед вами никого нет" in texts
    assert "Ожидание: меньше минуты" in texts

"""
The virtual printer (``virtual:///dir``): each ticket becomes a PNG file.

For the demo, the docs' sample tickets and the tests only; a kiosk in a hall
has a real printer. It gets the very bytes a real printer would and draws them
with :func:`~hardware.render.render_job`; no python-escpos printer class and
no device are involved. Its status is what the URL's ``simulate=`` option says
(``ok`` by default), to show the kiosk's error screens in a demo.

"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from escpos import capabilities

from .exceptions import PrinterUnavailable
from .render import PaperStyle, render_job
from .text import python_codec
from .transports import Job, PrinterConfig, PrinterStatus, Transport

__all__ = ["VirtualPrinter"]


class VirtualPrinter(Transport):
    """Draws each ticket to ``<ticket id>-<HHMMSS>-<count>.png`` in the URL's directory."""

    def __init__(self, config: PrinterConfig) -> None:
        super().__init__(config)
        self._count = 0
        slots = capabilities.get_profile(config.profile).get_code_pages()
        self._codecs = {int(slot): codec for page, slot in slots.items() if (codec := python_codec(page))}
        """Python codec of each ``ESC t`` slot of the profile, as a printer would decode text."""

    def status(self) -> PrinterStatus:
        return self.config.simulate

    def close(self, *, discard: bool = False) -> None:
        """Nothing to close: each picture is written whole."""

    def send(self, job: Job) -> Path:
        directory = Path(self.config.target)
        layout = job.layout
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._count += 1
            name = re.sub(r"[^A-Za-z0-9_.-]", "_", job.name)
            stamp = datetime.now().strftime("%H%M%S")
            path = directory / f"{name}-{stamp}-{self._count:04d}.png"
            style = PaperStyle(
                dots=layout.dots,
                margin=max(16, round(layout.paper_mm * 8 - layout.dots) // 2),
                font_dirs=layout.font_dirs,
            )
            render_job(job.data, self._codecs, style).save(path)
        except OSError as exc:
            raise self.error(PrinterUnavailable, f"can't write the ticket picture: {exc}") from exc
        return path

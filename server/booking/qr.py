"""The QR code of a booking: its text is the 8 digits of the code alone, what the kiosk's
scanner reads and types into the check-in (docs/appointments.md)."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg


def _code(text: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=10)
    code.add_data(text)
    code.make(fit=True)
    return code


def qr_svg(text: str) -> str:
    """An SVG image (a single path, scalable) of the QR code of ``text``."""
    image = _code(text).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return str(image.to_string(encoding="unicode"))


def qr_png(text: str) -> bytes:
    """A PNG image of the QR code of ``text`` (10 pixels a module)."""
    out = io.BytesIO()
    _code(text).make_image().save(out, format="PNG")
    return out.getvalue()

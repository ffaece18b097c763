"""Keeps PySide6 from destroying ``None``, ``True`` and ``False`` on CPython 3.11.

Measured with PySide6 6.12.0 on CPython 3.11.7: every call of a Qt method that returns nothing
(``QPainter.setPen``, ``QWidget.update``, ...) and every emit of a Qt signal takes one reference
from ``None`` (or from ``True``/``False``) that it never gave. Since CPython 3.12 these objects
are immortal and nothing happens; on 3.11 their count reaches zero after some thousands of
calls and the interpreter aborts ("Fatal Python error: none_dealloc"). A display painting its
ticker 30 times a second would die within a minute.

``keep_singletons_alive()`` adds a reserve of 2**60 references to each of them, which no
process can use up (a million lost references a second would take 36,000 years), so they
behave as the immortal objects of newer Pythons. Running on CPython 3.12 or later makes this a
no-op.
"""

from __future__ import annotations

import ctypes
import sys

RESERVE = 1 << 60

_done = False


def keep_singletons_alive() -> None:
    """Give ``None``, ``True`` and ``False`` a reserve of references (once per process)."""
    global _done
    if _done or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    for obj in (None, True, False):
        # In CPython the reference count is the first field of every object, a Py_ssize_t.
        ctypes.c_ssize_t.from_address(id(obj)).value += RESERVE
    _done = True

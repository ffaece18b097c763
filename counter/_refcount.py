"""Keeps PySide6 6.12 from freeing None on Python 3.11.

PySide6 6.12 returns ``None`` from every void method (``setText``, ``processEvents``,
``setProperty``...) and ``bool`` from ``Signal.emit`` without taking a reference. From
Python 3.12 these objects are immortal and nothing happens; on 3.11 each call takes one
reference away, and after a few thousand calls (a minute or two of a screen repainting once
a second) the interpreter aborts with "Fatal Python error: none_dealloc".

:func:`pin_singletons` adds a reference count far larger than a process can spend (2**40,
about a year at 30,000 calls a second) to None, True and False, which is what 3.12's
immortal objects do. It changes nothing on 3.12+ or on interpreters other than CPython.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger("novbe.counter")

MARGIN = 1 << 40
_pinned = False


def pin_singletons() -> None:
    """Make None, True and False practically immortal; idempotent."""
    global _pinned
    if _pinned or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    for obj in (None, True, False):
        before = sys.getrefcount(obj)
        # ob_refcnt is the first field of every object in a release build of CPython.
        ctypes.c_ssize_t.from_address(id(obj)).value += MARGIN
        if sys.getrefcount(obj) - before != MARGIN:
            log.warning("could not pin %r: unexpected object layout", obj)
    _pinned = True

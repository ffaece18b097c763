"""Display tests run Qt offscreen: no screen is needed, and grab() still renders."""

from __future__ import annotations

import os

# Before anything imports Qt: the platform is chosen once, when QApplication starts.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

"""Where the reference center (``center-baku1.json``) is: the demo, the simulator's
defaults, the tests and the benchmarks use it.

``$NOVBE_REFERENCE`` if set; otherwise ``shared/reference/`` beside the checkout (the
project's layout) or inside it.
"""

from __future__ import annotations

import os
from pathlib import Path

NAME = "center-baku1.json"
_CHECKOUT = Path(__file__).resolve().parents[1]


def reference_center() -> Path:
    """The reference center's JSON file. Raises FileNotFoundError naming where it looked."""
    env = os.environ.get("NOVBE_REFERENCE")
    candidates = [Path(env)] if env else []
    candidates += [
        _CHECKOUT.parent / "shared" / "reference" / NAME,
        _CHECKOUT / "shared" / "reference" / NAME,
    ]
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"the reference center {NAME} is not in {', '.join(str(p.parent) for p in candidates)}; "
        "set NOVBE_REFERENCE to its path"
    )

"""Run the benchmarks: ``python -m bench [name ...]``, or one with its options:
``python -m bench phone --pages 3000``."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import bench

ON_DEMAND = {"soak"}
"""Run only when named: ``soak`` takes hours (``make soak``)."""


def main(argv: list[str]) -> int:
    first_option = next((i for i, arg in enumerate(argv) if arg.startswith("-")), len(argv))
    argv, options = argv[:first_option], argv[first_option:]
    if options and len(argv) != 1:
        print("options go to one benchmark: python -m bench NAME --option ...", file=sys.stderr)
        return 2
    names = argv or sorted(
        m.name
        for m in pkgutil.iter_modules(bench.__path__)
        if not m.name.startswith("_") and m.name not in ON_DEMAND
    )
    for name in names:
        print(f"== bench {name}", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"bench.{name}")
        if options:
            module.main(options)
        else:
            module.main()
        print(f"   ({time.perf_counter() - started:.1f} s)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Build the default voice packs with espeak-ng, or list the clips a center must record.

Usage: ``python -m display.announce.build_pack OUT_DIR [--lang az ru en] [--rate HZ]`` writes one
pack per language into OUT_DIR; ``python -m display.announce.build_pack --list az`` prints the
clips a voice artist records for Azerbaijani (file name, key, what to say).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from display.announce.audio import DEFAULT_RATE
from display.announce.espeak import EspeakMissing, build_pack, recording_list
from wire.types import LANGS


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m display.announce.build_pack", description=__doc__)
    parser.add_argument("out_dir", nargs="?", type=Path, help="directory that receives one pack per language")
    parser.add_argument("--lang", nargs="+", choices=LANGS, default=list(LANGS), help="languages to build")
    parser.add_argument("--list", choices=LANGS, metavar="LANG", help="print the clips to record for LANG")
    parser.add_argument("--rate", type=int, default=DEFAULT_RATE, help="sample rate of the clips (Hz)")
    args = parser.parse_args(argv)
    if args.list:
        out = sys.stdout
        out.write(f"# Clips of a {args.list} voice pack: file name, key, what to say\n")
        for filename, key, text in recording_list(args.list):
            out.write(f"{filename}\t{key}\t{text}\n")
        return 0
    if args.out_dir is None:
        parser.error("OUT_DIR is required unless --list is given")
    try:
        for lang in args.lang:
            pack = build_pack(args.out_dir, lang, rate=args.rate)
            sys.stdout.write(f"{pack.root}: {len(pack.files)} clips\n")
    except EspeakMissing as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

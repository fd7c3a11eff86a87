"""Build the test guest: ``python -m mikrodock.testing.guest OUT.img [--cache DIR]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mikrodock.errors import MikrodockError
from mikrodock.testing.guest.build import DEFAULT_VERSION, build_guest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mikrodock.testing.guest",
        description="Build the mikrodock test guest: a 128 MiB raw disk that boots like a CHR.",
    )
    parser.add_argument("out", type=Path, help="the .img file to write")
    parser.add_argument(
        "--cache", type=Path, default=None, help="folder for the downloaded kernel package"
    )
    parser.add_argument(
        "--version", default=DEFAULT_VERSION, help="the RouterOS version the guest reports"
    )
    args = parser.parse_args(argv)
    try:
        out = build_guest(args.out, version=args.version, cache=args.cache)
    except MikrodockError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

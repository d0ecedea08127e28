"""`make faults` (`python -m tests.faults [--journeys N] [--concurrency C] [--keep]`): prints what
happened, then one closing line, and exits 1 unless nothing was lost, doubled or overspent and the
one poisoned event was dead-lettered and replayed."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

from tests.faults.run import run


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults", description=__doc__)
    parser.add_argument("--journeys", type=int, default=1000, help="default: %(default)s")
    parser.add_argument("--concurrency", type=int, default=50, help="default: %(default)s")
    parser.add_argument("--keep", action="store_true", help="keep the data folder and logs")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="dayaq-faults-"))
    try:
        outcome = asyncio.run(run(args.journeys, args.concurrency, folder))
    finally:
        if args.keep:
            print(f"faults: data and logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    for problem in outcome.problems:
        print(f"faults: {problem}")
    print(f"faults: {outcome.seconds:.0f}s")
    print(outcome.line(), flush=True)
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())

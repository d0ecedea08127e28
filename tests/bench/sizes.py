"""How big each benchmark runs: its full size, its `--quick` size (CI: proves it works, in a
minute or two), or the size an environment variable sets."""

from __future__ import annotations

import os


def size(variable: str, full: int, quick: int, is_quick: bool) -> int:
    """`variable` from the environment when set, else the quick or the full size."""
    return int(os.environ.get(variable) or (quick if is_quick else full))

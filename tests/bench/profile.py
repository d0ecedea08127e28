"""`make bench PROFILE=1` (`--profile`): after each measured HTTP run, one more run of the same load
under py-spy (sampling the service's processes, not stopping them), summarised as the frames the
samples were in most: by their own time and by the time spent in them and what they called.

py-spy is not a dependency of the project: install it into the virtual environment for this
(`.venv/bin/pip install py-spy`). The profiled run's figures are not reported.
"""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import sys
from pathlib import Path

from shared.cli import RunningService

TOP = 60
RATE = 100  # samples a second
# Frames every sample of the server's thread passes through: left out of the inclusive list.
SERVING = ("<frozen runpy>", "click/", "uvicorn/main.py", "uvicorn/server.py", "uvicorn/_compat.py",
           "uvicorn/__main__.py", "asyncio/runners.py", "asyncio/base_events.py",
           "asyncio/events.py")  # fmt: skip


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(found).exists():
        raise RuntimeError("--profile needs py-spy: .venv/bin/pip install py-spy")
    return found


def start(service: RunningService, seconds: float, raw: Path) -> subprocess.Popen[bytes]:
    """py-spy recording the service (and its worker processes) for `seconds`, into `raw`."""
    raw.parent.mkdir(parents=True, exist_ok=True)
    argv = [py_spy(), "record", "--pid", str(service.process.pid), "--subprocesses"]
    argv += ["--nonblocking", "--rate", str(RATE), "--duration", str(max(1, round(seconds)))]
    argv += ["--format", "raw", "--output", str(raw)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _frame(text: str) -> str:
    """`handle (shared/app.py:120)` -> `handle (shared/app.py)`: a function, not a line."""
    return re.sub(r":\d+\)$", ")", text.strip())


def summary(raw: Path, title: str) -> str:
    """The top frames by own samples and by inclusive samples, as text."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";") if f.strip()]
        # py-spy puts the process first: keep the Python frames.
        frames = [f for f in frames if "(" in f]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            if not any(part in frame for part in SERVING):
                inclusive[frame] += count
    lines = [f"# {title}: {total} samples at {RATE}/s", "", "## own time", ""]
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(TOP)]
    lines += ["", "## inclusive time", ""]
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(TOP)]
    return "\n".join(lines) + "\n"


def finish(process: subprocess.Popen[bytes], raw: Path, title: str) -> Path:
    """Waits for py-spy, writes the summary next to the raw samples; returns the summary's path."""
    _, errors = process.communicate(timeout=120)
    if process.returncode != 0 or not raw.exists():
        raise RuntimeError(f"py-spy failed ({process.returncode}): {errors.decode()[-2000:]}")
    path = raw.with_suffix(".txt")
    path.write_text(summary(raw, title))
    return path

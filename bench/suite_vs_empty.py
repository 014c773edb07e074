"""Wall time of the suite replaying recordings/healthy against an empty pytest session.

Both run as fresh processes of the same interpreter, interleaved, so that machine noise hits
both alike; prints the median of each and their ratio. Never used as a test assertion.

    python bench/suite_vs_empty.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(argv: list[str], cwd: str) -> float:
    began = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - began
    if done.returncode not in (0, 5):  # 5: the empty session collects nothing, as intended
        sys.exit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--bundle", default=str(REPO / "recordings" / "healthy"))
    args = parser.parse_args()
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    with tempfile.TemporaryDirectory() as work:
        empty = Path(work) / "empty"
        empty.mkdir()
        suite = [
            *pytest,
            str(REPO / "checks"),
            "--replay",
            args.bundle,
            "--report-json",
            str(Path(work) / "health.json"),
        ]
        timed(suite, work)  # warm the file system cache and bytecode for both
        timed([*pytest, str(empty)], work)
        suite_times, empty_times = [], []
        for _ in range(args.runs):
            suite_times.append(timed(suite, work))
            empty_times.append(timed([*pytest, str(empty)], work))
    suite_median = statistics.median(suite_times)
    empty_median = statistics.median(empty_times)
    print(f"runs each: {args.runs}")
    print(f"empty pytest session: median {empty_median:.3f}s  (min {min(empty_times):.3f}s)")
    print(
        f"suite replaying {Path(args.bundle).name}: "
        f"median {suite_median:.3f}s  (min {min(suite_times):.3f}s)"
    )
    print(f"ratio suite/empty: {suite_median / empty_median:.2f} (target <= 2.0)")


if __name__ == "__main__":
    main()

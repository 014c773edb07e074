"""Per-result cost of the suite against pytest's own, on a failing and on a passing fleet.

Two suite runs, each against pytest running the same number of trivial parametrised tests,
side by side (alternating), median of ``--runs``; and the peak memory (max RSS) of each suite
run:

- failing: a live run checking ``--clusters`` clusters on a workstation with no kubeconfig
  (HOME is an empty folder; IAM and IKS point at a closed loopback port): almost every result
  is a fail, an error or a skip blocked by one;
- passing: a replay of a recorded fleet (``bench/report_render.py`` records it: a test
  workstation with 400 clusters; ``--bundle`` reuses one), almost every result a pass.

Targets (issue: failure-path speed): failing at most 2.0 times the trivial tests, passing at
most 1.5 times, peak memory under 300 MB. Never used as a test assertion.

    python bench/results_vs_trivial.py [--runs 3] [--clusters 250] [--bundle PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import report_render  # noqa: E402

TRIVIAL = (
    "import pytest\n\n@pytest.mark.parametrize('n', range({count}))\ndef test_n(n):\n    pass\n"
)
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """Wall time, CPU time (user + system) and peak RSS (MiB) of one child run (the only child
    alive at the time)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - began
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(argv[:8])}... exited {done.returncode}:\n{done.stdout[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return elapsed, cpu, max(after.ru_maxrss, before.ru_maxrss) / 1024


def results_of(report: Path) -> int:
    return len(json.loads(report.read_text())["checks"])


def compare(name: str, suite: list[str], work: Path, env: dict[str, str], runs: int) -> None:
    """Time ``suite`` against as many trivial tests as it gives results, alternating."""
    report = work / f"{name}.json"
    run([*suite, "--report-json", str(report)], work, env)  # warm caches, count the results
    count = results_of(report)
    trivial = work / f"trivial_{name}"
    trivial.mkdir(exist_ok=True)
    (trivial / "test_trivial.py").write_text(TRIVIAL.format(count=count))
    times: dict[str, list[float]] = {"suite": [], "trivial": []}
    cpus: dict[str, list[float]] = {"suite": [], "trivial": []}
    peaks = []
    for _ in range(runs):
        elapsed, cpu, peak = run([*suite, "--report-json", str(report)], work, env)
        times["suite"].append(elapsed)
        cpus["suite"].append(cpu)
        peaks.append(peak)
        elapsed, cpu, _ = run([*PYTEST, str(trivial)], work, env)
        times["trivial"].append(elapsed)
        cpus["trivial"].append(cpu)
    ours, theirs = statistics.median(times["suite"]), statistics.median(times["trivial"])
    cpu_ours, cpu_theirs = statistics.median(cpus["suite"]), statistics.median(cpus["trivial"])
    print(f"{name}: {count} results, median of {runs}")
    print(
        f"  suite   {ours:7.2f} s   CPU {cpu_ours:6.2f} s   "
        f"peak RSS {max(peaks):6.0f} MiB (a child's, max so far)"
    )
    print(f"  trivial {theirs:7.2f} s   CPU {cpu_theirs:6.2f} s")
    # CPU time as well: on a shared machine the wall time also measures the neighbours.
    print(f"  ratio suite/trivial: {ours / theirs:.2f} (CPU time: {cpu_ours / cpu_theirs:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clusters", type=int, default=250)
    fleet = Path(tempfile.gettempdir()) / "ikscheck-bench-fleet-400"  # report_render's
    parser.add_argument("--bundle", type=Path, default=fleet)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "home").mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "IBMCLOUD_API_KEY")}
        env.update(
            HOME=str(work / "home"),
            IKSCHECK_IAM_URL="https://127.0.0.1:9",
            IKSCHECK_CONTAINERS_URL="https://127.0.0.1:9",
        )
        clusters = [a for n in range(args.clusters) for a in ("--cluster", f"c{n}")]
        compare("failing", [*PYTEST, str(REPO / "checks"), *clusters], work, env, args.runs)
        if not (args.bundle / "manifest.json").exists():
            report_render.record(400, args.bundle)
        replay = [*PYTEST, str(REPO / "checks"), "--replay", str(args.bundle)]
        compare("passing", replay, work, env, args.runs)


if __name__ == "__main__":
    main()

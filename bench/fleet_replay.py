"""Replaying a 200-cluster recording, serially and with ``-n 2``, against the 1-cluster replay.

Two bundles are recorded, each by a live run with ``--record`` against a test workstation
(tests/testenv.py, as recordings/make.py and bench/report_render.py build them): one with
``Scenario(fleet=199)`` (``mycluster`` and 199 more, all checked with ``--cluster``), and one
with ``Scenario()`` (``mycluster`` alone). They go under the temporary folder (``--bundles``),
never into recordings/, and are reused when there (recording 200 clusters takes a minute or
two: kubectl runs per context).

Three replays, each ``pytest checks/ --replay BUNDLE`` in a child process, taken in turn (so
that machine noise hits all alike), median wall time of ``--runs`` each:

- ``1 cluster``: the 1-cluster bundle, serially;
- ``200 serial``: the 200-cluster bundle, serially;
- ``200 -n 2``: the 200-cluster bundle with pytest-xdist's ``-n 2``.

Peak memory of each replay: the largest process's peak RSS (``os.wait4``, which the kernel
reports for the child and every descendant it reaped, so an xdist worker counts), and the
peak of the RSS summed over the replay's whole process tree (controller and workers), sampled
from /proc every 50 ms, and of the PSS (the same, with each shared page, such as a library's
code, shared out among the processes that map it rather than counted in each). Also said:
whether the ``-n 2`` replay wrote one report with every result, with the serial replay's
statuses.

Targets (issue 11): 200 clusters under 20 times the 1-cluster wall time, peak memory under
300 MB. Never used as a test assertion.

    python bench/fleet_replay.py [--runs 3] [--clusters 200] [--bundles DIR]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import testenv  # noqa: E402
from ikscheck.baseline import result_key  # noqa: E402

PYTEST = [sys.executable, "-m", "pytest", str(REPO / "checks"), "-q", "-p", "no:cacheprovider"]
MIB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")


def record(clusters: int, bundle: Path) -> float:
    """Record a live run against a test workstation with ``clusters`` clusters; seconds taken."""
    began = time.perf_counter()
    partial = bundle.with_name(bundle.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    bundle.parent.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the fake cloud's request log
    with (
        tempfile.TemporaryDirectory(prefix="ikscheck-bench-record-") as root,
        testenv.workstation(Path(root), testenv.Scenario(fleet=clusters - 1)) as ws,
    ):
        argv = [*PYTEST, *ws.args, "--record", str(partial)]
        argv += ["--report-json", str(Path(root) / "health.json")]
        done = subprocess.run(argv, env=ws.environ, cwd=root, capture_output=True, text=True)
    if not (partial / "manifest.json").exists():
        sys.exit(f"recording failed (exit {done.returncode}):\n{done.stdout[-3000:]}{done.stderr}")
    partial.rename(bundle)  # only a finished bundle is ever reused
    return time.perf_counter() - began


def bundle_of(clusters: int, folder: Path) -> Path:
    bundle = folder / f"ikscheck-bench-fleet-replay-{clusters}"
    if (bundle / "manifest.json").exists():
        print(f"bundle: {bundle} (reused)", flush=True)
    else:
        took = record(clusters, bundle)
        print(f"bundle: {bundle} (recorded in {took:.0f} s)", flush=True)
    return bundle


# -- one replay, measured ----------------------------------------------------------------------


def _tree_memory(root: int) -> tuple[int, int]:
    """Bytes resident in ``root`` and all its descendants now (0 for those already gone): the
    sum of their RSS, which counts each shared page (a library's code) once per process, and of
    their PSS, which shares it out among the processes mapping it."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:
                continue
            # pid (comm) state ppid ...: comm may hold spaces and parentheses
            parents[int(entry.name)] = int(stat[stat.rindex(b")") + 2 :].split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    rss = pss = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/statm") as handle:
                rss += int(handle.read().split()[1]) * PAGE
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                found = (line.split()[1] for line in handle if line.startswith("Pss:"))
                pss += int(next(found)) * 1024
        except (OSError, IndexError, ValueError, StopIteration):
            continue
    return rss, pss


@dataclass
class Run:
    wall: float
    max_rss: float  # MiB: the largest single process's peak
    tree_rss: float  # MiB: the peak of the whole tree's sum, sampled
    tree_pss: float  # MiB: the same of PSS (shared pages shared out, not counted per process)
    exit_code: int
    report: dict[str, Any] = field(default_factory=dict)


def replay(bundle: Path, extra: list[str], work: Path) -> Run:
    """One replay of ``bundle`` in a child process, measured."""
    report = work / "health.json"
    report.unlink(missing_ok=True)
    argv = [*PYTEST, "--replay", str(bundle), "--report-json", str(report), *extra]
    peak = peak_pss = 0
    stop = threading.Event()
    with open(work / "stdout.txt", "wb") as out:
        began = time.perf_counter()
        child = subprocess.Popen(argv, cwd=work, stdout=out, stderr=subprocess.STDOUT)

        def sample() -> None:
            nonlocal peak, peak_pss
            while not stop.wait(0.05):
                rss, pss = _tree_memory(child.pid)
                peak, peak_pss = max(peak, rss), max(peak_pss, pss)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - began
        child.returncode = os.waitstatus_to_exitcode(status)  # so that Popen does not wait
        stop.set()
        sampler.join()
    if child.returncode not in (0, 1):
        tail = (work / "stdout.txt").read_text()[-3000:]
        sys.exit(f"{' '.join(argv[3:])} exited {child.returncode}:\n{tail}")
    found = json.loads(report.read_text()) if report.exists() else {}
    return Run(wall, usage.ru_maxrss / 1024, peak / MIB, peak_pss / MIB, child.returncode, found)


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {result_key(c["id"], c["params"]): c["status"] for c in report.get("checks", [])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--bundles", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    small, fleet = bundle_of(1, args.bundles), bundle_of(args.clusters, args.bundles)
    cases = {
        "1 cluster": (small, []),
        f"{args.clusters} serial": (fleet, []),
        f"{args.clusters} -n 2": (fleet, ["-n", "2"]),
    }
    runs: dict[str, list[Run]] = {name: [] for name in cases}
    with tempfile.TemporaryDirectory(prefix="ikscheck-bench-replay-") as folder:
        work = Path(folder)
        for bundle, extra in cases.values():  # warm the file cache, untimed
            replay(bundle, extra, work)
        for _ in range(args.runs):
            for name, (bundle, extra) in cases.items():
                runs[name].append(replay(bundle, extra, work))
    print(f"\nreplays, median of {args.runs} (peaks: the highest of the runs)")
    print(
        f"  {'':14} {'results':>7} {'wall':>8} {'max RSS':>9} {'tree RSS':>9} {'tree PSS':>9}  exit"
    )
    walls = {}
    for name, taken in runs.items():
        walls[name] = statistics.median(r.wall for r in taken)
        last = taken[-1]
        print(
            f"  {name:14} {len(last.report.get('checks', [])):7} {walls[name]:7.2f}s "
            f"{max(r.max_rss for r in taken):6.0f} MiB {max(r.tree_rss for r in taken):5.0f} MiB "
            f"{max(r.tree_pss for r in taken):5.0f} MiB  {last.exit_code}"
        )
    one, serial, xdist = walls.values()
    print(f"\nratio {args.clusters} serial / 1 cluster: {serial / one:.1f} (target under 20)")
    print(f"ratio {args.clusters} -n 2 / 1 cluster:   {xdist / one:.1f} (target under 20)")
    print(f"ratio -n 2 / serial: {xdist / serial:.2f}")
    peak = max(r.max_rss for taken in runs.values() for r in taken)
    tree = max(r.tree_rss for taken in runs.values() for r in taken)
    shared = max(r.tree_pss for taken in runs.values() for r in taken)
    mb = MIB / 1e6
    print(
        f"peak memory: {peak:.0f} MiB ({peak * mb:.0f} MB) in one process; "
        f"{tree:.0f} MiB ({tree * mb:.0f} MB) of RSS summed over a replay's processes, "
        f"{shared:.0f} MiB ({shared * mb:.0f} MB) of PSS (target under 300 MB)"
    )
    serial_report = runs[f"{args.clusters} serial"][-1].report
    xdist_report = runs[f"{args.clusters} -n 2"][-1].report
    want, got = statuses(serial_report), statuses(xdist_report)
    if got == want:
        print(f"-n 2: one report with all {len(got)} results, the serial replay's statuses")
    else:
        differ = sum(1 for k in want if got.get(k) not in (None, want[k]))
        print(
            f"-n 2: its JSON report has {len(got)} of the serial replay's {len(want)} results "
            f"({differ} with another status): no one merged report under xdist yet; "
            "the wall time above is the whole run's all the same"
        )


if __name__ == "__main__":
    main()

"""Re-record the bundled recordings: a live run with --record against a test workstation each.

    python recordings/make.py [NAME ...]

Each workstation (tests/testenv.py: a temporary home, the stand-in ibmcloud, a real fixed
kubectl, a loopback HTTPS master) is built under one fixed folder, so that the paths inside
the bundles say nothing of the machine that recorded them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import testenv  # noqa: E402

ROOT = Path("/tmp/ikscheck-recording")


def record(name: str, target: Path, root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the suite live against the workstation of recording ``name``, writing ``target``."""
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(target, ignore_errors=True)
    with testenv.workstation(root, testenv.RECORDINGS[name]) as ws:
        argv = [sys.executable, "-m", "pytest", str(testenv.REPO / "checks"), "-q"]
        argv += ["-p", "no:cacheprovider", *ws.args, "--record", str(target)]
        argv += ["--report-json", str(root / "health.json")]
        return subprocess.run(argv, env=ws.environ, cwd=root, capture_output=True, text=True)


def main(names: list[str]) -> int:
    for name in names or list(testenv.RECORDINGS):
        done = record(name, HERE / name)
        last = done.stdout.strip().splitlines()[-1:] or ["(no output)"]
        print(f"{name}: exit {done.returncode}: {last[0]}")
        if not (HERE / name / "manifest.json").exists():
            print(done.stdout, done.stderr, sep="\n")
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

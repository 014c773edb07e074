"""Wall time of the live API phase, gathered concurrently, against the same requests one by one.

A fake IBM Cloud on loopback (tests/fakecloud.py) answers every route after ``--latency``
seconds, as a distant API does. The concurrent phase is what a live run does before its first
check (``LiveSource.prefetch`` of ``Workstation.api_requests`` and the master's ``/version``);
the sequential one sends the same requests in order on a fresh source. Runs alternate, so
machine noise hits both alike; prints the median of each and the ratio. Never a test assertion.

    python bench/api_phase.py [--runs 5] [--latency 0.2] [--clusters 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import trustme

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import fakecloud  # noqa: E402
from ikscheck.evidence import HttpRequest, Settings  # noqa: E402
from ikscheck.live import LiveSource  # noqa: E402
from ikscheck.policy import Policy  # noqa: E402
from ikscheck.workstation import Workstation  # noqa: E402


def phase(cloud: fakecloud.FakeCloud, ca: trustme.CA, clusters: list[str]) -> tuple:
    """A fresh source for one run, and the requests a live run makes ahead of its checks."""
    settings = Settings(clusters=tuple(clusters), iam_url=cloud.url, containers_url=cloud.url)
    environ = {"IBMCLOUD_API_KEY": cloud.api_key, "HOME": "/nonexistent", "PATH": ""}
    source = LiveSource(settings, Policy(), environ=environ)
    requests = Workstation(source, Policy()).api_requests(clusters)
    master = HttpRequest("GET", cloud.url + "/version", ca_pem=ca.cert_pem.bytes())
    return source, [*requests, master]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--clusters", type=int, default=1)
    args = parser.parse_args()
    ca = trustme.CA()
    with tempfile.TemporaryDirectory() as work:
        bundle = Path(work) / "ca.pem"
        ca.cert_pem.write_to_path(str(bundle))
        os.environ["REQUESTS_CA_BUNDLE"] = str(bundle)  # IAM and IKS: the fake's CA
        os.environ.pop("HTTPS_PROXY", None)
        with fakecloud.running(ca, clock_offset=timedelta(0)) as cloud:
            names = [fakecloud.CLUSTER] + [
                f"{fakecloud.CLUSTER}-{n}" for n in range(1, args.clusters)
            ]
            for name in names[1:]:
                cloud.clusters.append(cloud.cluster_document(name=name, id=f"id-{name}"))
            cloud.fault("*", latency=args.latency)
            timings: dict[str, list[float]] = {"concurrent": [], "sequential": []}
            count = 0
            for _ in range(args.runs):
                source, requests = phase(cloud, ca, names)
                began = time.perf_counter()
                source.prefetch([], requests)
                timings["concurrent"].append(time.perf_counter() - began)
                source, requests = phase(cloud, ca, names)
                began = time.perf_counter()
                answers = [source.send(r) for r in requests]
                timings["sequential"].append(time.perf_counter() - began)
                count = len(requests)
                # The unauthenticated /v1/regions (NET-003) answers 401: answered all the same.
                broken = [a.url for a in answers if a.status is None or a.status >= 500]
                if broken:
                    sys.exit(f"requests that did not answer: {broken}")
    concurrent = statistics.median(timings["concurrent"])
    sequential = statistics.median(timings["sequential"])
    print(f"{count} requests, {args.latency:g} s latency each, median of {args.runs} runs")
    print(f"concurrent (live prefetch): {concurrent:.3f} s")
    print(f"sequential (one by one):    {sequential:.3f} s")
    print(f"speed-up: {sequential / concurrent:.2f}x")


if __name__ == "__main__":
    main()

"""KCTL-001..003 in memory: the healthy recording's kubectl, master and PATH, changed.

The end-to-end runs (tests/test_suite_kctl.py) keep a real kubectl against a real HTTPS
master, hangs, TLS, dispatchers, several clusters and the blocking by KCTL-001; these cover
each branch of the checks' judgement.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

import testenv
from ikscheck.policy import Policy
from ikscheck.versions import parse_kubectl_version, parse_version_info
from memory import BIN, CONTEXT, HOME, ROOT, Setup

CLUSTER = testenv.CLUSTER
KUBECTL = f"{BIN}/kubectl"
KUBECONFIG = f"{HOME}/.kube/config"
#: The recorded kubectl's version: server versions are set relative to it.
CLIENT = parse_kubectl_version(Setup().kubectl()["stdout"])[0]
GONE = {"exists": False, "is_dir": False, "text": None, "mode": None, "realpath": ""}


def set_server(setup: Setup, minor: int, major: int = CLIENT.major) -> None:
    """The recorded master's ``GET /version`` answers ``major.minor`` (as testenv's server)."""
    answer = setup.master()
    doc = json.loads(answer["body"])
    doc.update(major=str(major), minor=str(minor), gitVersion=f"v{major}.{minor}.4+IKS")
    answer["body"] = json.dumps(doc, indent=4)


def add_kubectl(setup: Setup, path: str, minor: int, realpath: str | None = None) -> None:
    """A kubectl file at ``path`` reporting 1.<minor>, with and without the cluster's context."""
    setup.file(path, text=None, mode=0o755, realpath=realpath or path)
    for context in (None, CONTEXT):
        setup.kubectl(path, context=context)["stdout"] = setup.client_json(minor)


# -- KCTL-001 --------------------------------------------------------------------------------


def test_kctl_001_passes_with_the_version() -> None:
    found = Setup().judge("KCTL-001")
    assert found.status == "pass"
    assert found.message == f"kubectl {CLIENT.git_version} at {KUBECTL}"


def test_kctl_001_fails_on_garbage() -> None:
    setup = Setup()
    for context in (None, CONTEXT):
        setup.kubectl(context=context)["stdout"] = "Segmentation fault\n"
    found = setup.judge("KCTL-001")
    assert found.status == "fail"
    assert found.message.startswith("`kubectl version --client -o json` printed no version: ")
    assert "Segmentation fault" in found.message


# -- KCTL-002 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "status"),
    [(0, "pass"), (1, "warn"), (-1, "warn"), (2, "fail"), (-3, "fail")],
)
def test_kctl_002_skew(offset: int, status: str) -> None:
    setup = Setup()
    set_server(setup, CLIENT.minor + offset)
    found = setup.judge("KCTL-002", cluster=CLUSTER)
    client, server = CLIENT.minor, CLIENT.minor + offset
    assert found.status == status
    assert found.message == f"kubectl 1.{client} vs server 1.{server}: skew {abs(offset)}"
    if status != "pass":
        assert found.remediation.startswith(f"Install kubectl 1.{server}: https://dl.k8s.io/")


def test_kctl_002_another_major_fails() -> None:
    setup = Setup()
    set_server(setup, CLIENT.minor, major=CLIENT.major + 1)
    found = setup.judge("KCTL-002", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message.endswith("different major versions")


def test_kctl_002_max_skew_policy_widens_the_window() -> None:
    setup = Setup()
    set_server(setup, CLIENT.minor + 2)
    found = setup.judge("KCTL-002", Policy(max_skew=2), cluster=CLUSTER)
    assert found.status == "warn"
    assert found.message == f"kubectl 1.{CLIENT.minor} vs server 1.{CLIENT.minor + 2}: skew 2"
    assert found.title == "kubectl is within 2 minor versions of the cluster"


def test_kctl_002_fail_remediation_names_the_recorded_machine() -> None:
    setup = Setup()
    setup.records["platform"] = {"os": "darwin", "arch": "arm64"}
    set_server(setup, CLIENT.minor + 2)
    found = setup.judge("KCTL-002", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.remediation.startswith(f"Install kubectl 1.{CLIENT.minor + 2}: https://dl.k8s.io/")
    assert found.remediation.endswith("/bin/darwin/arm64/kubectl")
    assert "<os>" not in found.remediation


def test_kctl_002_fail_remediation_of_a_bundle_without_the_platform() -> None:
    setup = Setup()
    del setup.records["platform"]
    set_server(setup, CLIENT.minor + 2)
    found = setup.judge("KCTL-002", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.remediation.endswith("/bin/<os>/<arch>/kubectl")


@pytest.mark.parametrize("status", [403, 401])
def test_kctl_002_a_refusing_master_is_an_error_never_a_version(status: int) -> None:
    setup = Setup()
    answer = setup.master()
    # The body is a valid version (of a minor other than the client's): it must not be read.
    set_server(setup, CLIENT.minor + 2)
    assert parse_version_info(json.loads(answer["body"])).minor == CLIENT.minor + 2
    answer["status"] = status
    found = setup.judge("KCTL-002", cluster=CLUSTER)
    assert found.status == "error"
    assert found.message == f"GET {answer['url']} answered HTTP {status}"


def test_kctl_002_unknown_cluster_is_an_error() -> None:
    found = Setup().judge("KCTL-002", cluster="othercluster")
    assert found.status == "error"
    assert found.message == "no kubeconfig context for cluster othercluster"


def test_kctl_002_finds_the_cluster_by_id() -> None:
    assert Setup().judge("KCTL-002", cluster=testenv.CLUSTER_ID).status == "pass"


def test_kctl_002_errors_without_a_kubeconfig() -> None:
    setup = Setup()
    setup.file(KUBECONFIG, **GONE)
    found = setup.judge("KCTL-002", cluster=CLUSTER)
    assert found.status == "error"
    assert found.message.startswith("no readable kubeconfig")
    assert found.message == f"no readable kubeconfig: {KUBECONFIG} does not exist"
    assert found.remediation == "ibmcloud ks cluster config --cluster mycluster"


def test_kctl_002_errors_when_kubeconfig_names_a_directory() -> None:
    setup = Setup()
    folder = f"{HOME}/.kube"
    setup.records["env KUBECONFIG"] = folder
    setup.file(folder, is_dir=True, text=None, mode=0o755)
    found = setup.judge("KCTL-002", cluster=CLUSTER)
    assert found.status == "error"
    assert found.message.startswith("no readable kubeconfig")
    assert f"{folder} is a directory" in found.message
    assert found.remediation == "ibmcloud ks cluster config --cluster mycluster"


# -- KCTL-003 --------------------------------------------------------------------------------


def test_kctl_003_one_kubectl_passes() -> None:
    found = Setup().judge("KCTL-003", cluster=CLUSTER)
    assert found.status == "pass"
    assert found.message == f"1 kubectl on PATH: {KUBECTL} ({CLIENT.minor_str})"


def test_kctl_003_skips_without_a_kubectl_on_path() -> None:
    setup = Setup()
    setup.settings = dataclasses.replace(setup.settings, kubectl="/opt/kubectl")
    setup.which("kubectl")
    add_kubectl(setup, "/opt/kubectl", CLIENT.minor)
    found = setup.judge("KCTL-003", cluster=CLUSTER)
    assert found.status == "skip"
    assert "no kubectl on PATH" in found.message
    assert found.message == "no kubectl on PATH (--kubectl /opt/kubectl is used)"
    assert found.remediation == ""


def test_kctl_003_one_file_through_a_linked_folder_is_listed_once() -> None:
    # /bin links to usr/bin: PATH lists one kubectl file twice.
    setup = Setup()
    setup.which("kubectl", "/bin/kubectl", "/usr/bin/kubectl")
    for path in ("/bin/kubectl", "/usr/bin/kubectl"):
        add_kubectl(setup, path, CLIENT.minor, realpath="/usr/bin/kubectl")
    found = setup.judge("KCTL-003", cluster=CLUSTER)
    assert found.status == "pass"
    assert found.message == f"1 kubectl on PATH: /bin/kubectl ({CLIENT.minor_str})"


@pytest.mark.parametrize("server", ["first", "second"])
def test_kctl_003_warns_about_a_second_kubectl_of_another_minor(server: str) -> None:
    setup = Setup()
    other, minor = f"{ROOT}/bin2/kubectl", CLIENT.minor - 2
    setup.which("kubectl", KUBECTL, other)
    add_kubectl(setup, other, minor)
    matching = KUBECTL
    if server == "second":
        set_server(setup, minor)
        matching = other
    found = setup.judge("KCTL-003", cluster=CLUSTER)
    assert found.status == "warn"
    assert found.message == (
        f"{KUBECTL} ({CLIENT.minor_str}), {other} (1.{minor}); "
        f"{KUBECTL} wins; matching the cluster: {matching}"
    )
    assert found.remediation == (
        "Remove the other kubectl binaries from PATH, or put the matching one first"
    )


# -- KCTL-003: the kubectl that came with oc ----------------------------------------------------

OC_FIX = "Install kubectl 1.{server} in a folder before {folder} on PATH (oc's own is {own})"


def with_oc(setup: Setup, oc: str, realpath: str | None = None) -> Setup:
    """An ``oc`` on PATH at ``oc`` (a link to ``realpath``, if given)."""
    setup.which("oc", oc)
    setup.file(oc, text=None, mode=0o755, realpath=realpath or oc)
    return setup


def test_kctl_003_warns_when_the_only_kubectl_came_with_oc_and_misses_the_cluster() -> None:
    """oc's folder holds the kubectl: the fix is a kubectl of the cluster's minor before it."""
    setup = with_oc(Setup(), f"{BIN}/oc")
    set_server(setup, CLIENT.minor - 2)
    found = setup.judge("KCTL-003", cluster=CLUSTER)
    assert found.status == "warn"
    assert found.message == (
        f"kubectl {CLIENT.minor_str} vs server 1.{CLIENT.minor - 2}; the kubectl that wins on "
        f"PATH ({KUBECTL}) came with oc ({BIN}/oc)"
    )
    assert found.remediation == OC_FIX.format(
        server=CLIENT.minor - 2, folder=BIN, own=CLIENT.minor_str
    )


def test_kctl_003_a_kubectl_linked_to_oc_came_with_it() -> None:
    setup = Setup()
    setup.which("kubectl", "/opt/oc/kubectl")
    add_kubectl(setup, "/opt/oc/kubectl", CLIENT.minor, realpath="/opt/openshift/bin/oc")
    with_oc(setup, "/usr/local/bin/oc", realpath="/opt/openshift/bin/oc")
    set_server(setup, CLIENT.minor + 1)
    found = setup.judge("KCTL-003", cluster=CLUSTER)
    assert found.status == "warn"
    assert found.message.endswith(
        "; the kubectl that wins on PATH (/opt/oc/kubectl) came with oc (/usr/local/bin/oc)"
    )


def test_kctl_003_several_kubectls_say_the_winner_came_with_oc() -> None:
    setup = with_oc(Setup(), f"{BIN}/oc")
    other, minor = f"{ROOT}/bin2/kubectl", CLIENT.minor - 2
    setup.which("kubectl", KUBECTL, other)
    add_kubectl(setup, other, minor)
    set_server(setup, minor)
    found = setup.judge("KCTL-003", cluster=CLUSTER)
    assert found.status == "warn"
    assert found.message == (
        f"{KUBECTL} ({CLIENT.minor_str}), {other} (1.{minor}); {KUBECTL} wins; matching the "
        f"cluster: {other}; the kubectl that wins on PATH ({KUBECTL}) came with oc ({BIN}/oc)"
    )
    assert found.remediation == OC_FIX.format(server=minor, folder=BIN, own=CLIENT.minor_str)


@pytest.mark.parametrize(
    "case", ["matches-the-cluster", "oc-elsewhere", "openshift-cluster", "no-oc-recorded"]
)
def test_kctl_003_says_nothing_of_oc_unless_its_kubectl_misses_a_community_cluster(
    case: str,
) -> None:
    setup = with_oc(Setup(), "/opt/oc/oc" if case == "oc-elsewhere" else f"{BIN}/oc")
    if case != "matches-the-cluster":
        set_server(setup, CLIENT.minor - 2)
    if case == "openshift-cluster":
        setup.http_json(f"/v1/clusters/{CLUSTER}", lambda doc: doc.update(type="openshift"))
    if case == "no-oc-recorded":  # a bundle recorded before KCTL-003 asked for oc
        setup.records.pop(next(k for k in setup.records if k.startswith("which") and "oc" in k))
    found = setup.judge("KCTL-003", cluster=CLUSTER)
    assert found.status == "pass"
    assert "oc" not in found.message.replace(KUBECTL, "")

"""A workstation to check, built from real parts in a temporary folder.

A temporary home with the IBM Cloud CLI config and a kubeconfig, a stand-in `ibmcloud` that
prints the real CLI's formats, a real fixed-version kubectl, and a real HTTPS server on
127.0.0.1 (certificates from trustme) answering as the cluster master. Used by the tests and
by ``recordings/make.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
import trustme
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pytest_httpserver import HTTPServer

import standin_ibmcloud
from ikscheck.ocfacts import OC_VERSION, OC_VERSION_TEXT
from ikscheck.versions import KubeVersion, parse_kubectl_version
from ikscheck.workstation import HELM_SHORT, HELM_VERSION

if TYPE_CHECKING:
    from fakecloud import FakeCloud

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FORMATS = HERE / "data" / "formats"
CLUSTER = "mycluster"
CLUSTER_ID = "bq8r2k1d0f6mvs4ab1cg"
#: The API key the fake IBM Cloud accepts (a canary: it must never appear in an artifact).
API_KEY = "canary-api-key-fakecloud-0123456789abcdef"
#: An account that is not the cluster's (the samples' is 0a1b2c3d4e5f60718293a4b5c6d7e8f9).
OTHER_ACCOUNT = "5e8f0c2b7a9d41c6b3e2f1a0d9c8b7a6"
#: A master the API may name instead of the kubeconfig's (nothing is ever sent there).
OTHER_MASTER = "https://c9.us-south.containers.cloud.ibm.com:31999"


def ks(version: str = "1.0.672", **more: Any) -> dict[str, Any]:
    """The Kubernetes Service plug-in as current CLIs install it (a stand-in plug-in entry)."""
    aliases = ["kubernetes-service", "ks"]
    return {"name": "container-service", "version": version, "aliases": aliases, **more}


def cr(version: str = "1.3.11", **more: Any) -> dict[str, Any]:
    """The Container Registry plug-in (a stand-in plug-in entry)."""
    return {"name": "container-registry", "version": version, "aliases": [], **more}


DEFAULT_PLUGINS = (
    {"name": "container-registry", "version": "1.3.11", "aliases": []},
    {"name": "container-service", "version": "1.0.672", "aliases": ["kubernetes-service", "ks"]},
)


@dataclass(frozen=True)
class Scenario:
    """What the workstation looks like. The defaults are a healthy setup."""

    cli: str | None = "2.9.0+6abd6f8-2022-07-05T14:46:06+00:00"  # None: no ibmcloud on PATH
    behaviour: str = "ok"  # ok, garbage, exit1, hang
    layout: str = "2022"
    json: bool = True
    json_version_string: bool = False
    ansi: bool = False
    plugins: tuple[dict[str, Any], ...] = DEFAULT_PLUGINS
    repo: dict[str, list[str]] = field(default_factory=dict)
    region: str = "us-south"
    resource_group: str = "default"
    kubectl: bool = True  # False: no kubectl on PATH
    kubectl_script: str | None = None  # a shell script to install as kubectl instead
    extra_kubectls: tuple[str, ...] = ()  # more fixed kubectl binaries, later on PATH
    # None: no helm on PATH; a version ("3.16.2", "4.0.0", "2.14.3"), "garbage", "exit1", "hang"
    helm: str | None = None
    # None: no oc on PATH; a release ("4.16.0", "4.14.0", "3.11"), "garbage", "exit1", "hang"
    oc: str | None = None
    openshift: bool = False  # True: the cluster is OpenShift 4.16 (the IKS API says so)
    server_minor_offset: int | None = 0  # the master's minor relative to the kubectl's; None: down
    server_major_offset: int = 0
    token_age: float = 600.0  # seconds since the id-token and the CLI's IAM token were issued
    refresh_tokens: bool = True  # False: no OIDC refresh-token, no IAMRefreshToken
    context_for: str = CLUSTER  # the cluster the kubeconfig's context was downloaded for
    ca_file: bool = True  # False: the CA file the kubeconfig names is gone
    # -- the IBM Cloud APIs (one fake on loopback: tests/fakecloud.py) --
    api_key: str | None = API_KEY  # IBMCLOUD_API_KEY; None: unset (the CLI session is used)
    cluster_state: str = "normal"
    cluster_listed: bool = True  # False: the IKS API knows no such cluster (G0004)
    master_moved: bool = False  # True: the API names another master than the kubeconfig's
    clock_offset: float = 0.0  # seconds IBM Cloud's clock is ahead of this machine's
    # The account of IBMCLOUD_API_KEY, and the one the CLI targets (Account.GUID and its
    # session's token); None: the cluster's (the samples' ACCOUNT)
    api_key_account: str | None = None
    cli_account: str | None = None
    cli_refresh: str = "valid"  # the CLI's IAMRefreshToken, to IAM: valid, expired, unknown
    refuse_id_tokens: bool = False  # True: the master answers 401 to the kube id token
    serves_whoami: bool = True  # False: the master serves no SelfSubjectReview (before 1.28)
    # -- the run --
    fleet: int = 0  # more clusters (fleet-000...), in the kubeconfig and the API, all checked
    cluster_option: bool = True  # False: no --cluster (the current context's cluster is checked)

    def but(self, **changes: Any) -> Scenario:
        return replace(self, **changes)


@dataclass
class Sandbox:
    """A workstation built for a test: its folders, its master, and how to run the suite on it."""

    root: Path
    home: Path
    bin: Path
    kubectl: KubeVersion | None
    cloud: FakeCloud  # IAM, the IKS API and the cluster master
    environ: dict[str, str]
    args: list[str]


_fixed: tuple[str, KubeVersion] | None = None


def kubectl_version(path: str) -> KubeVersion:
    with tempfile.TemporaryDirectory() as home:
        out = subprocess.run(
            [path, "version", "--client", "-o", "json"],
            capture_output=True,
            text=True,
            timeout=60,
            env={"HOME": home, "KUBECONFIG": os.path.join(home, "none"), "PATH": "/usr/bin:/bin"},
            check=True,
        ).stdout
    return parse_kubectl_version(out)[0]


def fixed_kubectl() -> tuple[str, KubeVersion]:
    """A kubectl of one fixed version: not a dispatcher, whose reported version follows the server.

    ``$IKSCHECK_TEST_KUBECTL`` if set; else the first kubectl on PATH that is not a dispatcher;
    else the newest ``kubectl.1.NN`` build beside a dispatcher (the Google Cloud SDK layout).
    """
    global _fixed
    if _fixed is None:
        candidates = [os.environ.get("IKSCHECK_TEST_KUBECTL", "")]
        for folder in os.environ.get("PATH", "").split(os.pathsep):
            path = Path(folder or ".") / "kubectl"
            if path.is_file() and os.access(path, os.X_OK):
                candidates.append(str(path))
                builds = sorted(path.resolve().parent.glob("kubectl.1.*"), key=_minor, reverse=True)
                candidates += [str(b) for b in builds]
        for candidate in filter(None, candidates):
            version = kubectl_version(candidate)
            if "dispatcher" not in version.git_version:
                _fixed = (candidate, version)
                break
        else:
            raise RuntimeError("no fixed-version kubectl found: install one (see .ci/run)")
    return _fixed


def _minor(path: Path) -> int:
    return int(path.name.rsplit(".", 1)[1]) if path.name.rsplit(".", 1)[1].isdigit() else -1


def _write(path: Path, text: str, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


class LoopbackServer(HTTPServer):
    """pytest-httpserver's server, checking for shutdown every 50 ms rather than 500 ms.

    Every end-to-end test stops one; the default poll made stopping the slowest step.
    """

    def thread_target(self) -> None:
        assert self.server is not None
        self.server.serve_forever(poll_interval=0.05)


@contextmanager
def https_server(ca: trustme.CA, threaded: bool = False) -> Iterator[LoopbackServer]:
    """A real HTTPS server on 127.0.0.1 with a certificate from ``ca``, stopped on exit."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = LoopbackServer(host="127.0.0.1", port=0, ssl_context=context, threaded=threaded)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()


def certificate_pem(not_after: datetime, cn: str = "mycluster-ca") -> str:
    """A self-signed certificate valid until ``not_after``, for expiry verdicts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_after - timedelta(days=3650))
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def token(
    claims_sample: str, age: float, lifetime: float = 3600, account: str | None = None
) -> str:
    """A JWT with the claims of a sample, issued ``age`` seconds ago, valid ``lifetime``
    (``account``: its ``account.bss`` instead of the sample's).

    Signed with an invented key: ikscheck never verifies signatures, it judges expiry.
    """
    claims = json.loads((FORMATS / "iam" / claims_sample).read_text())
    issued = int(time.time() - age)
    claims.update(iat=issued, exp=issued + int(lifetime))
    if account is not None:
        claims["account"]["bss"] = account
    return jwt.encode(claims, "ikscheck-test-signing-key-not-a-secret-0123", algorithm="HS256")


def _kubeconfig(server_url: str, ca_path: str, scenario: Scenario) -> str:
    sample = (FORMATS / "kubeconfig" / "merged-cluster-config.yml").read_text()
    ca_line = next(line for line in sample.splitlines() if "certificate-authority:" in line)
    sample = sample.replace(ca_line, f"    certificate-authority: {ca_path}")
    lines = []
    for line in sample.splitlines(keepends=True):
        key = line.strip().split(":")[0]
        if key == "id-token":
            line = f"        id-token: {token('claims-id-token.json', scenario.token_age)}\n"
        elif key == "refresh-token" and not scenario.refresh_tokens:
            continue
        lines.append(line)
    sample = "".join(lines)
    if scenario.context_for != CLUSTER:  # downloaded for another cluster: none for this one
        sample = sample.replace(f"{CLUSTER}/{CLUSTER_ID}", f"{scenario.context_for}/{CLUSTER_ID}")
    # The issuer on loopback too: nothing a test runs may reach for the real IAM.
    sample = sample.replace(
        "idp-issuer-url: https://iam.cloud.ibm.com/identity",
        "idp-issuer-url: https://127.0.0.1:9/identity",
    )
    sample = sample.replace("https://c7.us-south.containers.cloud.ibm.com:27078", server_url)
    if not scenario.fleet:
        return sample
    doc = yaml.safe_load(sample)
    cluster, context = doc["clusters"][0], doc["contexts"][0]
    for name, cluster_id in fleet(scenario):
        entry = f"{name}/{cluster_id}"
        doc["clusters"].append({**cluster, "name": entry})
        doc["contexts"].append({"name": entry, "context": {**context["context"], "cluster": entry}})
    return str(yaml.safe_dump(doc, sort_keys=False))


def fleet(scenario: Scenario) -> list[tuple[str, str]]:
    """The names and ids of the scenario's extra clusters."""
    return [(f"fleet-{n:03d}", f"fleet{n:03d}d0f6mvs4ab1cg"[:20]) for n in range(scenario.fleet)]


def _cli_config(scenario: Scenario) -> str:
    config = json.loads((FORMATS / "ibmcloud" / "config.json").read_text())
    config["Region"] = config["RegionID"] = scenario.region
    session = token("claims-access-token.json", scenario.token_age, account=scenario.cli_account)
    config["IAMToken"] = "Bearer " + session
    if scenario.cli_account is not None:
        config["Account"]["GUID"] = scenario.cli_account
    if not scenario.refresh_tokens:
        config["IAMRefreshToken"] = ""
    if scenario.resource_group:
        config["ResourceGroup"]["Name"] = scenario.resource_group
    else:
        config["ResourceGroup"] = {"GUID": "", "Name": "", "State": "", "Default": False}
    return json.dumps(config, indent=2)


def _registry(scenario: Scenario) -> str:
    """The CLI's plug-in registry file, listing the scenario's plug-ins as the real one does."""
    sample = json.loads((FORMATS / "ibmcloud" / "plugins-config.json").read_text())
    template = sample["Plugins"]["container-service"]
    plugins = {}
    for plugin in scenario.plugins:
        major, minor, build = (int(p) for p in plugin["version"].split("."))
        plugins[plugin["name"]] = {
            **template,
            "Name": plugin["name"],
            "Aliases": plugin.get("aliases") or None,
            "Version": {"Major": major, "Minor": minor, "Build": build},
        }
    return json.dumps({"Plugins": plugins}, indent=2)


#: The ibmcloud commands the suite runs, in the order the shell stand-in numbers them.
IBMCLOUD_COMMANDS = (
    ("version",),
    ("plugin", "list", "--output", "json"),
    ("plugin", "list"),
    ("plugin", "repo-plugins", "--output", "json"),
)


def plan(scenario: Scenario) -> dict[str, Any]:
    """The stand-in's scenario.json for ``scenario``: the release it plays."""
    return {
        "version": scenario.cli,
        "behaviour": scenario.behaviour,
        "layout": scenario.layout,
        "json": scenario.json,
        "json_version_string": scenario.json_version_string,
        "ansi": scenario.ansi,
        "plugins": list(scenario.plugins),
        "repo": scenario.repo,
    }


def install_ibmcloud(bin_dir: Path, scenario: Scenario) -> None:
    """``bin_dir/ibmcloud``: a shell script printing the stand-in's pre-rendered output for
    the commands the suite runs, and running the Python stand-in for anything else."""
    shutil.copy(HERE / "standin_ibmcloud.py", bin_dir / "ibmcloud.py")
    _write(bin_dir / "scenario.json", json.dumps(plan(scenario), indent=2), 0o644)
    python = f'exec {sys.executable} {bin_dir / "ibmcloud.py"} "$@"'
    if scenario.behaviour == "hang":
        _write(bin_dir / "ibmcloud", f"#!/bin/sh\n{python}\n", 0o755)
        return
    cases = []
    for number, args in enumerate(IBMCLOUD_COMMANDS):
        code, printed = standin_ibmcloud.render(plan(scenario), list(args))
        (bin_dir / f"ibmcloud.{number}.out").write_bytes(printed.encode())
        cases.append(f'  "{" ".join(args)}") n={number}; code={code} ;;')
    script = "\n".join(
        [
            "#!/bin/sh",
            'case "$*" in',
            *cases,
            f"  *) {python} ;;",
            "esac",
            f'/bin/cat "{bin_dir}/ibmcloud.$n.out"',
            "exit $code",
            "",
        ]
    )
    _write(bin_dir / "ibmcloud", script, 0o755)


#: The helm commands the suite runs, in the order the shell stand-in numbers them.
HELM_COMMANDS = (HELM_VERSION, HELM_SHORT)


def helm_outputs(helm: str) -> dict[tuple[str, ...], tuple[int, str, str]]:
    """What the stand-in helm ``helm`` (a :attr:`Scenario.helm`) prints for each of
    :data:`HELM_COMMANDS`: (exit status, stdout, stderr), byte-exact from the samples in
    tests/data/formats/helm (but Helm 2's ``--short``, for which there is none)."""
    samples = FORMATS / "helm"
    if helm == "garbage":
        return {args: (0, "Segmentation fault\n", "") for args in HELM_COMMANDS}
    if helm == "exit1":
        error = 'Error: unknown command "version" for "helm"\n'
        return {args: (1, "", error) for args in HELM_COMMANDS}
    major = helm.split(".")[0]
    if major == "2":  # the client line, then the search for Tiller fails (no -c)
        client, stderr = (samples / "version-2-no-tiller.txt").read_text().split("--- stderr")
        client = client.replace("v2.14.3", f"v{helm}")
        stderr = stderr.split("---\n", 1)[1]
        # --short: Helm 2's short client line (its source's format; no sample), then Tiller.
        short = f"Client: v{helm}+g0e7f3b6\n"
        return {HELM_COMMANDS[0]: (1, client, stderr), HELM_COMMANDS[1]: (1, short, stderr)}
    sample = "v3.16.2"
    template = (samples / "version-3-template.txt").read_text().replace(sample, f"v{helm}")
    short = (samples / "version-3-short.txt").read_text().replace(sample, f"v{helm}")
    if major == "4":  # the build of the Helm 4 sample
        short = short.replace("+g13654a5", "+g99cd196")
    return {HELM_COMMANDS[0]: (0, template, ""), HELM_COMMANDS[1]: (0, short, "")}


def install_helm(bin_dir: Path, helm: str) -> None:
    """``bin_dir/helm``: a shell script printing the real helm's output for the commands the
    suite runs (``hang``: sleeping instead)."""
    if helm == "hang":
        _write(bin_dir / "helm", "#!/bin/sh\nexec /bin/sleep 3600\n", 0o755)
        return
    cases = []
    for number, (args, (code, stdout, stderr)) in enumerate(helm_outputs(helm).items()):
        (bin_dir / f"helm.{number}.out").write_bytes(stdout.encode())
        (bin_dir / f"helm.{number}.err").write_bytes(stderr.encode())
        cases.append(f"  '{' '.join(args)}') n={number}; code={code} ;;")
    script = "\n".join(
        [
            "#!/bin/sh",
            'case "$*" in',
            *cases,
            '  *) echo "Error: the stand-in helm does not know: $*" >&2; exit 1 ;;',
            "esac",
            f'/bin/cat "{bin_dir}/helm.$n.out"',
            f'/bin/cat "{bin_dir}/helm.$n.err" >&2',
            "exit $code",
            "",
        ]
    )
    _write(bin_dir / "helm", script, 0o755)


#: The oc commands the suite runs, in the order the shell stand-in numbers them.
OC_COMMANDS = (OC_VERSION, OC_VERSION_TEXT)
#: The OpenShift release of an OpenShift scenario's cluster (the IKS API's masterKubeVersion).
OPENSHIFT_VERSION = "4.16.30_1544_openshift"


def oc_outputs(oc: str) -> dict[tuple[str, ...], tuple[int, str, str]]:
    """What the stand-in oc ``oc`` (a :attr:`Scenario.oc`) prints for each of
    :data:`OC_COMMANDS`: (exit status, stdout, stderr), byte-exact from the samples in
    tests/data/formats/oc (the release replaced)."""
    samples = FORMATS / "oc"
    if oc == "garbage":
        return {args: (0, "Segmentation fault\n", "") for args in OC_COMMANDS}
    if oc == "exit1":
        error = 'error: unknown command "version" for "oc"\n'
        return {args: (1, "", error) for args in OC_COMMANDS}
    if oc.startswith("3."):  # no -o json: cobra's flag error; the text form answers
        flag = "Error: unknown shorthand flag: 'o' in -o\n"
        text = (samples / "version-3.11.txt").read_text().replace("v3.11.0", f"v{oc}.0")
        return {OC_COMMANDS[0]: (1, "", flag), OC_COMMANDS[1]: (0, text, "")}
    sample = "4.16.0"
    client = (samples / "version-client.json").read_text().replace(sample, oc)
    text = (samples / "version-client.txt").read_text().replace(sample, oc)
    return {OC_COMMANDS[0]: (0, client, ""), OC_COMMANDS[1]: (0, text, "")}


def install_oc(bin_dir: Path, oc: str) -> None:
    """``bin_dir/oc``: a shell script printing the real oc's output for the commands the suite
    runs (``hang``: sleeping instead)."""
    if oc == "hang":
        _write(bin_dir / "oc", "#!/bin/sh\nexec /bin/sleep 3600\n", 0o755)
        return
    cases = []
    for number, (args, (code, stdout, stderr)) in enumerate(oc_outputs(oc).items()):
        (bin_dir / f"oc.{number}.out").write_bytes(stdout.encode())
        (bin_dir / f"oc.{number}.err").write_bytes(stderr.encode())
        cases.append(f"  '{' '.join(args)}') n={number}; code={code} ;;")
    script = "\n".join(
        [
            "#!/bin/sh",
            'case "$*" in',
            *cases,
            '  *) echo "error: the stand-in oc does not know: $*" >&2; exit 1 ;;',
            "esac",
            f'/bin/cat "{bin_dir}/oc.$n.out"',
            f'/bin/cat "{bin_dir}/oc.$n.err" >&2',
            "exit $code",
            "",
        ]
    )
    _write(bin_dir / "oc", script, 0o755)


@contextmanager
def workstation(root: Path, scenario: Scenario) -> Iterator[Sandbox]:
    """Build the workstation of ``scenario`` under ``root``; stop its server on exit."""
    home, bin_dir = root / "home", root / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    config_dir = home / ".bluemix"
    _write(config_dir / "config.json", _cli_config(scenario))
    _write(config_dir / "plugins" / "config.json", _registry(scenario))
    if scenario.cli is not None:
        install_ibmcloud(bin_dir, scenario)
    if scenario.helm is not None:
        install_helm(bin_dir, scenario.helm)
    if scenario.oc is not None:
        install_oc(bin_dir, scenario.oc)
    client: KubeVersion | None = None
    if scenario.kubectl_script is not None:
        _write(bin_dir / "kubectl", scenario.kubectl_script, 0o755)
    elif scenario.kubectl:
        path, client = fixed_kubectl()
        (bin_dir / "kubectl").symlink_to(path)
    for index, extra in enumerate(scenario.extra_kubectls):
        other = root / f"bin{index + 2}"
        other.mkdir(exist_ok=True)
        (other / "kubectl").symlink_to(extra)
    reference = client or fixed_kubectl()[1]
    ca = trustme.CA()
    ca_path = home / ".bluemix" / "plugins" / "container-service" / "clusters" / CLUSTER / "ca.pem"
    ca_path.parent.mkdir(parents=True, exist_ok=True)
    ca.cert_pem.write_to_path(str(ca_path))
    cloud_ca = root / "cloud-ca.pem"  # what REQUESTS_CA_BUNDLE names: trust for IAM and IKS
    ca.cert_pem.write_to_path(str(cloud_ca))
    major = reference.major + scenario.server_major_offset
    minor = reference.minor + (scenario.server_minor_offset or 0)
    cloud = _cloud(ca, scenario, major, minor)
    url = cloud.url
    if scenario.server_minor_offset is None:
        url = "https://127.0.0.1:9"  # discard port: nothing listens, the connection is refused
    _write(home / ".kube" / "config", _kubeconfig(url, str(ca_path), scenario))
    config = json.loads((home / ".bluemix" / "config.json").read_text())
    cloud.accept(config["IAMToken"].removeprefix("Bearer "))
    if config.get("IAMRefreshToken") and scenario.cli_refresh != "unknown":
        cloud.accept_refresh(config["IAMRefreshToken"], expired=scenario.cli_refresh == "expired")
    if not scenario.ca_file:
        ca_path.unlink()
    path = os.pathsep.join(
        [str(bin_dir)] + [str(root / f"bin{i + 2}") for i in range(len(scenario.extra_kubectls))]
    )
    environ = {
        "HOME": str(home),
        "PATH": path,
        "IKSCHECK_IAM_URL": cloud.url,
        "IKSCHECK_CONTAINERS_URL": cloud.url,
        "REQUESTS_CA_BUNDLE": str(cloud_ca),
    }
    if scenario.api_key is not None:
        environ["IBMCLOUD_API_KEY"] = scenario.api_key
    try:
        names = [CLUSTER, *(name for name, _ in fleet(scenario))]
        args = [a for n in names for a in ("--cluster", n)] if scenario.cluster_option else []
        yield Sandbox(root, home, bin_dir, client, cloud, environ, args)
    finally:
        cloud.clear()
        if cloud.is_running():
            cloud.stop()


def _cloud(ca: trustme.CA, scenario: Scenario, major: int, minor: int) -> FakeCloud:
    """The fake IBM Cloud of ``scenario``, started: IAM, the IKS API and the master."""
    from fakecloud import FakeCloud  # it builds on this module

    cloud = FakeCloud(ca, clock_offset=timedelta(seconds=scenario.clock_offset))
    if scenario.api_key_account is not None:
        cloud.account = scenario.api_key_account
    cloud.start()
    doc = cloud.clusters[0]
    doc.update(masterKubeVersion=f"{major}.{minor}.4_1530", state=scenario.cluster_state)
    if scenario.openshift:  # the API names the OpenShift release; the master stays Kubernetes
        doc.update(type="openshift", masterKubeVersion=OPENSHIFT_VERSION)
    if scenario.master_moved:
        doc.update(serverURL=OTHER_MASTER, publicServiceEndpointURL=OTHER_MASTER)
    for name, cluster_id in fleet(scenario):
        cloud.clusters.append({**doc, "name": name, "id": cluster_id})
    if not scenario.cluster_listed:
        cloud.clusters.clear()
    cloud.master_version = f"{major}.{minor}.4"
    cloud.refuse_id_tokens, cloud.serves_whoami = scenario.refuse_id_tokens, scenario.serves_whoami
    # The versions IKS offers: the cluster's among them, supported for a year.
    cloud.versions["kubernetes"] = [
        {"major": major, "minor": m, "patch": 4, "default": m == minor, "end_of_service": ""}
        for m in (minor - 1, minor, minor + 1)
    ]
    return cloud


#: The bundled recordings (recordings/<name>), each recorded from a workstation of its scenario.
RECORDINGS: dict[str, Scenario] = {
    "healthy": Scenario(),
    "plugin-missing": Scenario(plugins=DEFAULT_PLUGINS[:1]),
    "kubectl-skew": Scenario(server_minor_offset=-2),
    "cli-missing": Scenario(cli=None),
    "id-token-expired": Scenario(token_age=3 * 3600, refresh_tokens=False),
    "stale-login": Scenario(token_age=40 * 24 * 3600),
    "context-missing": Scenario(context_for="othercluster"),
    "ca-missing": Scenario(ca_file=False),
    "api-key-invalid": Scenario(api_key="canary-api-key-revoked-0123456789abcdef"),
    "cluster-not-found": Scenario(cluster_listed=False),
    "cluster-critical": Scenario(cluster_state="critical"),
    "master-moved": Scenario(master_moved=True),
    "clock-off": Scenario(clock_offset=600),
    "hostile-name": Scenario(context_for="<img src=x onerror=alert(1)>", cluster_option=False),
    "openshift": Scenario(openshift=True, oc="4.16.0"),
    "oc-skew": Scenario(openshift=True, oc="4.14.0"),
    "master-refuses-id-token": Scenario(refuse_id_tokens=True),
    "api-key-other-account": Scenario(api_key_account=OTHER_ACCOUNT),
}

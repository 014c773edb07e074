"""Differential tests: the kubeconfig as ikscheck resolves it, against a real kubectl.

For each generated setup (files under tmp_path: ``KUBECONFIG`` lists with overlapping names,
missing and empty entries, duplicates and empty files; ``--kubeconfig``; the default
``~/.kube/config``; relative, absolute and inline CAs; the IKS sample layouts), the engine's
current context, its cluster (name, server, CA) and user (name, client certificate and key) must
equal what a fixed-version kubectl reports for the same environment and working directory:

* names, server, namespace and CA data: ``kubectl config view --minify --raw -o json``;
* resolved file paths: kubectl's ``config view`` prints paths as written (relative ones are not
  resolved), so every file a path field can name is planted holding its own absolute path, and
  ``config view --minify --raw --flatten`` (which reads them) shows which file kubectl reads;
* the current context: ``kubectl config current-context`` ("" when "not set"; when kubectl
  refuses to load the files, ikscheck must refuse them too).

A disagreement is an ``xfail(strict=True)`` case whose reason gives both answers.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

import testenv
from ikscheck.errors import EvidenceError, ParseError
from ikscheck.evidence import Settings
from ikscheck.kubeconfig import resolve_path
from ikscheck.live import LiveSource
from ikscheck.policy import Policy
from ikscheck.workstation import Workstation

SAMPLES = testenv.FORMATS / "kubeconfig"
PEM = (SAMPLES / "2019-cluster-config" / "ca-dal10-mycluster.pem").read_bytes()
CLUSTERS = "home/.bluemix/plugins/container-service/clusters"
MARK = "# planted at "
PATH_FIELDS = {"certificate-authority", "client-certificate", "client-key"}
USER = {"client-certificate": "cert.pem", "client-key": "key.pem"}
USERS = {"u": USER}
DECOYS = ("ca.pem", "cert.pem", "key.pem")
LAYOUTS = {  # sample: where IKS writes it
    "2019": ("2019-cluster-config/kube-config-dal10-mycluster.yml", f"{CLUSTERS}/mycluster/"),
    "admin": ("admin-cluster-config.yml", f"{CLUSTERS}/mycluster-{testenv.CLUSTER_ID}-admin/"),
    "merged": ("merged-cluster-config.yml", "home/.kube/config"),
}


@dataclass(frozen=True)
class Where:
    """Where kubectl is told to look: ``$KUBECONFIG`` (None: unset) and ``--kubeconfig``."""

    env: str | None = None
    option: str | None = None

    def environ(self, t: Path) -> dict[str, str]:
        env = {"HOME": str(t / "home"), "PATH": "/usr/bin:/bin"}
        return env if self.env is None else {**env, "KUBECONFIG": self.env}


# -- writing setups ---------------------------------------------------------------------------


def plant(path: Path, body: bytes = b"") -> None:
    """A file a path field may name: ``body``, then a line naming the file's own path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body + f"{MARK}{path}\n".encode())


def planted_at(data: str) -> str:
    """The planted file that flattened ``*-data`` was read from."""
    last = base64.b64decode(data).decode().splitlines()[-1]
    assert last.startswith(MARK), last
    return last.removeprefix(MARK)


def write(path: Path, text: str) -> str:
    """Write a kubeconfig, planting each file its path fields name (resolved against its folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    doc = yaml.safe_load(text) or {}
    for section, inner in (("clusters", "cluster"), ("users", "user")):
        for entry in doc.get(section) or ():
            for field in PATH_FIELDS & set(entry[inner]):
                target = Path(os.path.normpath(path.parent / entry[inner][field]))
                if not target.exists():
                    plant(target)
    return str(path)


def config(t: Path, rel: str, current: str | None, *sections: dict[str, Any]) -> str:
    """``t/rel`` from clusters and users {name: body} and contexts {name: (cluster, user[, ns])}."""
    clusters, contexts, users = sections
    doc: dict[str, Any] = {"apiVersion": "v1", "kind": "Config"}
    if current is not None:
        doc["current-context"] = current
    doc["clusters"] = [{"name": n, "cluster": b} for n, b in clusters.items()]
    keys = ("cluster", "user", "namespace")
    doc["contexts"] = [
        {"name": n, "context": dict(zip(keys, c, strict=False))} for n, c in contexts.items()
    ]
    doc["users"] = [{"name": n, "user": b} for n, b in users.items()]
    return write(t / rel, yaml.safe_dump(doc))


def cluster(host: str, ca: str | None = "ca.pem", data: bytes | None = None) -> dict[str, str]:
    body = {"server": f"https://{host}.containers.test:31000"}
    if ca:
        body["certificate-authority"] = ca
    if data:
        body["certificate-authority-data"] = base64.b64encode(data).decode()
    return body


def simple(t: Path, folder: str, current: str | None = "ctx", **cluster_args: Any) -> str:
    """``<folder>/config``: context ``ctx`` -> cluster ``k``, user ``u``. The names are the same
    in every file; server, namespace and the folder relative paths resolve to tell them apart."""
    tag = folder.split("/")[0]
    ctx = {"ctx": ("k", "u", tag)}
    return config(t, f"{folder}/config", current, {"k": cluster(tag, **cluster_args)}, ctx, USERS)


def kc(*paths: str) -> Where:
    """``$KUBECONFIG`` set to ``paths`` joined with ``:``."""
    return Where(":".join(paths))


def iks(t: Path, layout: str) -> str:
    """An IKS sample kubeconfig where IKS writes it, its /home/jane paths moved into ``t/home``."""
    name, dest = LAYOUTS[layout]
    dest = dest + Path(name).name if dest.endswith("/") else dest
    if layout == "2019":  # the sample's CA beside it, as `ibmcloud ks cluster config` left it
        plant((t / dest).parent / "ca-dal10-mycluster.pem", PEM)
    return write(t / dest, (SAMPLES / name).read_text().replace("/home/jane", str(t / "home")))


def three_files(t: Path) -> Where:
    a = config(t, "a/config", "x", {}, {"x": ("k", "v", "a")}, {})
    b = config(t, "b/config", None, {"k": cluster("b")}, {}, {"v": USER})
    c = config(t, "c/config", None, {"k": cluster("c")}, {"x": ("k2", "v2")}, {"v": USER})
    return kc(a, b, c)


def cluster_elsewhere(t: Path) -> Where:
    plant(t / "a" / "sub" / "ca.pem")  # a decoy beside the file that names the cluster
    a = config(t, "a/config", "x", {}, {"x": ("k", "u")}, USERS)
    return kc(a, config(t, "b/config", None, {"k": cluster("b", "sub/ca.pem")}, {}, {}))


def current_only_second(t: Path) -> Where:
    a = config(t, "a/config", None, {"k": cluster("a")}, {"a-only": ("k", "u", "a")}, USERS)
    return kc(a, simple(t, "b", "a-only"))


def symlinked(t: Path) -> Where:
    simple(t, "real")
    for name in DECOYS:
        plant(t / "link" / name)
    (t / "link" / "config").symlink_to(t / "real" / "config")
    return kc(str(t / "link" / "config"))


def home(t: Path, env: str | None = None, option: str | None = None, layout: str = "") -> Where:
    """Also write ``~/.kube/config``, kubectl's default file (an IKS ``layout``, or simple)."""
    if layout:
        iks(t, layout)
    else:
        simple(t, "home/.kube")
    return Where(env, option)


Build = Callable[[Path], Where]  # writes a setup under t, says where kubectl looks
Setup = tuple[str, Build]
VIEWS: list[Setup] = [
    ("single-file", lambda t: kc(simple(t, "a"))),
    ("two-files-same-names", lambda t: kc(simple(t, "a"), simple(t, "b"))),
    ("three-files-split", three_files),
    ("cluster-in-other-file", cluster_elsewhere),
    ("missing-file-first", lambda t: kc(f"{t}/gone/config", simple(t, "a"))),
    ("missing-file-between", lambda t: kc(simple(t, "a", None), f"{t}/gone", simple(t, "b"))),
    ("empty-entry", lambda t: kc(simple(t, "a", None), "", simple(t, "b"))),
    ("separators-around", lambda t: kc("", simple(t, "a"), "")),
    ("duplicate-entries", lambda t: kc(simple(t, "b"), simple(t, "a"), f"{t}/b/config")),
    ("option-over-env", lambda t: Where(simple(t, "a"), simple(t, "b"))),
    ("option-over-home", lambda t: home(t, None, simple(t, "a"))),
    ("env-over-home", lambda t: home(t, simple(t, "a"))),
    ("default-home-config", home),
    ("empty-env-is-unset", lambda t: home(t, "")),
    ("current-context-only-in-second", current_only_second),
    ("empty-current-context-first", lambda t: kc(simple(t, "a", ""), simple(t, "b"))),
    ("ca-absolute", lambda t: kc(simple(t, "a", ca=f"{t}/pki/ca.pem"))),
    ("ca-relative-parent", lambda t: kc(simple(t, "a", ca="../pki/ca.pem"))),
    ("ca-relative-dotted", lambda t: kc(simple(t, "a", ca="./certs/../certs/ca.pem"))),
    ("ca-data", lambda t: kc(simple(t, "a", ca=None, data=PEM))),
    ("ca-none", lambda t: kc(simple(t, "a", ca=None))),
    ("shadowed-cluster-not-field-merged", lambda t: kc(simple(t, "a", ca=None), simple(t, "b"))),
    ("empty-file-in-list", lambda t: kc(write(t / "e/config", ""), simple(t, "a"))),
    ("symlinked-file", symlinked),
    ("iks-2019-layout", lambda t: kc(iks(t, "2019"))),
    ("iks-merged-layout", lambda t: home(t, layout="merged")),
    ("iks-admin-layout", lambda t: kc(iks(t, "admin"))),
    ("iks-2019-then-merged", lambda t: kc(iks(t, "2019"), iks(t, "merged"))),
    ("iks-admin-then-merged", lambda t: kc(iks(t, "admin"), iks(t, "merged"))),
    ("relative-kubeconfig-entries", lambda t: kc(os.path.relpath(simple(t, "a"), t))),
]
DUPLICATE = "current-context: x\ncontexts: [{name: x, context: {}}, {name: x, context: {}}]\n"
NAMED_Y = "current-context: y\ncontexts: [{name: y, context: {cluster: k, user: u}}]\n"
# No context to minify to: only `kubectl config current-context` is compared.
NO_VIEW: list[Setup] = [
    ("no-current-context", lambda t: kc(simple(t, "a", None))),
    ("current-context-names-no-context", lambda t: kc(simple(t, "a", "ghost"))),
    ("all-files-missing", lambda t: kc(f"{t}/gone/a", f"{t}/gone/b")),
    ("only-separators", lambda t: kc("", "")),
    ("duplicate-names-in-a-file", lambda t: kc(write(t / "a/config", DUPLICATE))),
    ("context-named-y", lambda t: kc(write(t / "a/config", NAMED_Y))),
]
NOT_SET = (
    "kubectl reads no file as an empty config (`error: current-context is not set`); ikscheck "
    'raises EvidenceError("no readable kubeconfig: {}") instead of giving ""'
)
DIFFERS = {  # (test, setup): why ikscheck disagrees with kubectl there
    ("view", "relative-kubeconfig-entries"): (
        "kubectl resolves a relative path field against the absolute folder of a relative "
        "KUBECONFIG entry (<cwd>/a/ca.pem; client-certificate, client-key likewise); ikscheck "
        "leaves it relative to the working directory (a/ca.pem)"
    ),
    ("current", "all-files-missing"): NOT_SET.format("<t>/gone/a does not exist; ..."),
    ("current", "only-separators"): NOT_SET.format(""),
}


# -- the two answers --------------------------------------------------------------------------


def kubectl(t: Path, where: Where, *args: str) -> subprocess.CompletedProcess[str]:
    option = ["--kubeconfig", where.option] if where.option else []
    argv, env = [testenv.fixed_kubectl()[0], *args, *option], where.environ(t)
    return subprocess.run(argv, cwd=t, env=env, capture_output=True, text=True, timeout=30)


def minified(t: Path, where: Where, *extra: str) -> dict[str, Any]:
    run = kubectl(t, where, "config", "view", "--minify", "--raw", "-o", "json", *extra)
    assert run.returncode == 0, run.stderr
    return dict(json.loads(run.stdout))


def kubectl_says(t: Path, where: Where) -> dict[str, object]:
    raw, flat = minified(t, where), minified(t, where, "--flatten")
    (context,), (entry,), (user,) = raw["contexts"], raw["clusters"], raw["users"]
    ctx, cluster, auth = context["context"], entry["cluster"], user["user"]

    def read(body: dict[str, str], section: str, field: str) -> str | None:
        """The file kubectl reads for a path field: flattening read it into ``<field>-data``."""
        flattened = flat[f"{section}s"][0][section]
        return planted_at(flattened[f"{field}-data"]) if body.get(field) else None

    data = cluster.get("certificate-authority-data")
    return {
        "current-context": raw["current-context"],
        "context": context["name"],
        "context.cluster": ctx["cluster"],
        "context.user": ctx["user"],
        "namespace": ctx.get("namespace", ""),
        "cluster": entry["name"],
        "server": cluster["server"],
        "certificate-authority": read(cluster, "cluster", "certificate-authority"),
        "certificate-authority-data": base64.b64decode(data) if data else None,
        "user": user["name"],
        "client-certificate": read(auth, "user", "client-certificate"),
        "client-key": read(auth, "user", "client-key"),
    }


def workstation(t: Path, where: Where) -> Workstation:
    source = LiveSource(Settings(kubeconfig=where.option), Policy(), where.environ(t))
    return Workstation(source, Policy())


def ikscheck_says(ws: Workstation) -> dict[str, object]:
    context, entry, user = ws.context(""), ws.cluster_entry(""), ws.user_entry("")

    def resolved(field: str) -> str | None:
        value = user.auth.get(field)
        return resolve_path(user.source, value) if isinstance(value, str) and value else None

    return {
        "current-context": ws.kubeconfig.current_context,
        "context": context.name,
        "context.cluster": context.cluster,
        "context.user": context.user,
        "namespace": context.namespace,
        "cluster": entry.name,
        "server": entry.server,
        "certificate-authority": entry.certificate_authority,
        "certificate-authority-data": entry.certificate_authority_data,
        "user": user.name,
        "client-certificate": resolved("client-certificate"),
        "client-key": resolved("client-key"),
    }


def cases(test: str, setups: list[Setup], raises: Any) -> list[Any]:
    """One param per setup; a documented disagreement is a strict xfail."""
    params = []
    for name, build in setups:
        why = DIFFERS.get((test, name))
        marks = [pytest.mark.xfail(strict=True, reason=why, raises=raises)] if why else []
        params.append(pytest.param(build, id=name, marks=marks))
    return params


@pytest.fixture
def t(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The setup's root, also the working directory of kubectl and of the engine."""
    (tmp_path / "home").mkdir()
    for name in DECOYS:
        plant(tmp_path / name)  # decoys for a path resolved against the working directory
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("build", cases("view", VIEWS, AssertionError))
def test_context_cluster_and_user_as_kubectl_resolves_them(t: Path, build: Build) -> None:
    where = build(t)
    assert ikscheck_says(workstation(t, where)) == kubectl_says(t, where)


@pytest.mark.parametrize(
    "build", cases("current", VIEWS + NO_VIEW, (EvidenceError, pytest.fail.Exception))
)
def test_current_context_as_kubectl_config_current_context(t: Path, build: Build) -> None:
    where = build(t)
    run = kubectl(t, where, "config", "current-context")
    if "error loading config file" in run.stderr:  # kubectl refuses the kubeconfig: so must we
        ws = workstation(t, where)
        problems = ws.kubeconfig_problems()
        try:
            ws.kubeconfig  # noqa: B018
        except ParseError:
            return  # refused while merging (duplicate names)
        assert problems, "kubectl refuses the file; KCFG-002 must report why"
        return
    if run.returncode == 0:
        expected = run.stdout.strip()
    else:
        assert "current-context is not set" in run.stderr, run.stderr
        expected = ""
    assert workstation(t, where).kubeconfig.current_context == expected

"""Malformed inputs: each gets a verdict that names the file, none breaks the engine.

The corpus is tests/data/malformed/, one file per input, named ``<where it goes>-<what it is>``:
``kubeconfig-*`` replaces ~/.kube/config, ``ca-*`` the cluster's CA file, ``cli-config-*`` the
IBM Cloud CLI's config.json, and ``id-token-*`` is the OIDC id-token put into the recorded
kubeconfig. Inputs that are big, binary or not files at all (20 MB, an alias bomb, a directory,
a symlink loop...) are built by the generators below at run time, never committed.

Each input is written where it belongs under a temporary folder and read by the live source
(size cap, UTF-8 decoding, redaction: what a live run and its recorded bundle both hold), then
recorded into the healthy recording and judged in memory. One table drives the tests:

* ``test_a_malformed_input_gets_a_verdict_naming_the_file``: the affected check's status is
  the one CHECKS.md implies, its message holds the expected fragment (the field, or line and
  column) and names the file, and it is no internal error;
* ``test_no_check_breaks_on_a_malformed_input``: every check, in prerequisite order and blocked
  as a run blocks them, ends without an internal error.

The worst inputs also run end to end (``test_the_worst_inputs_end_to_end``), with a bound on the
memory the run takes. Engine defects are ``xfail(strict=True)`` with the exception the failing
assertion raises (:class:`EngineCrashed`, :class:`WrongVerdict`, :class:`WrongMessage`,
:class:`FileNotNamed`), so that every other assertion still holds for those inputs.
"""

from __future__ import annotations

import copy
import dataclasses
import gzip
import inspect
import re
import resource
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

import testenv
from ikscheck.check import depths, meta_of
from ikscheck.evidence import Settings
from ikscheck.ibmcloud import PLUGIN_NAMES
from ikscheck.live import LiveSource
from ikscheck.options import Options
from ikscheck.policy import Policy
from ikscheck.replay import ReplaySource
from ikscheck.results import Ending, Result, Status
from ikscheck.session import Session
from memory import CHECKS, HOME, Setup

CORPUS = Path(__file__).parent / "data" / "malformed"
KUBECONFIG = f"{HOME}/.kube/config"
CLI_CONFIG = f"{HOME}/.bluemix/config.json"
CA_FILE = f"{HOME}/.bluemix/plugins/container-service/clusters/mycluster/ca.pem"
#: What a message must never hold.
BROKEN = ("Traceback", "internal error")
#: Peak RSS an end-to-end run may add: a bound, generous, not a measurement.
RSS_BOUND_MIB = 300


# -- how an input falls short (each assertion raises its own, for precise xfails) -------------


class EngineCrashed(AssertionError):
    """A check ended with an internal error or a traceback, or the run broke."""


class WrongVerdict(AssertionError):
    """The status is not the one CHECKS.md implies."""


class WrongMessage(AssertionError):
    """The message lacks the expected fragment (the field, the line and column)."""


class FileNotNamed(AssertionError):
    """The message does not name the file the problem is in."""


@dataclass(frozen=True)
class Defect:
    """An engine defect an input shows: the assertion it breaks, and why."""

    kind: type[AssertionError]
    reason: str

    def mark(self) -> pytest.MarkDecorator:
        return pytest.mark.xfail(raises=self.kind, strict=True, reason=self.reason)


# -- generated inputs: each builds the input at ``path`` ---------------------------------------

ID = testenv.CLUSTER_ID


def twenty_megabytes(path: Path) -> None:
    """20 MiB of kubectl's verbose log, redirected over the kubeconfig by mistake."""
    line = (
        b"I1128 09:00:00.000000    4242 round_trippers.go:553] GET "
        b"https://c7.us-south.containers.cloud.ibm.com:27078/version 200 OK in 12 milliseconds\n"
    )
    chunk = line * (2**20 // len(line) + 1)
    with path.open("wb") as handle:
        for _ in range(20):
            handle.write(chunk[: 2**20])


def alias_bomb(path: Path) -> None:
    """Billion laughs: nine levels of ten aliases, 10**9 strings once expanded."""
    lines = ["a: &a [" + ", ".join(['"lol"'] * 10) + "]"]
    for inner, outer in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{outer}: &{outer} [" + ", ".join([f"*{inner}"] * 10) + "]")
    path.write_text("\n".join(lines) + "\n")


def recorded_kubeconfig() -> str:
    return str(Setup().file(KUBECONFIG)["text"])


def binary_gzip(path: Path) -> None:
    """Binary bytes: the kubeconfig gzipped (a download saved without unpacking)."""
    path.write_bytes(gzip.compress(recorded_kubeconfig().encode(), mtime=0))


def not_utf8(path: Path) -> None:
    """Latin-1 text: a namespace edited in a Windows editor (kubectl: invalid UTF-8 octet)."""
    text = recorded_kubeconfig().replace("namespace: default", "namespace: d\u00e9faut")
    path.write_bytes(text.encode("latin-1"))


def _contexts(path: Path, entry: Callable[[str, str], str]) -> None:
    """10,000 contexts; the last one's cluster is a mapping (the cluster entry pasted in)."""
    lines = ["apiVersion: v1", "kind: Config", "current-context: c00000", "contexts:"]
    for n in range(10_000):
        name = f"c{n:05d}"
        cluster = (
            name if n < 9_999 else "{server: 'https://c7.us-south.containers.cloud.ibm.com:1'}"
        )
        lines.append(entry(name, cluster))
    path.write_text("\n".join(lines) + "\n")


def contexts_block_style(path: Path) -> None:
    """10,000 contexts as `kubectl config set-context` writes them: 1.5 MB."""
    user = "jane@example.invalid/3244a3dec846546ed2a1ad14b5c0a855"
    _contexts(
        path,
        lambda name, cluster: (
            f"- name: {name}/{ID}\n  context:\n    cluster: {cluster}\n"
            f"    user: {user}\n    namespace: default"
        ),
    )


def contexts_flow_style(path: Path) -> None:
    """10,000 contexts, one per line: 0.45 MB."""
    _contexts(path, lambda name, cluster: f"- {{name: {name}, context: {{cluster: {cluster}}}}}")


def directory(path: Path) -> None:
    path.mkdir()


def symlink_loop(path: Path) -> None:
    """``config`` -> ``config.loop`` -> ``config``."""
    loop = path.with_name(path.name + ".loop")
    path.symlink_to(loop.name)
    loop.symlink_to(path.name)


def ca_der(path: Path) -> None:
    """A CA certificate in DER (binary), saved as ca.pem."""
    cert = x509.load_pem_x509_certificate(trustme.CA().cert_pem.bytes())
    path.write_bytes(cert.public_bytes(Encoding.DER))


GENERATED: dict[str, Callable[[Path], None]] = {
    "kubeconfig-20-megabytes": twenty_megabytes,
    "kubeconfig-alias-bomb": alias_bomb,
    "kubeconfig-binary-gzip": binary_gzip,
    "kubeconfig-not-utf-8": not_utf8,
    "kubeconfig-10000-contexts": contexts_block_style,
    "kubeconfig-10000-contexts-flow-style": contexts_flow_style,
    "kubeconfig-a-directory": directory,
    "kubeconfig-symlink-loop": symlink_loop,
    "ca-der-binary": ca_der,
}


# -- the cases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One input, the check it affects, the status CHECKS.md implies, and a message fragment."""

    input: str  # a file in CORPUS, or a key of GENERATED
    check: str
    status: str
    fragment: str
    defect: Defect | None = None

    def param(self, crashes_only: bool = False) -> object:
        defect = self.defect
        if crashes_only and (defect is None or defect.kind is not EngineCrashed):
            defect = None
        marks = [defect.mark()] if defect else []
        return pytest.param(self, id=self.input.rsplit(".", 1)[0], marks=marks)


# fmt: off
CASES = [
    # input                                           check      status  message fragment
    # -- the file itself (CHECKS.md KCFG-001: fail for a directory or an unreadable file) --
    Case("kubeconfig-a-directory",                    "KCFG-001", "fail", "is a directory"),
    Case("kubeconfig-symlink-loop",                   "KCFG-001", "fail",
         "Too many levels of symbolic links"),
    Case("kubeconfig-20-megabytes",                   "KCFG-001", "fail",
         "MiB, larger than 16 MiB"),
    # -- YAML and shape (KCFG-002: fail with file, line and column) --
    # (kubectl reads an empty file as an empty config: KCFG-002 passes it, KCFG-003 fails)
    Case("kubeconfig-empty.yaml",                     "KCFG-003", "fail",
         "current-context is not set"),
    Case("kubeconfig-top-level-list.yaml",            "KCFG-002", "fail", "top level is a list"),
    Case("kubeconfig-top-level-string.yaml",          "KCFG-002", "fail", "top level is a string"),
    Case("kubeconfig-binary-gzip",                    "KCFG-002", "fail",
         "line 1, column 2: byte 0x8b is not UTF-8"),
    Case("kubeconfig-not-utf-8",                      "KCFG-002", "fail",
         "line 10, column 17: byte 0xe9 is not UTF-8"),
    Case("kubeconfig-alias-bomb",                     "KCFG-002", "fail",
         "expands to more than 200000 YAML nodes"),
    Case("kubeconfig-tab-indentation.yaml",           "KCFG-002", "fail",
         "line 6, column 1: while scanning for the next token, found character '\\t'"),
    Case("kubeconfig-two-documents.yaml",             "KCFG-002", "fail",
         "line 5, column 1: expected a single document"),
    Case("kubeconfig-unterminated-quote.yaml",        "KCFG-002", "fail",
         "line 8, column 1: while scanning a quoted scalar"),
    Case("kubeconfig-10000-contexts-flow-style",      "KCFG-002", "fail",
         "line 10004, column 37: $.contexts[9999].context.cluster"),
    Case("kubeconfig-10000-contexts",                 "KCFG-002", "fail",
         "line 50002, column 14: $.contexts[9999].context.cluster"),
    # -- wrong types, clusters --
    Case("kubeconfig-cluster-server-number.yaml",     "KCFG-002", "fail",
         "line 7, column 13: $.clusters[0].cluster.server"),
    Case("kubeconfig-cluster-certificate-authority-list.yaml", "KCFG-002", "fail",
         "line 9, column 5: $.clusters[0].cluster['certificate-authority']"),
    Case("kubeconfig-cluster-certificate-authority-data-number.yaml", "KCFG-002", "fail",
         "line 8, column 33: $.clusters[0].cluster['certificate-authority-data']"),
    Case("kubeconfig-cluster-insecure-skip-tls-verify-string.yaml", "KCFG-002", "fail",
         "line 8, column 31: $.clusters[0].cluster['insecure-skip-tls-verify']"),
    Case("kubeconfig-cluster-entry-string.yaml",      "KCFG-002", "fail",
         "line 5, column 12: $.clusters[0].cluster"),
    Case("kubeconfig-cluster-name-number.yaml",       "KCFG-002", "fail",
         "line 4, column 9: $.clusters[0].name"),
    Case("kubeconfig-clusters-mapping.yaml",          "KCFG-002", "fail",
         "line 5, column 3: $.clusters"),
    # -- wrong types, contexts --
    Case("kubeconfig-context-cluster-mapping.yaml",   "KCFG-002", "fail",
         "line 8, column 7: $.contexts[0].context.cluster"),
    Case("kubeconfig-context-user-number.yaml",       "KCFG-002", "fail",
         "line 8, column 11: $.contexts[0].context.user"),
    Case("kubeconfig-context-namespace-list.yaml",    "KCFG-002", "fail",
         "line 9, column 16: $.contexts[0].context.namespace"),
    Case("kubeconfig-current-context-list.yaml",      "KCFG-002", "fail",
         "line 5, column 1: $['current-context']"),
    # -- wrong types, users --
    Case("kubeconfig-user-token-number.yaml",         "KCFG-002", "fail",
         "line 7, column 12: $.users[0].user.token"),
    Case("kubeconfig-user-client-certificate-data-boolean.yaml", "KCFG-002", "fail",
         "line 7, column 30: $.users[0].user['client-certificate-data']"),
    Case("kubeconfig-user-auth-provider-string.yaml", "KCFG-002", "fail",
         "line 7, column 20: $.users[0].user['auth-provider']"),
    Case("kubeconfig-user-auth-provider-config-list.yaml", "KCFG-002", "fail",
         "line 10, column 7: $.users[0].user['auth-provider'].config"),
    Case("kubeconfig-user-auth-provider-config-value-number.yaml", "KCFG-002", "fail",
         "$.users[0].user['auth-provider'].config['refresh-token']"),
    Case("kubeconfig-user-exec-args-string.yaml",     "KCFG-002", "fail",
         "line 10, column 13: $.users[0].user.exec.args"),
    Case("kubeconfig-user-exec-command-number.yaml",  "KCFG-002", "fail",
         "line 9, column 16: $.users[0].user.exec.command"),
    Case("kubeconfig-user-exec-env-mapping.yaml",     "KCFG-002", "fail",
         "line 11, column 9: $.users[0].user.exec.env"),
    # -- names --
    Case("kubeconfig-entries-without-names.yaml",     "KCFG-002", "fail",
         "line 5, column 3: $.clusters[0]: 'name' is a required property"),
    Case("kubeconfig-null-entry.yaml",                "KCFG-002", "fail",
         "line 5, column 2: $.contexts[0]: None is not of type 'object'"),
    Case("kubeconfig-duplicate-context-names.yaml",   "KCFG-002", "fail",
         "is the name of an earlier context in this file (kubectl refuses it)"),
    # -- the cluster CA (KCFG-007: fail if missing or unparseable) --
    # (kubectl refuses the whole file for it: KCFG-002's finding; KCFG-007 is blocked by it)
    Case("kubeconfig-certificate-authority-data-not-base64.yaml", "KCFG-002", "fail",
         "line 9, column 33: $.clusters[0].cluster.certificate-authority-data: not base64"),
    Case("ca-not-pem.pem",                            "KCFG-007", "fail", "is not PEM"),
    Case("ca-der-binary",                             "KCFG-007", "fail", "is not PEM"),
    Case("ca-certificate-request.pem",                "KCFG-007", "fail",
         "is PEM but not a certificate"),
    Case("ca-garbled-certificate.pem",                "KCFG-007", "fail",
         "is not a readable certificate"),
    Case("ca-truncated-certificate.pem",              "KCFG-007", "fail",
         "is not a readable certificate"),
    # -- the OIDC id-token (TOK-001: undecodable fail) --
    Case("id-token-two-parts.txt",                    "TOK-001", "fail",
         "the id-token is not a JWT: Not enough segments"),
    Case("id-token-payload-not-json.txt",             "TOK-001", "fail",
         "the id-token is not a JWT"),
    Case("id-token-payload-json-array.txt",           "TOK-001", "fail",
         "the id-token is not a JWT"),
    Case("id-token-exp-string.txt",                   "TOK-001", "fail",
         "the id-token: exp is '1795166400', not a number of seconds"),
    Case("id-token-exp-milliseconds.txt",             "TOK-001", "fail",
         "the id-token: exp 1795166400000 is in milliseconds"),
    Case("id-token-without-exp.txt",                  "TOK-001", "fail",
         "the id-token has no exp claim"),
    Case("id-token-exp-nan.txt",                      "TOK-001", "fail", "exp is NaN"),
    Case("id-token-exp-before-year-1.txt",            "TOK-001", "fail",
         "is not a time kubectl can use"),
    # -- the CLI config (TOK-003: no valid session fails; an unreadable config is an error) --
    Case("cli-config-not-json.json",                  "TOK-003", "error",
         "is not valid JSON: Expecting property name enclosed in double quotes: line 5 column 1"),
    Case("cli-config-top-level-array.json",           "TOK-003", "error",
         "should be a JSON object, got array"),
    Case("cli-config-iam-token-number.json",          "TOK-003", "error",
         "IAMToken should be a string, got number"),
    Case("cli-config-iam-token-basic.json",           "TOK-003", "fail",
         "the CLI's IAMToken is not a JWT"),
    Case("cli-config-iam-token-bearer-alone.json",    "TOK-003", "fail",
         "the CLI's IAMToken is not a JWT"),
]
# fmt: on


# -- placing an input and judging ----------------------------------------------------------------


def place(name: str, tmp_path: Path) -> tuple[Setup, str]:
    """The healthy recording with input ``name`` where it belongs, as a live run reads it.

    Returns the setup and the path the input is recorded at (the one messages must name).
    """
    if name.startswith(("kubeconfig-", "id-token-")):
        recorded_as, real = KUBECONFIG, tmp_path / ".kube" / "config"
    elif name.startswith("ca-"):
        recorded_as, real = CA_FILE, tmp_path / "ca.pem"
    elif name.startswith("cli-config-"):
        recorded_as, real = CLI_CONFIG, tmp_path / ".bluemix" / "config.json"
    else:
        raise ValueError(f"{name}: no rule says where this input goes")
    real.parent.mkdir(parents=True, exist_ok=True)
    if name in GENERATED:
        GENERATED[name](real)
    elif name.startswith("id-token-"):
        token = (CORPUS / name).read_text().strip()
        real.write_text(
            re.sub(r"id-token: \S+", lambda _: f"id-token: {token}", recorded_kubeconfig())
        )
    else:
        shutil.copyfile(CORPUS / name, real)
    if real.is_file():
        real.chmod(0o600)  # as `ibmcloud ks cluster config` writes it
    found = LiveSource(Settings(), Policy(), environ={}).read(str(real))
    data = dataclasses.asdict(found)
    del data["path"]
    data["realpath"] = recorded_as if found.exists else ""
    setup = Setup()
    setup.file(recorded_as, **data)
    return setup, recorded_as


def params_for(check_id: str) -> dict[str, str]:
    wanted = inspect.signature(CHECKS[check_id]).parameters
    return {"cluster": testenv.CLUSTER} if "cluster" in wanted else {}


def run_in_order(setup: Setup) -> list[Result]:
    """Every check over ``setup``'s evidence, prerequisites first, blocked as a run blocks them."""
    source = ReplaySource(copy.deepcopy(setup.records), setup.settings, setup.recorded_at)
    session = Session(Options(), Path.cwd(), Path.cwd(), source, Policy())
    metas = {check_id: meta_of(func) for check_id, func in CHECKS.items()}
    level = depths([m for m in metas.values() if m is not None])
    for check_id in sorted(CHECKS, key=lambda c: level[c]):
        func, meta = CHECKS[check_id], metas[check_id]
        assert meta is not None
        wanted = inspect.signature(func).parameters
        sets: list[dict[str, str]] = [{}]
        if "cluster" in wanted:
            sets = [{"cluster": c} for c in session.workstation.clusters()]
        if "plugin" in wanted:
            sets = [{"plugin": p} for p in PLUGIN_NAMES]
        for params in sets:
            roots = session.blockers(meta, params)
            if roots:
                ending = Ending(Status.SKIP, "blocked", blocked_by=roots)
                session.conclude(meta, func.__name__, params, ending)
            else:
                session.evaluate(func, params)
    return session.results


def crashed_text(text: str) -> bool:
    return any(word in text for word in BROKEN)


def crashed(result: Result) -> bool:
    return bool(result.traceback) or crashed_text(result.message)


def verify(found: Result, case: Case, path: str) -> None:
    shown = f"{found.id} {found.status}: {found.message}"
    if crashed(found):
        raise EngineCrashed(shown)
    if found.status != case.status:
        raise WrongVerdict(f"expected {case.status}, got {shown}")
    if case.fragment not in found.message:
        raise WrongMessage(f"expected {case.fragment!r} in {shown}")
    if path not in found.message:
        raise FileNotNamed(f"expected {path} in {shown}")


# -- the tests -----------------------------------------------------------------------------------


def test_the_table_and_the_corpus_agree() -> None:
    stored = {p.name for p in CORPUS.iterdir()}
    listed = [c.input for c in CASES]
    assert len(listed) == len(set(listed)), "an input listed twice"
    assert sorted(stored - set(listed)) == [], "corpus files without a case"
    assert sorted(set(listed) - stored) == sorted(GENERATED), "cases without an input"


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_a_malformed_input_gets_a_verdict_naming_the_file(case: Case, tmp_path: Path) -> None:
    setup, path = place(case.input, tmp_path)
    verify(setup.judge(case.check, **params_for(case.check)), case, path)


@pytest.mark.parametrize("case", [c.param(crashes_only=True) for c in CASES])
def test_no_check_breaks_on_a_malformed_input(case: Case, tmp_path: Path) -> None:
    setup, _ = place(case.input, tmp_path)
    broken = [f"{r.id} {r.status}: {r.message}" for r in run_in_order(setup) if crashed(r)]
    if broken:
        raise EngineCrashed("; ".join(broken))


def peak_rss_mib() -> float:
    """This process's peak resident set so far (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


@pytest.mark.parametrize(
    ("name", "check_id", "fragment"),
    [
        ("kubeconfig-20-megabytes", "KCFG-001", "MiB, larger than 16 MiB"),
        ("kubeconfig-alias-bomb", "KCFG-002", "expands to more than 200000 YAML nodes"),
        ("kubeconfig-binary-gzip", "KCFG-002", "line 1, column 2: byte 0x8b is not UTF-8"),
        ("kubeconfig-not-utf-8", "KCFG-002", "line 10, column 17: byte 0xe9 is not UTF-8"),
        ("kubeconfig-a-directory", "KCFG-001", "is a directory"),
        ("kubeconfig-symlink-loop", "KCFG-001", "Too many levels of symbolic links"),
    ],
)
def test_the_worst_inputs_end_to_end(
    name: str, check_id: str, fragment: str, make_workstation, run_suite
) -> None:
    ws = make_workstation()
    config = ws.home / ".kube" / "config"
    config.unlink()
    GENERATED[name](config)
    before = peak_rss_mib()
    bundle = ws.root / "bundle"
    run = run_suite(*ws.args, "--record", str(bundle))
    # The peak of the whole process: a run that stays under an earlier peak adds nothing.
    grown = peak_rss_mib() - before
    output = "\n".join(run.result.outlines + run.result.errlines)
    report = run.report_path.read_text() if run.report_path.exists() else ""
    if run.result.ret not in (0, 1) or "INTERNALERROR" in output or crashed_text(report):
        raise EngineCrashed(f"exit {run.result.ret}:\n{output[-3000:]}")
    assert grown < RSS_BOUND_MIB, f"the run grew the peak RSS by {grown:.0f} MiB"
    found = run.check(check_id)
    assert found["status"] == "fail", found
    assert str(config) in found["message"], found
    assert fragment in found["message"], found
    # The bundle replays to the same verdict, on any machine.
    replayed = run_suite("--replay", str(bundle)).check(check_id)
    assert (replayed["status"], replayed["message"]) == ("fail", found["message"])

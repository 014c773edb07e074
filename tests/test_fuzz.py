"""Fuzzing: every parser, fed arbitrary and mutated input, gives a result or its documented
error, never an unhandled exception; and every check, judged over fuzzed evidence, ends with a
status, never an internal error.

The inputs (tests/fuzz_strategies.py) are arbitrary text and bytes, and the real formats of
tests/data/formats/ and the bundled recordings mutated: lines dropped, duplicated or swapped,
characters flipped, the text truncated, terminal escapes and format tokens inserted, JSON and
YAML nodes replaced by values of another type, nesting deeper than a parser's stack.

The property, parser by parser: for any input the entry point returns, or raises only its
documented error (:class:`~ikscheck.errors.ParseError` for the parsers, :class:`UsageError`
for a bundle), with a message. A ``ValueError``, ``KeyError``, ``TypeError``,
``RecursionError``... leaking out is a bug in the parser; each one found is kept below as an
``@example`` (and as a plain unit test in the module's own test file).

Two settings profiles:

* ``ci`` (the default): 50 examples per test (fewer for the slow ones), derandomized (the
  same examples on every run, no example database): a few seconds for the file;
* ``deep``: 2,000 examples per test, random, failures kept in ``.hypothesis/`` (git-ignored)
  and replayed first on the next run; run it by hand after changing a parser (about 2.5 min
  on two cores)::

      IKSCHECK_FUZZ_PROFILE=deep python -m pytest tests/test_fuzz.py -q -n 2

  (``IKSCHECK_FUZZ_EXAMPLES=N`` sets the examples per test of either profile.)

Every call runs at Python's default recursion limit (:func:`python_stack`): Hypothesis raises
the limit while a test runs, which would hide what deep nesting does to a real run.

The defects the end-to-end property found outside the parsers (a check, the facts layer) are
fixed; each keeps its input as a regression test at the end of this file.
"""

from __future__ import annotations

import base64
import copy
import inspect
import io
import json
import os
import re
import string
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fuzz_strategies import (
    ANSI,
    RECORDINGS_DIR,
    TEXT_TOKENS,
    YAML_TOKENS,
    arbitrary_bytes,
    arbitrary_text,
    b64url,
    deeply_nested,
    doc_mutated,
    expand_nests,
    json_samples,
    json_text,
    json_values,
    jwts,
    manifest,
    mutated,
    recorded,
    sample,
    text_samples,
    yaml_text,
)
from ikscheck import (
    ansi,
    certs,
    cliconfig,
    cloudapi,
    helm,
    ibmcloud,
    jsonschemas,
    kubeconfig,
    kubeconfig_validity,
    oc,
    tokens,
    versions,
    yamldocs,
)
from ikscheck import jwts as jwt_redaction
from ikscheck.bundle import read_manifest
from ikscheck.errors import ParseError, UsageError
from ikscheck.evidence import HttpResult, kind_of
from ikscheck.ibmcloud import PLUGIN_NAMES
from ikscheck.replay import ReplaySource
from ikscheck.results import Result, Status
from memory import CHECKS, Setup

# -- profiles ------------------------------------------------------------------------------------

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
settings.register_profile(
    "ci", max_examples=50, deadline=None, derandomize=True, database=None,
    suppress_health_check=_SLOW, print_blob=True,
)  # fmt: skip
settings.register_profile(
    "deep", max_examples=2000, deadline=None, suppress_health_check=_SLOW, print_blob=True
)
PROFILE = os.environ.get("IKSCHECK_FUZZ_PROFILE", "ci")
settings.load_profile(PROFILE)
_EXAMPLES = int(os.environ.get("IKSCHECK_FUZZ_EXAMPLES", "0")) or settings.default.max_examples


def budget(weight: float = 1.0) -> settings:
    """The profile's examples per test, times ``weight`` (below 1 for the slower tests)."""
    return settings(max_examples=max(5, int(_EXAMPLES * weight)))


T = TypeVar("T")


@contextmanager
def python_stack() -> Iterator[None]:
    """Python's default recursion limit, as a real run has it: Hypothesis raises the limit
    while a test runs, which would hide a parser overflowing its stack on deep nesting."""
    raised = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(raised)


def outcome(call: Callable[[], T], *documented: type[Exception]) -> T | Exception:
    """What ``call`` returns, or the documented error it raises (which must say something);
    any other exception propagates, and Hypothesis reports it with the input."""
    try:
        with python_stack():
            return call()
    except documented as exc:
        assert str(exc).strip(), f"{type(exc).__name__} without a message"
        return exc


# -- IBM Cloud CLI: version, plug-in tables and JSON, its config ----------------------------------

_PLUGIN_LIST = 'command ["/tmp/ikscheck-recording/bin/ibmcloud", "plugin", "list"'
_REPO_PLUGINS = 'command ["/tmp/ikscheck-recording/bin/ibmcloud", "plugin", "repo-plugins"'
_CLI_CONFIG = "file /tmp/ikscheck-recording/home/.bluemix/config.json"

PLUGIN_TABLES = text_samples(
    "ibmcloud/plugin-list-table-2019.txt",
    "ibmcloud/plugin-list-table-2021.txt",
    "ibmcloud/plugin-list-table-2022.txt",
)
PLUGIN_JSON = json_samples(
    sample("ibmcloud/plugin-list.json"), recorded("healthy", _PLUGIN_LIST, "stdout")
)


@budget()
@given(text_samples("ibmcloud/version.txt"))
def test_cli_version(text: str) -> None:
    found = outcome(lambda: ibmcloud.parse_cli_version(text), ParseError)
    assert isinstance(found, ParseError) or found.release


@budget()
@given(st.one_of(PLUGIN_TABLES, PLUGIN_JSON))
def test_plugin_list(text: str) -> None:
    for parse in (
        ibmcloud.parse_plugin_list,
        ibmcloud.parse_plugin_list_table,
        ibmcloud.parse_plugin_list_json,
    ):
        found = outcome(lambda parse=parse: parse(text), ParseError)
        if not isinstance(found, ParseError):
            assert all(isinstance(p, ibmcloud.Plugin) and p.name for p in found)
            ibmcloud.find_plugin(found, *PLUGIN_NAMES[ibmcloud.KS_PLUGIN])


@budget()
@given(
    json_samples(sample("ibmcloud/plugins-config.json")),
    json_samples(
        sample("ibmcloud/repo-plugins.json"), recorded("healthy", _REPO_PLUGINS, "stdout")
    ),
)
def test_plugin_registry_and_repository(registry: str, repository: str) -> None:
    outcome(lambda: ibmcloud.parse_plugins_config(registry), ParseError)
    offered = outcome(lambda: ibmcloud.parse_repo_plugins(repository), ParseError)
    if not isinstance(offered, ParseError):
        assert all(isinstance(name, str) for name in offered)


#: Nesting past the JSON decoder's stack: each parser let its RecursionError out (found here).
DEEP_JSON = '{"clientVersion": ' * 5_000


@budget()
@example(DEEP_JSON, {}, None)
@given(
    json_samples(sample("ibmcloud/config.json"), recorded("healthy", _CLI_CONFIG, "text")),
    st.dictionaries(
        st.sampled_from(["IBMCLOUD_CONFIG_HOME", "IBMCLOUD_HOME", "BLUEMIX_HOME"]),
        arbitrary_text(20),
    ),
    st.none() | arbitrary_text(20),
)
def test_cli_config(text: str, env: dict[str, str], override: str | None) -> None:
    found = outcome(lambda: cliconfig.parse_cli_config(text), ParseError)
    if isinstance(found, cliconfig.CliConfig):
        assert isinstance(found.iam_token, str)
        tokens.strip_bearer(found.iam_token)
    assert isinstance(
        cliconfig.config_dir(env, "/home/u", lambda p: len(p) % 2 == 0, override), str
    )


# -- kubectl version, Kubernetes versions ---------------------------------------------------------

_KUBECTL = 'command ["/tmp/ikscheck-recording/bin/kubectl", "version"'
KUBECTL_JSON = [
    sample("kubernetes/kubectl-version.json"),
    sample("kubernetes/kubectl-version-client.json"),
    recorded("healthy", _KUBECTL, "stdout"),
]
WARNING = "WARNING: version difference between client (1.33) and server (1.31) exceeds +/-1\n"


@budget()
@example(DEEP_JSON)
@given(
    st.one_of(
        json_samples(*KUBECTL_JSON),
        json_samples(*KUBECTL_JSON).map(lambda t: WARNING + t + "\n" + WARNING),
        text_samples("kubernetes/kubectl-skew-warning.txt"),
        st.sampled_from(KUBECTL_JSON).flatmap(lambda t: mutated(WARNING + t, TEXT_TOKENS)),
    )
)
def test_kubectl_version(stdout: str) -> None:
    found = outcome(lambda: versions.parse_kubectl_version(stdout), ParseError)
    if not isinstance(found, ParseError):
        client, server = found
        assert isinstance(client, versions.KubeVersion)
        if server is not None:
            versions.skew(client, server).verdict()


VERSION_TEXTS = ["v1.13.8", "v1.13.8+IKS", "1.31", "1.31.4_1530", "4.16.30_1544_openshift",
                 "Client Version: v1.13.8", 'Client Version: version.Info{Major:"1", Minor:"20", '
                 'GitVersion:"v1.20.2"}']  # fmt: skip


@budget()
@given(
    st.one_of(
        st.sampled_from(VERSION_TEXTS).flatmap(lambda t: mutated(t, TEXT_TOKENS)),
        arbitrary_text(60),
    ),
    st.one_of(
        st.sampled_from(["kubernetes/version-iks.json", "kubernetes/version-2017.json"]).flatmap(
            lambda r: doc_mutated(json.loads(sample(r)))
        ),
        json_values(),
    ),
)
def test_version_text_and_info(text: str, info: Any) -> None:
    outcome(lambda: versions.parse_version_text(text), ParseError)
    outcome(lambda: versions.parse_master_kube_version(text), ParseError)
    outcome(lambda: versions.parse_version_info(info), ParseError)


# -- kubeconfigs, YAML ----------------------------------------------------------------------------

_KUBECONFIG = "file /tmp/ikscheck-recording/home/.kube/config"
KUBECONFIGS = [
    sample("kubeconfig/2019-cluster-config/kube-config-dal10-mycluster.yml"),
    sample("kubeconfig/merged-cluster-config.yml"),
    sample("kubeconfig/admin-cluster-config.yml"),
    recorded("healthy", _KUBECONFIG, "text"),
    recorded("openshift", _KUBECONFIG, "text"),
]
KUBECONFIG_TEXT = st.one_of(
    st.sampled_from(KUBECONFIGS).flatmap(yaml_text),
    st.sampled_from(KUBECONFIGS).flatmap(yaml_text),
    st.sampled_from(KUBECONFIGS),
    arbitrary_text(),
)


@budget()
@example([None, 'a: "\\U100F6EA8"'], None)  # found: PyYAML's chr() ValueError
@example(["apiVersion: !!int v1"], "mycluster")  # found: PyYAML's int() ValueError
@given(
    st.lists(st.one_of(st.none(), KUBECONFIG_TEXT), min_size=1, max_size=3),
    st.none() | st.sampled_from(["mycluster", "bq8r2k1d0f6mvs4ab1cg", ""]) | arbitrary_text(20),
)
def test_kubeconfig_merge(texts: list[str | None], cluster: str | None) -> None:
    files = [kubeconfig.KubeconfigFile(f"/k/{n}", t) for n, t in enumerate(texts)]
    merged = outcome(lambda: kubeconfig.merge(files), ParseError)
    if isinstance(merged, ParseError):
        return
    context = outcome(lambda: kubeconfig.find_context(merged, cluster))
    assert context is None or isinstance(context, kubeconfig.Context)
    for entry in merged.clusters.values():
        outcome(
            lambda e=entry: kubeconfig.ca_pem(e, lambda p: p.encode("utf-8", "surrogateescape"))
        )


@budget()
@example("contexts:\n- name: [a]\n  context: {}\n- name: [a]\n")  # found: a list in a set
@example("a: !!timestamp x")  # found: PyYAML's AttributeError
@example("[" * 50_000)  # found: seconds in the pure loader, past libyaml's nesting limit
@given(KUBECONFIG_TEXT)
def test_kubeconfig_file_problems(text: str) -> None:
    problems = outcome(lambda: kubeconfig_validity.file_problems("/k/config", text))
    assert isinstance(problems, list)
    assert all(isinstance(p, str) and p.startswith("/k/config") for p in problems)
    parsed = outcome(lambda: kubeconfig.parse_file("/k/config", text), ParseError)
    if isinstance(parsed, ParseError):
        assert problems, f"parse_file refuses it ({parsed}), file_problems finds nothing"


def _node_paths(doc: Any, here: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [here]
    if isinstance(doc, dict):
        for key, value in list(doc.items())[:20]:
            found.extend(_node_paths(value, (*here, key)))
    elif isinstance(doc, list):
        for index, value in enumerate(doc[:20]):
            found.extend(_node_paths(value, (*here, index)))
    return found


@budget()
@example("a: !!bool maybe", [])  # found: PyYAML's KeyError
@example("[[1]]", [-2])  # found: a negative index ran past the list (IndexError)
@given(KUBECONFIG_TEXT, st.lists(st.one_of(st.integers(-2, 5), st.text(max_size=8)), max_size=4))
def test_yaml_positions(text: str, path: list[object]) -> None:
    document = outcome(lambda: yamldocs.load("/k/config", text), ParseError)
    if isinstance(document, ParseError):
        return
    for where in [path, *_node_paths(document.data)[:50]]:
        assert isinstance(outcome(lambda w=where: yamldocs.position(document, list(w))), str)


@budget(0.5)
@given(st.none() | arbitrary_text(40), st.none() | arbitrary_text(40), arbitrary_text(20))
def test_kubeconfig_paths(option: str | None, env: str | None, path: str) -> None:
    listed = kubeconfig.kubeconfig_paths(option, env, "/home/u")
    assert all(isinstance(p, str) and p for p in listed)
    assert isinstance(kubeconfig.resolve_path("/home/u/.kube/config", path), str)


# -- certificates ---------------------------------------------------------------------------------

_CA = "file /tmp/ikscheck-recording/home/.bluemix/plugins/container-service/clusters/mycluster"
CAS = [
    sample("kubeconfig/2019-cluster-config/ca-dal10-mycluster.pem"),
    recorded("healthy", _CA, "text"),
]
PEM_BODY = re.compile(r"(-----BEGIN CERTIFICATE-----\n)(.*?)(-----END CERTIFICATE-----)", re.S)


@st.composite
def der_mutated(draw: st.DrawFn, pem: str) -> str:
    """A PEM whose certificate bytes (DER) are changed: bytes flipped, cut, repeated."""
    found = PEM_BODY.search(pem)
    assert found is not None
    der = bytearray(base64.b64decode(found.group(2)))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(der) - 1))
        op = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        if op == "flip":
            der[at] = draw(st.integers(0, 255))
        elif op == "cut":
            del der[at:]
        elif op == "insert":
            der[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del der[at : at + draw(st.integers(1, 8))]
        if not der:
            der = bytearray(b"0")
    body = base64.encodebytes(bytes(der)).decode()
    return pem[: found.start(2)] + body + pem[found.end(2) :]


def _der_replaced(pem: str, old: bytes, new: bytes) -> str:
    found = PEM_BODY.search(pem)
    assert found is not None
    der = base64.b64decode(found.group(2)).replace(old, new)
    return pem[: found.start(2)] + base64.encodebytes(der).decode() + pem[found.end(2) :]


@budget()
# found: the subject's UTF8String tag flipped to 0; cryptography parses it only when asked
@example(_der_replaced(CAS[0], b"\x0c\x0cmycluster-ca0Y", b"\x00\x0cmycluster-ca0Y"))
@given(
    st.one_of(
        st.sampled_from(CAS).flatmap(der_mutated),
        st.sampled_from(CAS).flatmap(lambda t: mutated(t, ["-----BEGIN ", "-----END ", "="])),
        arbitrary_text(),
    )
)
def test_certificates(pem: str) -> None:
    data = pem.encode("utf-8", "surrogateescape")
    cert = outcome(lambda: certs.first_certificate(data, "the CA"), ParseError)
    if isinstance(cert, certs.Certificate):
        certs.expiry(cert, datetime(2026, 11, 29, tzinfo=UTC), 30)
    outcome(lambda: certs.from_data_field(b64url(data), "client-certificate-data"), ParseError)
    outcome(lambda: certs.from_data_field(pem, "client-certificate-data"), ParseError)


# -- JWTs: decoding, redaction --------------------------------------------------------------------

TOKENS = st.one_of(jwts(), jwts(), arbitrary_text(80))


@budget()
@example("\udc80", "exp")  # found: PyJWT's UnicodeEncodeError
@given(TOKENS, st.sampled_from(["exp", "iat", "nbf", "iss", "aud", "scope"]))
def test_tokens_decode(token: str, claim: str) -> None:
    decoded = outcome(lambda: tokens.decode(tokens.strip_bearer(token), "the id-token"), ParseError)
    if isinstance(decoded, tokens.Jwt):
        for name in ("exp", "iat", "nbf", claim):
            when = outcome(lambda name=name: decoded.time(name), ParseError)
            assert when is None or isinstance(when, datetime | ParseError)


@budget()
@given(TOKENS, arbitrary_text(40))
def test_jwt_redaction(token: str, around: str) -> None:
    redacted = outcome(lambda: jwt_redaction.redact_jwt(token))
    if redacted is not None:
        # Documented: redacting a redacted token changes nothing.
        assert jwt_redaction.redact_jwt(redacted) == redacted
        assert redacted.endswith(".redacted")
    assert isinstance(jwt_redaction.redact_credential(token), str)
    text = jwt_redaction.redact_jwts(f"{around} {token} {around}")
    assert jwt_redaction.redact_jwts(text) == text


# -- IAM, IKS and Kubernetes API answers ---------------------------------------------------------

ANSWERS = [
    ("iam-token", "iam-error", "iam/token-apikey.json"),
    ("iam-delegated-token", "iam-error", "iam/token-delegated.json"),
    ("iam-id-token", "iam-error", "iam/token-kube-exchange.json"),
    ("iks-cluster", "iks-error", "iks/cluster.json"),
    ("iks-cluster", "iks-error", "iks/cluster-openshift.json"),
    ("iks-clusters", "iks-error", "iks/clusters.json"),
    ("iks-regions", "iks-error", "iks/regions.json"),
    ("iks-versions", "iks-error", "iks/versions.json"),
    ("k8s-version", "", "kubernetes/version-iks.json"),
    ("k8s-selfsubjectreview", "", "kubernetes/selfsubjectreview.json"),
    ("oauth-authorization-server", "", "openshift/oauth-authorization-server.json"),
]
ERRORS = ["iam/error-BXNIM0415E.json", "iam/error-BXNIM0408E.json", "iks/error-G0004.json",
          "kubernetes/status-401.json"]  # fmt: skip
STATUSES = st.one_of(
    st.sampled_from([None, 200, 201, 204, 301, 400, 401, 403, 404, 409, 500, 502, 503]),
    st.integers(-1000, 1000),
)


@st.composite
def answers(draw: st.DrawFn) -> tuple[str, str, HttpResult]:
    schema, error_schema, relative = draw(st.sampled_from(ANSWERS))
    body = draw(json_samples(sample(relative), *(sample(e) for e in ERRORS)))
    stage = draw(st.sampled_from(["", "", "", "dns", "connect", "tls", "timeout", "http"]))
    error = draw(st.sampled_from(["", ""]) | arbitrary_text(40))
    headers = draw(st.dictionaries(st.sampled_from(["Date", "date", "X"]), arbitrary_text(40)))
    result = HttpResult("https://h/x", draw(STATUSES), headers, body, 0.1, stage, error)
    return schema, error_schema, result


@budget()
@example(("iam-token", "iam-error", HttpResult("https://h/x", None, body="[" * 5_000)), "GET")
@given(answers(), st.sampled_from(["GET", "POST"]))
def test_api_answers(found: tuple[str, str, HttpResult], method: str) -> None:
    schema, error_schema, result = found
    answer = outcome(lambda: cloudapi.read_answer(result, schema, error_schema, method))
    assert isinstance(answer.problem, str) and isinstance(answer.error_code, str)
    assert all(isinstance(p, str) for p in answer.schema_problems)
    assert answer.ok or answer.problem.strip()
    when = cloudapi.server_date(result)
    assert when is None or when.tzinfo is not None


@budget()
@given(
    st.one_of(st.sampled_from(ERRORS).flatmap(lambda r: doc_mutated(json.loads(sample(r)))),
              json_values()),
    st.one_of(arbitrary_text(40), st.sampled_from(["2026-04-30T12:00:00+0000"]).flatmap(
        lambda t: mutated(t, list(string.digits + "+-:.TZ")))),
)  # fmt: skip
def test_api_errors_and_dates(doc: Any, text: str) -> None:
    code, said = outcome(lambda: cloudapi.api_error(doc))
    assert isinstance(code, str) and said
    when = cloudapi.iks_date(text)
    assert when is None or when.tzinfo is not None


@budget()
@given(
    st.sampled_from([(schema, relative) for schema, _, relative in ANSWERS]).flatmap(
        lambda found: st.tuples(st.just(found[0]), json_samples(sample(found[1])))
    )
)
def test_compiled_validator_says_what_the_python_one_says(found: tuple[str, str]) -> None:
    """The compiled validator answers only "holds", and only where the Python one agrees: the
    problems are always the Python validator's, with or without the fast path."""
    schema, body = found
    try:
        with python_stack():
            doc = json.loads(body)
    except (ValueError, RecursionError):
        return  # not JSON: the validators never see it
    explained = outcome(lambda: jsonschemas._explained(doc, schema, 3))
    if jsonschemas._holds(doc, schema):
        assert explained == [], f"jsonschema-rs passes what Python refuses: {explained}"
    found_now = outcome(lambda: jsonschemas.violations(doc, schema))
    # Near the stack's limit, one frame more or less decides whether Python can walk it at all.
    deep = [([], "$: nested too deeply to validate")]
    assert found_now == explained or deep in (found_now, explained)


# -- oc, helm --------------------------------------------------------------------------------------


@budget()
@example(DEEP_JSON)
@given(
    st.one_of(
        text_samples("oc/version-3.11.txt", "oc/version-client.txt"),
        json_samples(sample("oc/version-client.json"), sample("oc/version-with-server.json")),
    )
)
def test_oc_version(stdout: str) -> None:
    found = outcome(lambda: oc.parse_oc_version(stdout), ParseError)
    assert isinstance(found, ParseError) or found.minor_str


@budget()
@given(
    text_samples(
        "helm/version-3.txt",
        "helm/version-3-short.txt",
        "helm/version-3-template.txt",
        "helm/version-2-client.txt",
        "helm/version-2-no-tiller.txt",
        "helm/version-4.txt",
    )
)
def test_helm_version(stdout: str) -> None:
    found = outcome(lambda: helm.parse_helm_version(stdout), ParseError)
    if isinstance(found, helm.HelmVersion):
        helm.skew_row({"3.16": ("1.28", "1.31"), "3.17": ("1.29", "1.32")}, found)


# -- terminal escapes ----------------------------------------------------------------------------


@budget(0.5)
@given(st.one_of(arbitrary_text(), st.sampled_from(["\x1b[1;32mOK\x1b[0m done"]).flatmap(
    lambda t: mutated(t, ANSI))))  # fmt: skip
def test_ansi(text: str) -> None:
    shown = ansi.printable(text)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", shown)
    assert isinstance(ansi.strip_ansi(text), str)


# -- bundles ---------------------------------------------------------------------------------------

HEALTHY = manifest("healthy")


@st.composite
def bundles(draw: st.DrawFn) -> tuple[str, bytes]:
    """A bundle to write: ("folder" or "tar.gz" or "member:<type>" or "raw.tar.gz", bytes)."""
    how = draw(st.sampled_from(["doc", "doc", "text", "arbitrary", "deep"]))
    if how == "doc":
        data = expand_nests(json.dumps(draw(doc_mutated(HEALTHY)), indent=2)).encode()
    elif how == "text":
        data = draw(mutated(json.dumps(HEALTHY, indent=2), YAML_TOKENS)).encode(
            "utf-8", "surrogateescape"
        )
    elif how == "deep":
        data = draw(deeply_nested("json")).encode()
    else:
        data = draw(arbitrary_bytes())
    form = draw(st.sampled_from(["folder", "tar.gz", "member:dir", "member:symlink", "raw.tar.gz",
                                 "cut.tar.gz", "other-name.tar.gz"]))  # fmt: skip
    return form, data


def _write_bundle(folder: Path, form: str, data: bytes) -> Path:
    if form == "folder":
        (folder / "b").mkdir()
        (folder / "b" / "manifest.json").write_bytes(data)
        return folder / "b"
    path = folder / "b.tar.gz"
    if form == "raw.tar.gz":
        path.write_bytes(data)
        return path
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("other.json" if form == "other-name.tar.gz" else "manifest.json")
        if form == "member:dir":
            info.type = tarfile.DIRTYPE
            archive.addfile(info)
        elif form == "member:symlink":
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            archive.addfile(info)
        else:
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    packed = buffer.getvalue()
    path.write_bytes(packed[: len(packed) // 2] if form == "cut.tar.gz" else packed)
    return path


@budget(0.5)
@example(("folder", b"[" * 5_000))
@given(bundles())
def test_bundle_manifest(bundle: tuple[str, bytes]) -> None:
    form, data = bundle
    with tempfile.TemporaryDirectory() as folder:
        path = _write_bundle(Path(folder), form, data)
        found = outcome(lambda: read_manifest(path), UsageError)
        source = outcome(lambda: ReplaySource.from_bundle(path), UsageError)
    assert isinstance(found, UsageError) == isinstance(source, UsageError)
    if isinstance(found, UsageError):
        assert "\n" not in str(found)  # one line, as a usage error is told


# -- whole checks over fuzzed evidence -----------------------------------------------------------

RECORDINGS = tuple(sorted(p.parent.name for p in RECORDINGS_DIR.glob("*/manifest.json")))
SETUPS = {name: Setup(name) for name in RECORDINGS}


def _looks_like(text: str) -> str:
    try:
        json.loads(text)
        return "json"
    except (ValueError, RecursionError):
        pass
    try:
        return "yaml" if isinstance(yaml.safe_load(text), dict) else "text"
    except (yaml.YAMLError, RecursionError):
        return "text"


def content(original: str) -> st.SearchStrategy[str]:
    """Fuzzed content in place of ``original``: it mutated as its format, or anything."""
    kind = _looks_like(original) if original.strip() else "text"
    mutate = {"json": json_text, "yaml": yaml_text}.get(kind, lambda t: mutated(t, TEXT_TOKENS))
    return st.one_of(mutate(original), mutate(original), arbitrary_text(), deeply_nested(kind))


#: Fields of each kind of evidence, with values of their schema types (bundle.schema.json).
TYPED: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "command": {
        "returncode": st.none() | st.integers(-300, 300),
        "error": st.sampled_from(["", "not found on PATH", "timed out after 30s"]),
        "duration": st.floats(0, 1e6),
    },
    "file": {
        "exists": st.booleans(),
        "is_dir": st.booleans(),
        "text": st.none(),
        "mode": st.none() | st.integers(0, 0o7777) | st.integers(),
        "error": st.sampled_from(["", "permission denied"]) | arbitrary_text(20),
        "realpath": arbitrary_text(40),
    },
    "http": {
        "status": STATUSES,
        "headers": st.dictionaries(
            st.sampled_from(["Date", "Content-Type", "x"]), arbitrary_text(40)
        ),
        "stage": st.sampled_from(["", "dns", "connect", "tls", "timeout", "http"]),
        "error": st.sampled_from(["", "connection refused"]) | arbitrary_text(20),
        "received_at": st.sampled_from(["", "2026-11-29T03:00:00+00:00"]) | arbitrary_text(30),
        "url": arbitrary_text(40),
    },
    "platform": {"os": arbitrary_text(10), "arch": arbitrary_text(10)},
}
_CONTENT_FIELD = {"command": "stdout", "file": "text", "http": "body"}


class Fuzzed:
    """A recording's evidence with pieces fuzzed; shown by its changes when a test fails."""

    def __init__(self, recording: str, records: dict[str, Any], changes: list[str]) -> None:
        self.recording, self.records, self.changes = recording, records, changes

    def __repr__(self) -> str:
        return f"Fuzzed({self.recording!r}, changes={self.changes!r})"


@st.composite
def fuzzed_evidence(draw: st.DrawFn) -> Fuzzed:
    """A recording's evidence with one or two pieces fuzzed."""
    recording = draw(st.sampled_from(RECORDINGS))
    records = copy.deepcopy(SETUPS[recording].records)
    said = []
    for _ in range(draw(st.integers(1, 2))):
        key = draw(st.sampled_from(sorted(records)))
        kind, data = kind_of(key), records[key]
        field = _CONTENT_FIELD.get(kind)
        how = draw(st.sampled_from(["content", "content", "content", "typed", "drop"]))
        if how == "drop":
            del records[key]
        elif kind == "env":
            records[key] = draw(st.none() | arbitrary_text(40))
        elif kind == "which":
            records[key] = draw(st.lists(arbitrary_text(40), max_size=3))
        elif how == "content" and field and isinstance(data.get(field), str):
            data[field] = draw(content(data[field]))
        elif kind == "command" and how == "content":
            data["stderr"] = draw(arbitrary_text())
        elif kind in TYPED:
            name = draw(st.sampled_from(sorted(TYPED[kind])))
            data[name] = draw(TYPED[kind][name])
        said.append(f"{how} {key}: {json.dumps(records.get(key))[:2000]}")
    return Fuzzed(recording, records, said)


def _param_sets(check_id: str, clusters: list[str]) -> list[dict[str, str]]:
    wanted = inspect.signature(CHECKS[check_id]).parameters
    if "cluster" in wanted:
        return [{"cluster": c} for c in clusters]
    if "plugin" in wanted:
        return [{"plugin": p} for p in PLUGIN_NAMES]
    return [{}]


@budget(0.75)
@given(fuzzed_evidence())
def test_every_check_gets_a_verdict_over_fuzzed_evidence(fuzzed: Fuzzed) -> None:
    setup = Setup.__new__(Setup)
    setup.records = fuzzed.records
    setup.settings = SETUPS[fuzzed.recording].settings
    setup.recorded_at = SETUPS[fuzzed.recording].recorded_at
    clusters = list(setup.settings.clusters) or ["mycluster"]
    broken: list[Result] = []
    for check_id in sorted(CHECKS):
        for params in _param_sets(check_id, clusters):
            result = outcome(lambda c=check_id, p=params: setup.judge(c, **p))
            assert result.status in set(Status)
            if result.traceback:
                broken.append(result)
    assert not broken, "\n".join(f"{r.id} {r.params}: {r.message}\n{r.traceback}" for r in broken)


# -- defects outside the parsers, that the fuzzing found (fixed) --------------------------------


@pytest.mark.parametrize("body", ["null", "[]", '"token"'])
def test_tok_004_over_an_iam_answer_that_is_not_an_object(body: str) -> None:
    setup = Setup()
    setup.http("/identity/token", "apikey")["body"] = body
    result = setup.judge("TOK-004")
    assert (result.status, result.traceback) == ("fail", ""), result.message
    assert "but the answer is a JSON " in result.message


def test_kctl_002_over_a_master_version_nested_too_deeply() -> None:
    setup = Setup()
    setup.master()["body"] = "[" * 100_000
    result = setup.judge("KCTL-002", cluster="mycluster")
    assert (result.status, result.traceback) == ("error", ""), result.message
    assert result.message.endswith(
        "/version: HTTP 200, and the body is JSON nested too deeply to read"
    )


def test_oc_001_over_a_master_version_nested_too_deeply() -> None:
    setup = Setup()
    setup.http("/v1/clusters/mycluster")["body"] = "<html>"  # no API answer: ask the master
    setup.master()["body"] = "[" * 100_000
    result = setup.judge("OC-001", cluster="mycluster")
    assert not result.traceback, result.message
    assert result.status == "skip"  # the type is unknown: OC checks do not apply

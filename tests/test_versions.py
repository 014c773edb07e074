"""Tests for ikscheck.versions against the recorded real-format samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ikscheck.errors import ParseError
from ikscheck.versions import (
    KubeVersion,
    parse_kubectl_version,
    parse_master_kube_version,
    parse_version_info,
    parse_version_text,
    skew,
)

DATA = Path(__file__).parent / "data" / "formats" / "kubernetes"

# The four lines of kubectl-skew-warning.txt, by what they are.
SKEW_WARNING_STDOUT = (
    "WARNING: version difference between client (1.33) and server (1.31) exceeds the "
    "supported minor version skew of +/-1"
)


def sample(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def warning_lines() -> list[str]:
    """The warning lines of the sample, without its comments and --short lines."""
    return [
        line
        for line in sample("kubectl-skew-warning.txt").splitlines()
        if line.upper().startswith("WARNING")
    ]


def triple(version: KubeVersion | None) -> tuple[int, int, int | None] | None:
    return None if version is None else (version.major, version.minor, version.patch)


# -- version.Info -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected", "git"),
    [
        ("version-iks.json", (1, 31, 4), "v1.31.4+IKS"),
        # minor "7+": the "+" must not reach int(), and gitVersion supplies the patch.
        ("version-2017.json", (1, 7, 4), "v1.7.4-2+eb9172c211dc41"),
    ],
)
def test_parse_version_info_samples(name: str, expected: tuple[int, int, int], git: str) -> None:
    version = parse_version_info(json.loads(sample(name)))
    assert triple(version) == expected
    assert version.git_version == git


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"major": "1", "minor": "32+", "gitVersion": "v1.32.4-dispatcher"}, (1, 32, 4)),
        ({"major": "1", "minor": "30", "gitVersion": "v1.30.6-gke.502"}, (1, 30, 6)),
        # gitVersion wins over disagreeing fields: the fields are free-form vendor text.
        ({"major": "1", "minor": "99", "gitVersion": "v1.28.3"}, (1, 28, 3)),
        # No usable gitVersion: fall back to the fields, without a patch.
        ({"major": "1", "minor": "13+", "gitVersion": "unknown"}, (1, 13, None)),
        ({"major": "1", "minor": "13+"}, (1, 13, None)),
        ({"major": 1, "minor": 27}, (1, 27, None)),
    ],
)
def test_parse_version_info_variants(
    doc: dict[str, object], expected: tuple[int, int, int | None]
) -> None:
    assert triple(parse_version_info(doc)) == expected


@pytest.mark.parametrize(
    "doc",
    [
        {},
        {"major": "", "minor": "", "gitVersion": "v0.0-dev"},
        {"major": "one", "minor": "31"},
        {"major": "1", "minor": "x+"},
        {"major": True, "minor": "31"},
    ],
)
def test_parse_version_info_without_a_version_names_what_it_saw(doc: dict[str, object]) -> None:
    with pytest.raises(ParseError, match="major=") as info:
        parse_version_info(doc)
    assert repr(doc.get("minor")) in str(info.value)


# -- text ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "git"),
    [
        ("v1.13.8", (1, 13, 8), "v1.13.8"),
        ("v1.13.8+IKS", (1, 13, 8), "v1.13.8+IKS"),
        ("1.31", (1, 31, None), "1.31"),
        ("1.31.4_1530", (1, 31, 4), "1.31.4_1530"),
        ("4.16.30_openshift", (4, 16, 30), "4.16.30_openshift"),
        ("Client Version: v1.13.8", (1, 13, 8), "v1.13.8"),
        ("  Server Version: v1.13.8+IKS\n", (1, 13, 8), "v1.13.8+IKS"),
        (
            'Client Version: version.Info{Major:"1", Minor:"20", GitVersion:"v1.20.2", '
            'GitCommit:"faecb196", GitTreeState:"clean", Platform:"linux/amd64"}',
            (1, 20, 2),
            "v1.20.2",
        ),
    ],
)
def test_parse_version_text(text: str, expected: tuple[int, int, int | None], git: str) -> None:
    version = parse_version_text(text)
    assert triple(version) == expected
    assert version.git_version == git


@pytest.mark.parametrize("text", ["", "latest", "v1", "1.31x", "1.31.4.5", "Client Version: ?"])
def test_parse_version_text_rejects_garbage(text: str) -> None:
    with pytest.raises(ParseError):
        parse_version_text(text)


# -- kubectl version ----------------------------------------------------------------------------


def test_kubectl_version_json_with_server() -> None:
    client, server = parse_kubectl_version(sample("kubectl-version.json"))
    assert triple(client) == (1, 32, 4)
    assert client.git_version == "v1.32.4-dispatcher"
    assert triple(server) == (1, 31, 4)
    assert server is not None and server.git_version == "v1.31.4+IKS"


def test_kubectl_version_json_client_only() -> None:
    client, server = parse_kubectl_version(sample("kubectl-version-client.json"))
    assert triple(client) == (1, 32, 4)
    assert server is None


@pytest.mark.parametrize("where", ["before", "after", "both"])
@pytest.mark.parametrize("warning", warning_lines())
def test_kubectl_version_json_ignores_warning_lines(warning: str, where: str) -> None:
    body = sample("kubectl-version.json").strip()
    before = warning + "\n" if where in ("before", "both") else ""
    after = "\n" + warning + "\n" if where in ("after", "both") else ""
    client, server = parse_kubectl_version(before + body + after)
    assert (triple(client), triple(server)) == ((1, 32, 4), (1, 31, 4))


def test_warning_sample_has_the_known_lines() -> None:
    # Guards the parametrization above against a sample edit that leaves nothing to test.
    lines = warning_lines()
    assert SKEW_WARNING_STDOUT in lines
    assert len(lines) == 3


def test_kubectl_version_short_text_from_the_sample() -> None:
    text = sample("kubectl-skew-warning.txt")
    short = text[text.index("Client Version:") :]
    client, server = parse_kubectl_version(short)
    assert triple(client) == (1, 13, 8)
    assert server is not None
    assert (triple(server), server.git_version) == ((1, 13, 8), "v1.13.8+IKS")


def test_kubectl_version_text_with_kustomize_and_warning() -> None:
    # kubectl 1.28+ default output; the skew warning follows it on older releases.
    out = (
        "Client Version: v1.33.1\n"
        "Kustomize Version: v5.6.0\n"
        "Server Version: v1.31.4+IKS\n"
        f"{SKEW_WARNING_STDOUT}\n"
    )
    client, server = parse_kubectl_version(out)
    assert (triple(client), triple(server)) == ((1, 33, 1), (1, 31, 4))


def test_kubectl_version_go_struct_form() -> None:
    out = (
        'Client Version: version.Info{Major:"1", Minor:"20", GitVersion:"v1.20.2", '
        'GitCommit:"faecb196", GitTreeState:"clean", BuildDate:"2021-01-13T13:28:09Z", '
        'GoVersion:"go1.15.5", Compiler:"gc", Platform:"linux/amd64"}\n'
        'Server Version: version.Info{Major:"1", Minor:"19+", GitVersion:"v1.19.16+IKS", '
        'GitCommit:"0c1b4e3a", GitTreeState:"clean", Platform:"linux/amd64"}\n'
    )
    client, server = parse_kubectl_version(out)
    assert (triple(client), triple(server)) == ((1, 20, 2), (1, 19, 16))
    assert server is not None and server.git_version == "v1.19.16+IKS"


def test_kubectl_version_client_only_text() -> None:
    client, server = parse_kubectl_version("Client Version: v1.29.0\nKustomize Version: v5.0.4\n")
    assert triple(client) == (1, 29, 0)
    assert server is None


@pytest.mark.parametrize(
    "stdout",
    [
        "",
        "error: unknown flag: --output\n",
        SKEW_WARNING_STDOUT + "\n",
        '{"clientVersion": {"major": "1", "minor": \n',  # truncated JSON
        '{"serverVersion": {"major": "1", "minor": "31", "gitVersion": "v1.31.4"}}\n',
        "<html>502 Bad Gateway</html>",
    ],
)
def test_kubectl_version_garbage(stdout: str) -> None:
    with pytest.raises(ParseError, match="client"):
        parse_kubectl_version(stdout)


def test_kubectl_version_truncated_json_says_where() -> None:
    with pytest.raises(ParseError, match=r"invalid JSON at line 2"):
        parse_kubectl_version('{"clientVersion": {"major": "1",\n "minor": ')


# -- ordering and skew --------------------------------------------------------------------------


def test_ordering_is_numeric() -> None:
    # As strings "1.9" > "1.10"; as versions it is the other way round.
    assert KubeVersion(1, 9) < KubeVersion(1, 10)
    assert KubeVersion(1, 10, 0) < KubeVersion(1, 10, 11) < KubeVersion(2, 0, 0)
    assert sorted([parse_version_text(v) for v in ("v1.10.1", "v1.9.11", "v1.100.0")]) == [
        KubeVersion(1, 9, 11),
        KubeVersion(1, 10, 1),
        KubeVersion(1, 100, 0),
    ]


def test_git_version_does_not_affect_equality_or_order() -> None:
    iks = parse_version_text("v1.31.4+IKS")
    plain = KubeVersion(1, 31, 4)
    assert iks == plain
    assert not iks < plain and not plain < iks
    assert hash(iks) == hash(plain)


def test_str_and_minor_str() -> None:
    assert str(KubeVersion(1, 31, 4, "v1.31.4+IKS")) == "1.31.4"
    assert str(KubeVersion(1, 31)) == "1.31"
    assert KubeVersion(1, 31, 4).minor_str == "1.31"


@pytest.mark.parametrize(
    ("client", "server", "minors", "verdict"),
    [
        ("1.31.4", "v1.31.0+IKS", 0, "pass"),
        ("1.32", "1.31", 1, "warn"),
        ("1.30", "1.31", -1, "warn"),
        ("1.33", "1.31", 2, "fail"),
        ("1.29", "1.31", -2, "fail"),
        ("1.34", "1.31", 3, "fail"),
        ("1.28", "1.31", -3, "fail"),
        # A different major never passes, even with equal minors.
        ("2.31", "1.31", 0, "fail"),
    ],
)
def test_skew_verdicts(client: str, server: str, minors: int, verdict: str) -> None:
    s = skew(parse_version_text(client), parse_version_text(server))
    assert s.minors == minors
    assert s.verdict() == verdict


def test_skew_different_major() -> None:
    s = skew(KubeVersion(2, 0), KubeVersion(1, 31))
    assert not s.same_major
    assert s.verdict(max_skew=100) == "fail"


@pytest.mark.parametrize(
    ("client_minor", "verdict"),
    [(31, "pass"), (32, "warn"), (33, "warn"), (29, "warn"), (34, "fail")],
)
def test_skew_max_skew_2(client_minor: int, verdict: str) -> None:
    assert skew(KubeVersion(1, client_minor), KubeVersion(1, 31)).verdict(max_skew=2) == verdict


def test_skew_max_skew_0_makes_one_minor_fail() -> None:
    assert skew(KubeVersion(1, 32), KubeVersion(1, 31)).verdict(max_skew=0) == "fail"


def test_skew_from_kubectl_sample() -> None:
    client, server = parse_kubectl_version(sample("kubectl-version.json"))
    assert server is not None
    s = skew(client, server)
    assert (s.same_major, s.minors, s.verdict()) == (True, 1, "warn")


def test_skew_rejects_negative_max_skew() -> None:
    with pytest.raises(ValueError, match="max_skew"):
        skew(KubeVersion(1, 31), KubeVersion(1, 31)).verdict(max_skew=-1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1.31.4_1530", "1.31"), ("4.16.30_1544_openshift", "4.16"), (" 1.30.10_1527 ", "1.30")],
)
def test_master_kube_version(text: str, expected: str) -> None:
    assert parse_master_kube_version(text).minor_str == expected


@pytest.mark.parametrize("text", ["1.31", "v1.31.4", "1.31.4", "1.31.4_x", ""])
def test_master_kube_version_refuses_other_shapes(text: str) -> None:
    with pytest.raises(ParseError, match=r"is not <major>\.<minor>\.<patch>_<build>"):
        parse_master_kube_version(text)


def test_json_nested_too_deeply_is_no_client_version() -> None:
    # Found by tests/test_fuzz.py: the JSON decoder's RecursionError escaped.
    with pytest.raises(ParseError, match=r"no client version .*JSON nested too deeply to read"):
        parse_kubectl_version('{"clientVersion": ' * 100_000)

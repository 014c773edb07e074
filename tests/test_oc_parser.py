"""The oc version parser over every layout oc prints, and the download location."""

from __future__ import annotations

import json

import pytest

import testenv
from ikscheck.errors import ParseError
from ikscheck.oc import OcVersion, download_url, parse_oc_version

SAMPLES = testenv.FORMATS / "oc"


@pytest.mark.parametrize(
    ("sample", "version", "text", "layout"),
    [
        ("version-client.json", (4, 16, 0), "4.16.0", "JSON releaseClientVersion"),
        ("version-with-server.json", (4, 16, 0), "4.16.0", "JSON releaseClientVersion"),
        ("version-client.txt", (4, 16, 0), "4.16.0", "text Client Version"),
        ("version-3.11.txt", (3, 11, 0), "v3.11.0+0cbc58b", "oc 3.x text"),
    ],
)
def test_every_sample_layout(
    sample: str, version: tuple[int, int, int], text: str, layout: str
) -> None:
    found = parse_oc_version((SAMPLES / sample).read_text())
    assert found == OcVersion(*version)
    assert (found.text, found.layout) == (text, layout)


def test_the_samples_have_empty_major_and_minor() -> None:
    doc = json.loads((SAMPLES / "version-client.json").read_text())
    assert (doc["clientVersion"]["major"], doc["clientVersion"]["minor"]) == ("", "")


@pytest.mark.parametrize(
    "git_version",
    [
        "4.16.0-202406131906.p0.gd1ac0a9.assembly.stream.el9-d1ac0a9",
        "v4.16.0-202410011135.p0.g1a2b3c4.assembly.stream.el9-1a2b3c4",
    ],
)
def test_without_release_client_version_the_git_version_is_read(git_version: str) -> None:
    doc = json.loads((SAMPLES / "version-client.json").read_text())
    del doc["releaseClientVersion"]
    doc["clientVersion"]["gitVersion"] = git_version
    found = parse_oc_version(json.dumps(doc))
    assert (found, found.text, found.layout) == (
        OcVersion(4, 16, 0),
        git_version,
        "JSON clientVersion.gitVersion",
    )


def test_an_empty_release_client_version_falls_back_to_the_git_version() -> None:
    doc = {"clientVersion": {"gitVersion": "v4.14.3-2023"}, "releaseClientVersion": ""}
    assert parse_oc_version(json.dumps(doc)).minor_str == "4.14"


def test_a_development_build_names_no_release() -> None:
    doc = {"clientVersion": {"major": "", "minor": "", "gitVersion": "v0.0.0-unknown"}}
    with pytest.raises(ParseError) as raised:
        parse_oc_version(json.dumps(doc))
    assert str(raised.value) == (
        'oc\'s JSON names no release version: {"major": "", "minor": "", '
        '"gitVersion": "v0.0.0-unknown"}'
    )


def test_the_old_go_struct_text_layout() -> None:
    text = 'Client Version: version.Info{Major:"4", Minor:"1+", GitVersion:"v4.1.0+b4261e0"}\n'
    found = parse_oc_version(text)
    assert (found, found.text, found.layout) == (
        OcVersion(4, 1, 0),
        "v4.1.0+b4261e0",
        "text Client Version: version.Info{...}",
    )


@pytest.mark.parametrize(
    ("stdout", "version"),
    [
        ("oc v3.11.394\nkubernetes v1.11.0+d4cacc0\n", (3, 11, 394)),
        ("oc 3.11.0\n", (3, 11, 0)),
        ("oc v3.11\n", (3, 11, None)),
        ("\x1b[1moc v3.11.0+0cbc58b\x1b[0m\n", (3, 11, 0)),
        ("W1129 warning first\nClient Version: 4.17.2\n", (4, 17, 2)),
    ],
)
def test_plausible_variants(stdout: str, version: tuple[int, int, int | None]) -> None:
    assert parse_oc_version(stdout) == OcVersion(*version)


@pytest.mark.parametrize(
    ("stdout", "message"),
    [
        ("", "oc printed nothing"),
        ("  \n", "oc printed nothing"),
        ("Segmentation fault\nmore\n", "oc printed no version: 'Segmentation fault'"),
        ("Client Version: unknown\n", "oc printed no version: 'Client Version: unknown'"),
        ("{not json", "oc printed no version: '{not json'"),
        ("oc v3.11.0.1.2x", "oc printed no version: 'oc v3.11.0.1.2x'"),
    ],
)
def test_garbage_is_a_parse_error_showing_the_first_line(stdout: str, message: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_oc_version(stdout)
    assert str(raised.value) == message


def test_versions_order_numerically() -> None:
    assert OcVersion(3, 11) < OcVersion(4, 9) < OcVersion(4, 16)


def test_download_url_names_the_release_channel() -> None:
    assert download_url(4, 14) == (
        "https://mirror.openshift.com/pub/openshift-v4/clients/ocp/stable-4.14/"
    )


def test_json_nested_too_deeply_is_read_as_text() -> None:
    # Found by tests/test_fuzz.py: the JSON decoder's RecursionError escaped.
    with pytest.raises(ParseError, match="oc printed no version"):
        parse_oc_version('{"clientVersion": ' * 100_000)

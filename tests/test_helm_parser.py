"""The helm version parser over every layout helm prints, and the version-skew table lookup."""

from __future__ import annotations

import pytest

import testenv
from ikscheck.errors import ParseError
from ikscheck.helm import HelmVersion, parse_helm_version, skew_row, table_span
from ikscheck.policy import HELM_SKEW, Policy
from ikscheck.versions import KubeVersion

SAMPLES = testenv.FORMATS / "helm"


@pytest.mark.parametrize(
    ("sample", "version", "text"),
    [
        ("version-3-template.txt", (3, 16, 2), "v3.16.2"),
        ("version-3-short.txt", (3, 16, 2), "v3.16.2+g13654a5"),
        ("version-3.txt", (3, 16, 2), "v3.16.2"),
        ("version-4.txt", (4, 0, 0), "v4.0.0"),
        ("version-2-client.txt", (2, 14, 3), "v2.14.3"),
        ("version-2-no-tiller.txt", (2, 14, 3), "v2.14.3"),
    ],
)
def test_every_sample_layout(sample: str, version: tuple[int, int, int], text: str) -> None:
    found = parse_helm_version((SAMPLES / sample).read_text())
    assert found == HelmVersion(*version)
    assert found.text == text
    assert found.tiller is (version[0] == 2)


def test_the_template_layout_has_no_newline() -> None:
    assert (SAMPLES / "version-3-template.txt").read_bytes() == b"v3.16.2"


def test_helm_2_short_layout() -> None:
    found = parse_helm_version("Client: v2.16.12+g47f0b88\n")
    assert (found, found.text, found.tiller) == (HelmVersion(2, 16, 12), "v2.16.12+g47f0b88", True)


def test_ansi_coloured() -> None:
    assert parse_helm_version("\x1b[32mv3.16.2\x1b[0m\n") == HelmVersion(3, 16, 2)


def test_a_warning_before_the_version_is_skipped() -> None:
    text = "WARNING: Kubernetes configuration file is group-readable\nv3.16.2"
    assert parse_helm_version(text) == HelmVersion(3, 16, 2)


@pytest.mark.parametrize(
    ("stdout", "message"),
    [
        ("", "helm printed nothing"),
        ("  \n\n", "helm printed nothing"),
        ("Segmentation fault\nmore\n", "helm printed no version: 'Segmentation fault'"),
        ("\x1b[31mboom\x1b[0m", "helm printed no version: 'boom'"),
        ("v3.16", "helm printed no version: 'v3.16'"),
        ("v3.16.2.1", "helm printed no version: 'v3.16.2.1'"),
        ("<no value>", "helm printed no version: '<no value>'"),
    ],
)
def test_garbage_is_a_parse_error_showing_the_first_line(stdout: str, message: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_helm_version(stdout)
    assert str(raised.value) == message


def test_versions_order_numerically() -> None:
    assert HelmVersion(3, 9, 0) < HelmVersion(3, 10, 0) < HelmVersion(4, 0, 0)


# -- the version-skew table --------------------------------------------------------------------


@pytest.mark.parametrize("n", range(4, 21))
def test_the_default_table_follows_helms_rule(n: int) -> None:
    assert HELM_SKEW[f"3.{n}"] == (f"1.{n + 12}", f"1.{n + 15}")


def test_the_default_table_has_helm_4() -> None:
    assert HELM_SKEW["4.0"] == ("1.31", "1.34")
    assert Policy().helm_skew == HELM_SKEW
    assert Policy().helm_skew is not Policy().helm_skew


def test_a_row_supports_its_window_by_minor() -> None:
    row = skew_row(HELM_SKEW, HelmVersion(3, 16, 2))
    assert row is not None
    assert (row.helm, row.newer_than_table) == ("3.16", False)
    assert not row.supports(KubeVersion(1, 27, 9))
    assert row.supports(KubeVersion(1, 28, 0))
    assert row.supports(KubeVersion(1, 31, 14))
    assert not row.supports(KubeVersion(1, 32, 0))


def test_newer_than_the_table_is_judged_by_the_newest_row() -> None:
    for helm, row_name in [((4, 3, 0), "4.0"), ((5, 1, 0), "4.0")]:
        row = skew_row(HELM_SKEW, HelmVersion(*helm))
        assert row is not None
        assert (row.helm, row.newer_than_table) == (row_name, True)


def test_newer_than_every_row_of_its_major() -> None:
    row = skew_row(HELM_SKEW, HelmVersion(3, 21, 0))
    assert row is not None
    assert (row.helm, row.newer_than_table) == ("3.20", True)


@pytest.mark.parametrize("helm", [(3, 3, 0), (3, 0, 1), (2, 14, 3)])
def test_older_than_the_table_has_no_row(helm: tuple[int, int, int]) -> None:
    assert skew_row(HELM_SKEW, HelmVersion(*helm)) is None


def test_an_empty_table_has_no_row() -> None:
    assert skew_row({}, HelmVersion(3, 16, 2)) is None
    assert table_span({}) == "none"


def test_table_span() -> None:
    assert table_span(HELM_SKEW) == "3.4 to 4.0"

"""cloudapi: API answers read into what checks need, from the real sample shapes."""

from __future__ import annotations

import json

import pytest

import testenv
from ikscheck import cloudapi
from ikscheck.evidence import HttpResult

SAMPLES = testenv.FORMATS


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


def test_a_successful_answer_gives_its_document_and_no_problem() -> None:
    answer = cloudapi.read_answer(
        HttpResult("u", 200, body=sample("iks/cluster.json")), "iks-cluster"
    )
    assert answer.ok
    assert (answer.status, answer.schema_problems) == (200, [])
    assert answer.document["name"] == "mycluster"


def test_a_changed_type_is_a_schema_problem_naming_path_and_rule() -> None:
    doc = json.loads(sample("iks/cluster.json"))
    doc["workerCount"] = "3"
    answer = cloudapi.read_answer(HttpResult("u", 200, body=json.dumps(doc)), "iks-cluster")
    assert answer.ok  # it came back: its shape is the checks' finding
    assert answer.schema_problems == ["$.workerCount: '3' is not of type 'integer'"]


@pytest.mark.parametrize(
    ("body", "schema", "said", "code"),
    [
        (
            sample("iam/error-BXNIM0415E.json"),
            "iam-error",
            "HTTP 400: BXNIM0415E: ",
            "BXNIM0415E",
        ),
        (
            sample("iks/error-G0004.json"),
            "iks-error",
            "HTTP 400: G0004: The specified cluster could not be found.",
            "G0004",
        ),
    ],
    ids=["iam", "iks"],
)
def test_an_api_error_shows_the_apis_code_and_words(
    body: str, schema: str, said: str, code: str
) -> None:
    answer = cloudapi.read_answer(HttpResult("u", 400, body=body), "x", schema)
    assert not answer.ok
    assert answer.problem.startswith(said)
    assert (answer.error_code, answer.schema_problems, answer.document) == (code, [], None)


def test_the_iks_error_carries_its_recovery_command() -> None:
    answer = cloudapi.read_answer(HttpResult("u", 404, body=sample("iks/error-G0004.json")), "x")
    assert answer.problem.endswith(
        "(recovery: To list the clusters you have access to, run 'ibmcloud ks cluster ls'.)"
    )


def test_an_error_body_of_another_shape_is_a_schema_problem() -> None:
    answer = cloudapi.read_answer(HttpResult("u", 500, body='{"errorCode": 7}'), "x", "iam-error")
    assert answer.schema_problems[0].startswith("$: 'errorMessage' is a required property")


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        (
            "<html>\n<head><title>502 Bad Gateway</title></head></html>",
            "(an HTML page: '502 Bad Gateway', from a proxy?)",
        ),
        ("\n\nupstream connect error\nmore", "(it starts: 'upstream connect error')"),
        ("", "(it is empty)"),
        ('{"truncated": ', "(it starts: '{\"truncated\":')"),
    ],
    ids=["html", "text", "empty", "truncated"],
)
def test_a_body_that_is_not_json_says_what_it_is(body: str, shown: str) -> None:
    answer = cloudapi.read_answer(HttpResult("u", 502, body=body), "iks-regions")
    assert answer.problem == f"HTTP 502, and the body is not JSON {shown}"


@pytest.mark.parametrize(
    ("stage", "said"),
    [
        ("dns", "DNS lookup failed"),
        ("connect", "connection failed"),
        ("tls", "TLS verification failed"),
        ("timeout", "timed out"),
        ("http", "the HTTP exchange broke"),
    ],
)
def test_a_broken_request_names_its_stage(stage: str, said: str) -> None:
    answer = cloudapi.read_answer(HttpResult("u", stage=stage, error="why"), "x")
    assert (answer.status, answer.problem) == (None, f"{said}: why")


def test_requests_name_their_credential_and_never_hold_it() -> None:
    grant = cloudapi.apikey_grant("https://iam.test/")
    assert (grant.method, grant.url, grant.credential) == (
        "POST",
        "https://iam.test/identity/token",
        "apikey",
    )
    assert "apikey=" not in grant.key
    listing = cloudapi.iks_request("https://iks.test", "/v1/clusters", "bearer:/h/config.json")
    assert listing.key == "GET https://iks.test/v1/clusters (bearer:/h/config.json)"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2026-04-30T12:00:00+0000", "2026-04-30 12:00:00+00:00"), ("", None), ("2026-04-30", None)],
)
def test_iks_dates(value: str, expected: str | None) -> None:
    found = cloudapi.iks_date(value)
    assert (str(found) if found else None) == expected


def test_server_date_reads_the_date_header_or_none() -> None:
    with_date = HttpResult("u", 200, {"date": "Sun, 29 Nov 2026 10:00:00 GMT"})
    assert str(cloudapi.server_date(with_date)) == "2026-11-29 10:00:00+00:00"
    assert cloudapi.server_date(HttpResult("u", 200, {"Date": "yesterday"})) is None
    assert cloudapi.server_date(HttpResult("u", 200)) is None


def test_a_body_nested_too_deeply_to_read_is_a_problem() -> None:
    # Found by tests/test_fuzz.py: the JSON decoder's RecursionError escaped.
    answer = cloudapi.read_answer(HttpResult("u", 200, body="[" * 100_000), "iks-cluster")
    assert answer.problem == "HTTP 200, and the body is JSON nested too deeply to read"


@pytest.mark.parametrize("status", [200, 404])
def test_a_body_nested_near_the_stack_limit_is_a_problem(status: int) -> None:
    # Found by tests/test_fuzz.py: JSON reads a value nested ~950 deep, then the schema
    # validator, quoting it (repr), overflows the stack. Where depends on the stack the call
    # runs on: every depth up to where JSON itself refuses.
    doc = json.loads(sample("iks/cluster.json"))
    for depth in range(850, 1001):
        nested = "[" * depth + "1" + "]" * depth
        body = json.dumps({**doc, "state": "@"}).replace('"@"', nested)
        answer = cloudapi.read_answer(
            HttpResult("u", status, body=body), "iks-cluster", "iks-error"
        )
        assert answer.problem or answer.schema_problems, depth

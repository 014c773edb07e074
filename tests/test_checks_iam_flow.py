"""API-007 and TOK-005 in memory: the healthy recording's answers along the setup guide's flow,
changed one step at a time. Each broken step is named, with what the server said."""

from __future__ import annotations

import pytest

import testenv
from ikscheck.policy import Policy
from memory import Setup

C = {"cluster": testenv.CLUSTER}
TOKEN = "/identity/token"
WHOAMI = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
HTML = "<html><head><title>Access denied</title></head><body>Blocked</body></html>"


def test_api_007_passes_on_the_healthy_recording() -> None:
    found = Setup().judge("API-007", **C)
    assert found.status == "pass"
    assert found.message.startswith(
        "API key -> IAM token -> delegated refresh token -> kube id token -> GET https://"
    )
    assert "; the cluster sees IAM#" in found.message


def test_api_007_names_step_2_when_iam_answers_a_page() -> None:
    setup = Setup()
    setup.http(TOKEN, "refresh:apikey").update(status=200, body=HTML)
    found = setup.judge("API-007", **C)
    assert found.status == "fail"
    assert found.message.startswith("step 2 of 5, a refresh token delegated to kube (POST https://")
    assert found.message.endswith(
        "HTTP 200, and the body is not JSON (an HTML page: 'Access denied', from a proxy?)"
    )


def test_api_007_names_step_2_with_iams_error_code() -> None:
    setup = Setup()
    body = '{"errorCode": "BXNIM0407E", "errorMessage": "Provided refresh token is invalid"}'
    setup.http(TOKEN, "refresh:apikey").update(status=400, body=body)
    found = setup.judge("API-007", **C)
    assert found.status == "fail"
    assert found.message.endswith("HTTP 400: BXNIM0407E: Provided refresh token is invalid")


def test_api_007_fails_when_the_exchange_holds_no_id_token() -> None:
    setup = Setup().http_json(TOKEN, lambda doc: doc.pop("id_token") and None, "delegated:kube")
    found = setup.judge("API-007", **C)
    assert found.status == "fail"
    assert found.message.startswith("step 3 of 5, the kube client's id token (POST https://")
    assert found.message.endswith(
        "does not match iam-id-token.schema.json: $: 'id_token' is a required property"
    )


def test_api_007_fails_when_the_delegation_is_not_of_its_shape() -> None:
    setup = Setup().http_json(TOKEN, lambda doc: {"delegated_refresh_token": 7}, "refresh:apikey")
    found = setup.judge("API-007", **C)
    assert found.status == "fail"
    assert found.message.endswith(
        "does not match iam-delegated-token.schema.json: "
        "$.delegated_refresh_token: 7 is not of type 'string'"
    )


def test_api_007_names_the_stage_when_the_master_cannot_be_reached() -> None:
    setup = Setup()
    setup.http("/version", "bearer:kube").update(
        status=None, body="", headers={}, stage="timeout", error="timed out: no answer within 10 s"
    )
    found = setup.judge("API-007", **C)
    assert found.status == "fail"
    assert found.message.startswith(
        "step 4 of 5, the master's /version with the id token (GET https://"
    )
    assert found.message.endswith("): timed out: no answer within 10 s")


def test_api_007_fails_when_the_master_refuses_the_id_token() -> None:
    setup = Setup()
    body = (testenv.FORMATS / "kubernetes" / "status-401.json").read_text()
    setup.http("/version", "bearer:kube").update(status=401, body=body)
    found = setup.judge("API-007", **C)
    assert found.status == "fail"
    assert found.message.startswith("step 4 of 5, the master refused the id token: GET https://")
    assert found.message.endswith("/version: HTTP 401: Unauthorized")
    assert found.remediation.startswith("ibmcloud ks cluster config --cluster mycluster ")


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (403, '{"kind": "Status", "reason": "Forbidden", "message": "no"}',
         "HTTP 403: Forbidden: no"),
        (201, '{"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1"}',
         "does not match k8s-selfsubjectreview.schema.json: $: 'status' is a required property"),
    ],
)  # fmt: skip
def test_api_007_names_step_5_when_the_review_is_refused_or_misshapen(
    status: int, body: str, said: str
) -> None:
    setup = Setup()
    setup.http(WHOAMI, "bearer:kube").update(status=status, body=body)
    found = setup.judge("API-007", **C)
    assert found.status == "fail"
    assert found.message.startswith("step 5 of 5, the SelfSubjectReview (POST https://")
    assert found.message.endswith(said)


def test_api_007_passes_with_the_identity_step_noted_where_no_review_is_served() -> None:
    setup = Setup()
    setup.http(WHOAMI, "bearer:kube").update(status=404, body='{"kind": "Status"}')
    found = setup.judge("API-007", **C)
    assert found.status == "pass"
    assert found.message.endswith(
        "; the master serves no SelfSubjectReview: the identity step is not available"
    )


def test_api_007_does_not_apply_without_an_api_key() -> None:
    found = Setup().env("IBMCLOUD_API_KEY", None).judge("API-007", **C)
    assert found.status == "skip"
    assert found.message == "IBMCLOUD_API_KEY is not set: the guide's flow starts from an API key"


def test_tok_005_is_opt_in() -> None:
    found = Setup().judge("TOK-005")
    assert found.status == "skip"
    assert "probe-cli-refresh = true" in found.message


def test_tok_005_errors_when_the_bundle_holds_no_refresh_exchange() -> None:
    # Recorded without the opt-in, replayed with it: nothing to judge, said so.
    found = Setup().judge("TOK-005", Policy(probe_cli_refresh=True))
    assert found.status == "error"
    assert found.message.startswith("the bundle has no recording of POST https://")

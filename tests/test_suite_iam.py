"""API-007 and TOK-005 end to end: the setup guide's flow from an API key to the Kubernetes API,
and the CLI session's refresh token, against the fake IBM Cloud on loopback (tests/fakecloud.py).

Each outcome the catalogue gives them, with the message asserted; the tokens the flow creates
appear in no report, output or bundle. Answers of the wrong shape are judged in memory
(tests/test_checks_iam_flow.py).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote

import fakecloud
import testenv

CLUSTER = testenv.CLUSTER
PROBE = "probe-cli-refresh = true\n"


def verdict(run, check_id: str, status: str, *fragments: str, **params: str) -> dict:
    found = run.check(check_id, **params)
    assert found["status"] == status, found
    for fragment in fragments:
        assert fragment in found["message"], (fragment, found["message"])
    assert "Traceback" not in json.dumps(found)
    return found


# -- API-007 -------------------------------------------------------------------------------------


def test_api_007_passes_step_by_step_and_names_the_identity(make_workstation, run_suite) -> None:
    ws = make_workstation()
    run = run_suite(*ws.args)
    found = verdict(
        run,
        "API-007",
        "pass",
        "API key -> IAM token -> delegated refresh token -> kube id token -> ",
        f"GET {ws.cloud.url}/version: v",
        "; the cluster sees IAM#jane.doe@example.com (groups: system:authenticated)",
        cluster=CLUSTER,
    )
    assert found["remediation"] == ""
    # The guide's requests, each once, with the clients IAM expects.
    tokens = [h for h in ws.cloud.requests if h.path == "/identity/token"]
    grants = sorted(h.form["grant_type"] for h in tokens)
    assert grants == sorted([fakecloud.APIKEY_GRANT, "refresh_token", fakecloud.DELEGATED_GRANT])
    delegation = next(h for h in tokens if h.form["grant_type"] == "refresh_token")
    assert delegation.form["response_type"] == "delegated_refresh_token"
    assert delegation.form["receiver_client_ids"] == "kube"
    exchange = next(h for h in tokens if h.form["grant_type"] == fakecloud.DELEGATED_GRANT)
    assert exchange.headers["Authorization"] == fakecloud.KUBE_CLIENT
    review = next(h for h in ws.cloud.requests if h.path == fakecloud.WHOAMI)
    assert json.loads(review.body)["kind"] == "SelfSubjectReview"
    assert review.headers["Authorization"].startswith("Bearer eyJ")


def test_api_007_fails_when_the_master_refuses_the_id_token(make_workstation, run_suite) -> None:
    ws = make_workstation(refuse_id_tokens=True)
    run = run_suite(*ws.args)
    found = verdict(
        run,
        "API-007",
        "fail",
        f"step 4 of 5, the master refused the id token: GET {ws.cloud.url}/version: "
        "HTTP 401: Unauthorized",
        cluster=CLUSTER,
    )
    assert found["remediation"].startswith(f"ibmcloud ks cluster config --cluster {CLUSTER} ")
    verdict(run, "NET-001", "pass", cluster=CLUSTER)  # the master answers, without the token


def test_api_007_passes_without_the_identity_step_on_an_older_master(
    make_workstation, run_suite
) -> None:
    ws = make_workstation(serves_whoami=False)
    run = run_suite(*ws.args)
    verdict(
        run,
        "API-007",
        "pass",
        "; the master serves no SelfSubjectReview: the identity step is not available",
        cluster=CLUSTER,
    )


def test_api_007_fails_naming_iams_error_at_the_step_that_broke(
    make_workstation, run_suite
) -> None:
    ws = make_workstation()
    refused = {"errorCode": "BXNIM0407E", "errorMessage": "Provided refresh token is invalid"}
    # The second token request is the delegation (the API key grant is the first).
    ws.cloud.fault("/identity/token", status=400, body=refused, times=1)
    ws.cloud.fault("/identity/token", latency=0, times=1)  # the grant: served as usual
    run = run_suite(*ws.args)
    grant = next(h for h in ws.cloud.requests if h.path == "/identity/token")
    assert grant.form["grant_type"] == fakecloud.APIKEY_GRANT
    verdict(
        run,
        "API-007",
        "fail",
        "step 2 of 5, a refresh token delegated to kube (POST "
        f"{ws.cloud.url}/identity/token): HTTP 400: BXNIM0407E: Provided refresh token is invalid",
        cluster=CLUSTER,
    )


def test_api_007_does_not_apply_without_an_api_key(make_workstation, run_suite) -> None:
    ws = make_workstation(api_key=None)
    run = run_suite(*ws.args)
    verdict(run, "API-007", "skip", "IBMCLOUD_API_KEY is not set", cluster=CLUSTER)
    assert not [h for h in ws.cloud.requests if h.path == fakecloud.WHOAMI]


def test_api_007_is_blocked_by_a_refused_api_key(make_workstation, run_suite) -> None:
    ws = make_workstation(api_key="canary-api-key-revoked-0123456789abcdef")
    run = run_suite(*ws.args)
    found = verdict(run, "API-007", "skip", cluster=CLUSTER)
    assert found["blocked_by"] == ["TOK-004"]


def test_api_007_errors_when_a_bundle_lacks_the_flow(
    make_workstation, run_suite, tmp_path: Path
) -> None:
    ws = make_workstation()
    bundle = tmp_path / "bundle"
    run_suite(*ws.args, "--record", str(bundle))
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["evidence"] = [e for e in manifest["evidence"] if "(delegated:kube)" not in e["key"]]
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    run = run_suite("--replay", str(bundle))
    verdict(run, "API-007", "error", "the bundle has no recording of ", cluster=CLUSTER)


def test_the_flows_tokens_reach_no_report_output_or_bundle(
    make_workstation, run_suite, tmp_path: Path
) -> None:
    ws = make_workstation()
    bundle = tmp_path / "bundle"
    run = run_suite(*ws.args, "--record", str(bundle), "--html", str(tmp_path / "page.html"))
    verdict(run, "API-007", "pass", cluster=CLUSTER)
    made = [*ws.cloud._delegated, *ws.cloud._id_tokens, *ws.cloud._refresh]
    assert len(made) >= 4  # the delegated token, the id token, refresh tokens
    places = [bundle, tmp_path / "page.html", run.report_path, run.report_path.parent]
    shown = "\n".join(run.result.outlines + run.result.errlines)
    for secret in made:
        forms = {secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode()}
        # A JWT is kept without its signature: what must not appear is the token whole.
        for form in forms:
            assert form not in shown
            for place in places:
                files = [place] if place.is_file() else [p for p in place.rglob("*") if p.is_file()]
                for file in files:
                    assert form.encode() not in file.read_bytes(), (file, secret[:12])


# -- TOK-005 -------------------------------------------------------------------------------------


def test_tok_005_is_opt_in_and_says_how_to_turn_it_on(make_workstation, run_suite) -> None:
    ws = make_workstation()
    run = run_suite(*ws.args)
    verdict(run, "TOK-005", "skip", "probe-cli-refresh = true")
    assert not [
        h
        for h in ws.cloud.requests
        if h.form.get("grant_type") == "refresh_token" and "response_type" not in h.form
    ]


def test_tok_005_passes_and_drops_the_new_tokens(make_workstation, run_suite) -> None:
    ws = make_workstation()
    config = ws.home / ".bluemix" / "config.json"
    before = config.read_bytes()
    run = run_suite(*ws.args, policy=PROBE)
    verdict(
        run, "TOK-005", "pass", f"the IAMRefreshToken of {config} exchanges for a new IAM token"
    )
    assert config.read_bytes() == before  # the CLI's session is left as it was


def test_tok_005_fails_with_iams_code_for_an_expired_refresh_token(
    make_workstation, run_suite
) -> None:
    ws = make_workstation(cli_refresh="expired")
    run = run_suite(*ws.args, policy=PROBE)
    found = verdict(
        run,
        "TOK-005",
        "fail",
        "IAM refused the IAMRefreshToken of ",
        "HTTP 400: BXNIM0408E: Provided refresh token is expired",
    )
    assert found["remediation"] == "ibmcloud login (with --sso for a federated ID)"


def test_tok_005_fails_for_a_refresh_token_iam_does_not_know(make_workstation, run_suite) -> None:
    ws = make_workstation(cli_refresh="unknown")
    run = run_suite(*ws.args, policy=PROBE)
    verdict(run, "TOK-005", "fail", "HTTP 400: BXNIM0407E: Provided refresh token is invalid")


def test_tok_005_does_not_apply_without_a_refresh_token(make_workstation, run_suite) -> None:
    ws = make_workstation(refresh_tokens=False, token_age=60)
    run = run_suite(*ws.args, policy=PROBE)
    verdict(run, "TOK-005", "skip", "no IAMRefreshToken in ")

"""IAM to Kubernetes: the setup guide's flow from an API key to the Kubernetes API works
(API-007), and the CLI session's refresh token still does (TOK-005, opt-in).

Each step's answer is validated against its schema; a broken step is named with what the
server said. The tokens the flow creates are held by the live source only, never stored.
"""

from ikscheck.check import NotApplicable, check, expect, observe

ACCESS = (
    "ibmcloud ks cluster config --cluster {cluster} (syncs your IAM access to the cluster's "
    "RBAC); give the API key's identity a role on the cluster: ibmcloud ks cluster ls must list it"
)
LOGIN = "ibmcloud login (with --sso for a federated ID)"


def _step(number, what, answer, schema, remediation=""):
    """``fail`` naming step ``number`` unless its answer came back in the shape of ``schema``."""
    shown = f"step {number} of 5, {what} ({answer.method} {answer.url})"
    expect(answer.ok, f"{shown}: {answer.problem}", remediation=remediation)
    problems = "; ".join(answer.schema_problems)
    expect(not problems, f"{shown} does not match {schema}.schema.json: {problems}")
    return answer.document


def _identity(review):
    user = review["status"]["userInfo"]
    groups = ", ".join(user.get("groups") or ()) or "none"
    return f"the cluster sees {user.get('username') or '(no username)'} (groups: {groups})"


@check(
    "API-007",
    "An API key reaches the Kubernetes API through IAM, as the setup guide shows",
    severity="high",
    remediation=ACCESS,
    needs=("TOK-004", "NET-001"),
    description=(
        "Follows the guide's flow from an API key to the Kubernetes API, each answer validated "
        "against its schema: the API key's IAM token, a refresh token delegated to the `kube` "
        "client, the `kube` client's `id_token`, the master's `GET /version` with it as the "
        "bearer, then a `SelfSubjectReview` naming the identity the cluster sees (not available "
        "before Kubernetes 1.28)."
    ),
    why="Setting up the API: accessing a cluster through the Kubernetes API with an IAM token.",
    statuses={
        "pass": "every step works (the message names the identity the cluster sees)",
        "fail": (
            "a step fails (naming the step and what the server said), the master refusing the id "
            "token among them"
        ),
        "skip": "`IBMCLOUD_API_KEY` is not set: the flow starts from an API key",
    },
)
def test_api_key_to_kubernetes(workstation, cluster):
    if not workstation.has_api_key:
        raise NotApplicable("IBMCLOUD_API_KEY is not set: the guide's flow starts from an API key")
    _step(1, "the API key's IAM token", workstation.iam_token(), "iam-token")
    _step(2, "a refresh token delegated to kube", workstation.delegation(), "iam-delegated-token")
    _step(3, "the kube client's id token", workstation.kube_token(), "iam-id-token")
    answer = workstation.master_as_kube(cluster)
    if answer.status == 401:
        expect(
            False,
            f"step 4 of 5, the master refused the id token: GET {answer.url}: {answer.problem}",
        )
    version = _step(4, "the master's /version with the id token", answer, "k8s-version")
    seen = "API key -> IAM token -> delegated refresh token -> kube id token -> "
    seen += f"GET {answer.url}: {version['gitVersion']}"
    review = workstation.whoami(cluster)
    if review.status == 404:  # before Kubernetes 1.28, and some OpenShift releases
        observe(
            f"{seen}; the master serves no SelfSubjectReview: the identity step is not available"
        )
        return
    found = _step(5, "the SelfSubjectReview", review, "k8s-selfsubjectreview")
    observe(f"{seen}; {_identity(found)}")


@check(
    "TOK-005",
    "The CLI session's refresh token still works",
    severity="medium",
    remediation=LOGIN,
    needs=("TOK-003", "NET-002"),
    description=(
        "Exchanges the CLI session's `IAMRefreshToken` at IAM (`grant_type=refresh_token`) and "
        "validates the answer against `schemas/iam-token.schema.json`; the new tokens are dropped, "
        "never stored. Opt-in: policy `probe-cli-refresh = true`."
    ),
    why=(
        "Refreshing IAM tokens: an expired session is renewed with its refresh token; when IAM "
        "refuses it, only a new login helps."
    ),
    statuses={
        "pass": "IAM exchanges the refresh token",
        "fail": "IAM refuses it (with its errorCode and errorMessage), or answers in another shape",
        "skip": "not turned on (it spends the refresh token), or no IAMRefreshToken to try",
    },
)
def test_cli_refresh_token(workstation, policy):
    if not policy.probe_cli_refresh:
        raise NotApplicable(
            "opt-in: it spends the CLI's refresh token on IAM; turn it on with "
            "probe-cli-refresh = true under [tool.ikscheck] (or in ikscheck.toml)"
        )
    config = workstation.cli_config()
    if config is None or not config.iam_refresh_token:
        raise NotApplicable(f"no IAMRefreshToken in {workstation.cli_config_path} to try")
    answer = workstation.cli_refresh()
    expect(
        answer.ok,
        f"IAM refused the IAMRefreshToken of {workstation.cli_config_path}: {answer.problem}",
    )
    problems = "; ".join(answer.schema_problems)
    expect(not problems, f"IAM's answer does not match iam-token.schema.json: {problems}")
    observe(
        f"the IAMRefreshToken of {workstation.cli_config_path} exchanges for a new IAM token "
        "(dropped, never stored)"
    )

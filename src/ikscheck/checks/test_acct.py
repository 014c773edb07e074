"""ACCT: the cluster, the CLI's target and IBMCLOUD_API_KEY are in one account (ACCT-001).

An API key works only in the account it was created in, and the IKS API shows a token only its
account's clusters: a key or a CLI target in another account makes every API call about the
cluster fail, with nothing in IKS's answer saying why.
"""

from ikscheck import accounts
from ikscheck.check import NotApplicable, blocked, check, expect, observe
from ikscheck.cloudfacts import NO_CREDENTIALS
from ikscheck.errors import EvidenceError, ParseError

TARGET = "ibmcloud target -c {account}"
NEW_KEY = (
    "ibmcloud target -c {account}; ibmcloud iam api-key-create <name>; "
    "export IBMCLOUD_API_KEY=<the new key>"
)
CLI, KEY = "the CLI", "IBMCLOUD_API_KEY"
#: How each account is said: when it differs, when it agrees, when nothing names it.
SAID = {
    CLI: ("the CLI targets account {}", "the CLI targets it", "the CLI targets no account"),
    KEY: (
        "IBMCLOUD_API_KEY belongs to account {}",
        "IBMCLOUD_API_KEY belongs to it",
        "the IAM token of IBMCLOUD_API_KEY names no account",
    ),
}


def _owner(workstation, cluster):
    """The account that owns ``cluster``, from its crn in the IKS API."""
    answer, who = workstation.owner_answer(cluster)
    if answer.status in (403, 404):
        raise blocked("API-003", f"the IKS API does not show cluster {cluster} to {who}")
    unknown = f"the account of cluster {cluster} cannot be learned: GET {answer.url}"
    if not answer.ok:
        raise EvidenceError(f"{unknown}: {answer.problem}")
    document = answer.document if isinstance(answer.document, dict) else {}
    try:
        return accounts.crn_account(document.get("crn"))
    except ParseError as exc:
        raise EvidenceError(f"{unknown}: {exc}") from None


@check(
    "ACCT-001",
    "The cluster, the CLI and IBMCLOUD_API_KEY are in one account",
    severity="high",
    remediation=TARGET.format(account="<account of the cluster>"),
    needs=("NET-003", "TOK-004"),
    description=(
        "Compares the account that owns the cluster (the `a/<account>` segment of its `crn` in the "
        "IKS API) with the account the CLI targets (`Account.GUID` in the CLI config) and, with "
        "`IBMCLOUD_API_KEY`, the account of the key (its IAM token's `account.bss` claim)."
    ),
    why=(
        "Logging in and setting up the API: an API key works only in the account it was created "
        "in, and IKS shows a token only its account's clusters."
    ),
    statuses={
        "pass": "everything that names an account names the cluster's",
        "fail": "the CLI or the API key is in another account (naming both)",
        "error": (
            "the cluster's account cannot be learned (a broken answer, or a crn that names none)"
        ),
        "skip": (
            "no credentials, nothing names an account to compare, or blocked by API-003: nobody "
            "can see the cluster"
        ),
    },
)
def test_one_account(workstation, cluster):
    if not workstation.api_credential:
        raise NotApplicable(NO_CREDENTIALS)
    owner = _owner(workstation, cluster)
    config = workstation.cli_config()
    named = {CLI: config.account_id if config else ""}
    if workstation.has_api_key:
        named[KEY] = workstation.api_key_account()
    if not any(named.values()):
        raise NotApplicable(
            f"nothing names an account to compare with the account of cluster {cluster}"
        )
    seen = f"cluster {cluster} belongs to account {owner}"
    wrong = [who for who, account in named.items() if account not in ("", owner)]
    said = ", ".join(SAID[who][0].format(named[who]) for who in wrong)
    why = " (an API key works only in the account it was created in)" if KEY in wrong else ""
    fix = (NEW_KEY if KEY in wrong else TARGET).format(account=owner)
    expect(not wrong, f"{seen}; {said}{why}", remediation=fix)
    agreed = " and ".join(SAID[who][1] for who, account in named.items() if account)
    unsaid = "".join(f"; {SAID[who][2]}" for who, account in named.items() if not account)
    observe(f"{seen}: {agreed}{unsaid}")

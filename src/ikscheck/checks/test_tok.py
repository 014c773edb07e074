"""TOK: the OIDC tokens kubectl sends and the CLI's IAM session are usable (TOK-001..003)."""

from datetime import timedelta

from ikscheck import tokens
from ikscheck.check import NotApplicable, check, expect, observe, warn
from ikscheck.errors import EvidenceError, ParseError
from ikscheck.ibmcloud import json_type

CONFIG = "ibmcloud ks cluster config --cluster {cluster}"
LOGIN = "ibmcloud login (with --sso for a federated ID)"
#: IBM refresh tokens carry no expiry and live 30 days (CHECKS.md, TOK-002).
REFRESH_LIFETIME = timedelta(days=30)


def _oidc(workstation, cluster):
    """The user's auth-provider config, and where a finding is: its file and user name."""
    found, user = workstation.oidc_tokens(cluster), workstation.user_entry(cluster)
    if found is None:
        raise NotApplicable(f"user {user.name} does not sign in with OIDC")
    return found, f"{user.source}, user {user.name}: "


def _time(value, what, claim, where=""):
    """The ``claim`` time of the JWT ``value``: a token that cannot be read fails the check."""
    try:
        found = tokens.decode(value, what).time(claim)
    except ParseError as exc:
        expect(False, f"{where}{exc}")
    expect(found is not None, f"{where}{what} has no {claim} claim")
    return found


def _expiry(expires, now, what):
    verb = "expired" if expires <= now else "expires"
    return f"{what} {verb} {expires:%Y-%m-%d %H:%M} UTC ({tokens.ago(expires, now)})"


@check(
    "TOK-001",
    "The cluster's OIDC id-token is valid",
    severity="high",
    remediation=CONFIG,
    needs=("KCFG-008",),
    description=(
        "Decodes the id-token of the cluster user's OIDC `auth-provider` as a JWT and compares its "
        "`exp` with the evaluation time (`--now`, or the recording's time in a replay)."
    ),
    why=(
        "Accessing the cluster: kubectl sends the IAM id-token to the master; an expired one is "
        "renewed only with the refresh token beside it."
    ),
    statuses={
        "pass": (
            "valid beyond the warning window (10 minutes by default), or expired with a refresh "
            "token kubectl renews it with"
        ),
        "warn": "it expires within the warning window",
        "fail": "expired without a refresh token, no `exp`, or not a JWT",
        "skip": "the user does not sign in with OIDC",
    },
)
def test_id_token(workstation, policy, cluster):
    config, where = _oidc(workstation, cluster)
    expires = _time(config.get("id-token", ""), "the id-token", "exp", where)
    now = workstation.now
    seen = _expiry(expires, now, "the id-token")
    if expires <= now:
        expect(bool(config.get("refresh-token")), f"{where}{seen}, and there is no refresh-token")
        observe(f"{seen}: kubectl renews it with the refresh-token")
        return
    observe(seen)
    if expires - now <= timedelta(minutes=policy.token_warning_minutes):
        warn(where + seen)


@check(
    "TOK-002",
    "The cluster's OIDC refresh token is usable",
    severity="high",
    remediation=CONFIG,
    needs=("TOK-001",),
    description=(
        "Judges the OIDC refresh token: by its `exp` when it is a JWT that has one; else, as IBM's "
        "refresh tokens carry no expiry and live 30 days, by the `iat` of the id-token issued with "
        "it."
    ),
    why=(
        "Accessing the cluster: kubectl renews the id-token with the refresh token; once that has "
        "expired, only `ibmcloud ks cluster config` gets new ones."
    ),
    statuses={
        "pass": "usable: unexpired, or the id-token is younger than 30 days",
        "fail": (
            "missing, expired, or the id-token older than 30 days (the refresh token it came with "
            "has expired)"
        ),
        "skip": "the user does not sign in with OIDC",
    },
)
def test_refresh_token(workstation, cluster):
    config, where = _oidc(workstation, cluster)
    refresh, now = config.get("refresh-token", ""), workstation.now
    expect(bool(refresh), f"{where}no refresh-token: kubectl cannot renew the id-token")
    try:
        expires = tokens.decode(refresh, "the refresh token").time("exp")
    except ParseError:
        expires = None  # opaque, or a JWT without exp: IBM's carry none
    if expires is not None:
        seen = _expiry(expires, now, "the refresh token")
        expect(expires > now, where + seen)
        observe(seen)
        return
    issued = _time(config.get("id-token", ""), "the id-token", "iat", where)
    age = f"the id-token was issued {issued:%Y-%m-%d} ({tokens.ago(issued, now)})"
    expired = f"{where}{age}: the refresh token it came with expired"
    expect(now - issued <= REFRESH_LIFETIME, expired)
    observe(f"{age}: its refresh token is younger than 30 days")


@check(
    "TOK-003",
    "The IBM Cloud CLI session is valid",
    severity="medium",
    remediation=LOGIN,
    needs=("CLI-001",),
    description=(
        "Reads the CLI session from the CLI config (`IAMToken`, stored as `Bearer <jwt>`, and "
        "`IAMRefreshToken`) and compares the token's `exp` with the evaluation time."
    ),
    why=(
        "Logging in to IBM Cloud: every `ibmcloud ks` command, `cluster config` among them, needs "
        "a valid CLI session."
    ),
    statuses={
        "pass": "a valid session beyond the warning window",
        "warn": (
            "it expires within the warning window, or has expired with a refresh token the CLI "
            "renews it with"
        ),
        "fail": "not logged in, or expired without a refresh token",
    },
)
def test_cli_session(workstation, policy):
    config, where = workstation.cli_config(), f"{workstation.cli_config_path}: "
    expect(
        config is not None and bool(config.iam_token),
        f"not logged in: no IAMToken in {workstation.cli_config_path}",
    )
    token = tokens.strip_bearer(config.iam_token)
    expires, now = _time(token, "the CLI's IAMToken", "exp", where), workstation.now
    seen = _expiry(expires, now, "the CLI session")
    if expires <= now:
        expect(bool(config.iam_refresh_token), f"{where}{seen}, and there is no IAMRefreshToken")
        renew = "ibmcloud target (any command renews the session)"
        warn(f"{where}{seen}: the CLI renews it with its IAMRefreshToken", remediation=renew)
    observe(seen)
    if expires - now <= timedelta(minutes=policy.token_warning_minutes):
        warn(where + seen)


@check(
    "TOK-004",
    "IBMCLOUD_API_KEY exchanges for an IAM token",
    severity="high",
    remediation="ibmcloud iam api-key-create <name> (in the account of the cluster); "
    "export IBMCLOUD_API_KEY=<the new key>",
    needs=("NET-002",),
    description=(
        "With `IBMCLOUD_API_KEY` set, exchanges the key for an IAM token (`POST /identity/token`, "
        "`grant_type=urn:ibm:params:oauth:grant-type:apikey`) at the IAM endpoint."
    ),
    why="Setting up the API: the guide's API calls start from an IAM token made from an API key.",
    statuses={
        "pass": "IAM gives a token for the key",
        "fail": (
            "IAM refuses the key (with its errorCode and errorMessage, BXNIM0415E say) or does not "
            "answer"
        ),
        "skip": "`IBMCLOUD_API_KEY` is not set (the CLI session is used: TOK-003)",
    },
)
def test_api_key_exchange(workstation):
    if not workstation.has_api_key:
        raise NotApplicable("IBMCLOUD_API_KEY is not set (the CLI session is used: TOK-003)")
    answer = workstation.iam_token()
    if answer.error_code:
        expect(answer.ok, f"IAM refused IBMCLOUD_API_KEY: {answer.problem}")
    network = "Check the network path (VPN, firewall, HTTPS_PROXY / NO_PROXY) to IAM"
    expect(answer.ok, f"POST {answer.url}: {answer.problem}", remediation=network)
    expect(
        isinstance(answer.document, dict),
        f"POST {answer.url}: HTTP {answer.status}, but the answer is a JSON "
        f"{json_type(answer.document)}, not a token "
        "(API-001 checks its shape)",
        remediation="Report the answer to IBM Cloud support (IAM's token endpoint changed shape)",
    )
    lifetime = answer.document.get("expires_in")
    observe(f"IBMCLOUD_API_KEY exchanges for an IAM token (valid for {lifetime} s)")


@check(
    "CLK-001",
    "This machine's clock agrees with IBM Cloud",
    severity="medium",
    remediation="Turn on network time: sudo timedatectl set-ntp true (Linux); "
    "automatic date and time in the system settings (macOS, Windows)",
    needs=("NET-002",),
    description=(
        "Compares this machine's clock with IBM Cloud's: from the IAM token answer (`expiration - "
        "expires_in`), else the HTTP `Date` header of IAM's answer."
    ),
    why="Tokens: every token's expiry, and kubectl's sign-in, are judged by the local clock.",
    statuses={
        "pass": "within the policy's warning offset (60 s by default)",
        "warn": "off by more than that, within the failing offset (5 minutes by default)",
        "fail": "off by more than the failing offset",
        "error": "IAM told no time (no token answer, no Date header)",
    },
)
def test_clock(workstation, policy):
    told = workstation.iam_clock()
    if told is None:
        raise EvidenceError("IAM told no time: no token answer, no Date header")
    offset, source = told
    way = "ahead of" if offset > 0 else "behind"
    seen = f"this clock is {tokens.duration(abs(offset))} {way} IBM Cloud ({source})"
    if round(offset) == 0:
        seen = f"this clock agrees with IBM Cloud to the second ({source})"
    expect(abs(offset) <= policy.clock_fail_seconds, seen)
    if abs(offset) > policy.clock_warn_seconds:
        warn(seen)
    observe(seen)

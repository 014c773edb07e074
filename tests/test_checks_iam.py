"""TOK-004 and CLK-001 in memory: IAM's answers of the healthy recording, changed.

Times are set relative to the recording's instant (``setup.recorded_at``), which replay takes
as "now".
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import pytest

import testenv
from ikscheck.evidence import iso
from ikscheck.policy import Policy
from memory import Setup

SETUP = Setup()
TOKEN_URL = SETUP.http("/identity/token")["url"]
DISCOVERY = "/identity/.well-known/openid-configuration"
BXNIM0415E = (testenv.FORMATS / "iam" / "error-BXNIM0415E.json").read_text()
NEW_KEY = (
    "ibmcloud iam api-key-create <name> (in the account of the cluster); "
    "export IBMCLOUD_API_KEY=<the new key>"
)
NTP = (
    "Turn on network time: sudo timedatectl set-ntp true (Linux); "
    "automatic date and time in the system settings (macOS, Windows)"
)
BY_TOKEN = "IAM token: expiration - expires_in"
BY_DATE = "IAM Date header"
HTML = "\n  <html><head><title>Access denied</title></head>\n<body>Blocked by proxy</body></html>\n"


def refused(setup: Setup, status: int = 400, body: str = BXNIM0415E) -> Setup:
    """IAM answers the API key grant with ``status`` and ``body``."""
    setup.http("/identity/token").update(status=status, body=body)
    return setup


# -- TOK-004 ---------------------------------------------------------------------------------


def test_tok_004_passes() -> None:
    found = Setup().judge("TOK-004")
    assert (found.status, found.remediation) == ("pass", "")
    assert found.message == "IBMCLOUD_API_KEY exchanges for an IAM token (valid for 3600 s)"


def test_tok_004_does_not_apply_without_an_api_key() -> None:
    found = Setup().env("IBMCLOUD_API_KEY", None).judge("TOK-004")
    assert found.status == "skip"
    assert found.message == "IBMCLOUD_API_KEY is not set (the CLI session is used: TOK-003)"


def test_tok_004_fails_with_iams_error() -> None:
    found = refused(Setup()).judge("TOK-004")
    assert (found.status, found.remediation) == ("fail", NEW_KEY)
    assert found.message == (
        "IAM refused IBMCLOUD_API_KEY: HTTP 400: BXNIM0415E: Provided API key could not be found"
    )


@pytest.mark.parametrize("status", [200, 403])
def test_tok_004_fails_for_a_page_that_is_not_json(status: int) -> None:
    found = refused(Setup(), status, HTML).judge("TOK-004")
    assert found.status == "fail"
    assert found.message == (
        f"POST {TOKEN_URL}: HTTP {status}, and the body is not JSON "
        "(an HTML page: 'Access denied', from a proxy?)"
    )


def test_tok_004_fails_naming_the_stage_that_broke() -> None:
    setup = Setup()
    setup.http("/identity/token").update(
        status=None, body="", headers={}, stage="connect", error="Connection refused"
    )
    found = setup.judge("TOK-004")
    assert found.status == "fail"
    assert found.message == f"POST {TOKEN_URL}: connection failed: Connection refused"
    # The key may be fine: the way to IAM is what to look at.
    assert found.remediation.startswith("Check the network path")


# -- CLK-001 ---------------------------------------------------------------------------------


def arrived_now(setup: Setup, path: str) -> dict[str, Any]:
    """The answer at ``path``, arrived at the recording's instant (where arrivals are kept)."""
    answer = setup.http(path)
    if "received_at" in answer:
        answer["received_at"] = iso(setup.recorded_at)
    return answer


def issued(setup: Setup, offset: float) -> Setup:
    """IAM issued the recorded token ``offset`` seconds before this clock's "now"."""
    at = setup.recorded_at - timedelta(seconds=offset)
    arrived_now(setup, "/identity/token")

    def change(doc: dict) -> None:
        doc["expiration"] = int(at.timestamp()) + doc["expires_in"]

    return setup.http_json("/identity/token", change)


def dated(setup: Setup, path: str, offset: float | None) -> Setup:
    """The answer at ``path`` has a Date header ``offset`` seconds behind "now" (None: none)."""
    headers = arrived_now(setup, path)["headers"]
    for name in [n for n in headers if n.lower() == "date"]:
        del headers[name]
    if offset is not None:
        at = setup.recorded_at - timedelta(seconds=offset)
        headers["Date"] = format_datetime(at, usegmt=True)
    return setup


def without_api_key(offset: float | None) -> Setup:
    """No API key: only the IAM discovery answer's Date header (``offset`` off) tells time."""
    return dated(Setup().env("IBMCLOUD_API_KEY", None), DISCOVERY, offset)


def test_clk_001_passes_when_iam_agrees() -> None:
    found = issued(Setup(), 0).judge("CLK-001")
    assert (found.status, found.remediation) == ("pass", "")
    assert found.message == f"this clock agrees with IBM Cloud to the second ({BY_TOKEN})"


@pytest.mark.parametrize(
    ("offset", "status", "said"),
    [
        (60, "pass", "1 min 0 s ahead of"),
        (61, "warn", "1 min 1 s ahead of"),
        (120, "warn", "2 min 0 s ahead of"),
        (300, "warn", "5 min 0 s ahead of"),
        (301, "fail", "5 min 1 s ahead of"),
        (600, "fail", "10 min 0 s ahead of"),
        (-60, "pass", "1 min 0 s behind"),
        (-61, "warn", "1 min 1 s behind"),
        (-120, "warn", "2 min 0 s behind"),
        (-300, "warn", "5 min 0 s behind"),
        (-301, "fail", "5 min 1 s behind"),
        (-600, "fail", "10 min 0 s behind"),
        (30, "pass", "30 s ahead of"),
    ],
)
def test_clk_001_offset_by_the_token(offset: int, status: str, said: str) -> None:
    found = issued(Setup(), offset).judge("CLK-001")
    assert found.status == status
    assert found.message == f"this clock is {said} IBM Cloud ({BY_TOKEN})"
    assert found.remediation == ("" if status == "pass" else NTP)


def test_clk_001_thresholds_come_from_the_policy() -> None:
    setup = issued(Setup(), 120)
    policy = Policy(clock_warn_seconds=120, clock_fail_seconds=600)
    assert setup.judge("CLK-001", policy).status == "pass"
    policy = Policy(clock_warn_seconds=10, clock_fail_seconds=119)
    assert setup.judge("CLK-001", policy).status == "fail"


@pytest.mark.parametrize(
    ("offset", "status", "message"),
    [
        (0, "pass", f"this clock agrees with IBM Cloud to the second ({BY_DATE})"),
        (120, "warn", f"this clock is 2 min 0 s ahead of IBM Cloud ({BY_DATE})"),
        (-600, "fail", f"this clock is 10 min 0 s behind IBM Cloud ({BY_DATE})"),
    ],
)
def test_clk_001_without_an_api_key_reads_iams_date_header(
    offset: int, status: str, message: str
) -> None:
    found = without_api_key(offset).judge("CLK-001")
    assert (found.status, found.message) == (status, message)


def test_clk_001_a_refused_key_falls_back_to_the_token_answers_date() -> None:
    setup = dated(refused(Setup()), "/identity/token", 600)
    found = dated(setup, DISCOVERY, 0).judge("CLK-001")
    assert found.status == "fail"
    assert found.message == f"this clock is 10 min 0 s ahead of IBM Cloud ({BY_DATE})"


def test_clk_001_errs_when_iam_told_no_time() -> None:
    found = without_api_key(None).judge("CLK-001")
    assert found.status == "error"
    assert found.message == "IAM told no time: no token answer, no Date header"


def test_clk_001_errs_when_a_refused_key_and_iam_told_no_time() -> None:
    setup = dated(dated(refused(Setup()), "/identity/token", None), DISCOVERY, None)
    found = setup.judge("CLK-001")
    assert found.status == "error"
    assert found.message == "IAM told no time: no token answer, no Date header"


def test_clk_001_the_token_is_preferred_to_the_date_header() -> None:
    setup = dated(issued(Setup(), 0), "/identity/token", 600)
    found = dated(setup, DISCOVERY, 600).judge("CLK-001")
    assert found.status == "pass"
    assert found.message.endswith(f"({BY_TOKEN})")

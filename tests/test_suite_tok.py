"""TOK-001..003 end to end: tokens in a real temporary home, judged at the run's instant.

Branches are judged in memory (tests/test_checks_tok.py); these runs cover the wiring, the
prerequisites, and that an expired token never makes the suite touch the user's files.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import testenv

DAY = 24 * 3600.0


def digest(root: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


def statuses(run) -> tuple[str, str, str]:
    return (
        run.status("TOK-001", cluster=testenv.CLUSTER),
        run.status("TOK-002", cluster=testenv.CLUSTER),
        run.status("TOK-003"),
    )


def test_fresh_tokens_pass(make_workstation, run_suite) -> None:
    run = run_suite(*make_workstation().args)
    assert statuses(run) == ("pass", "pass", "pass")


def test_tokens_about_to_expire_warn(make_workstation, run_suite) -> None:
    run = run_suite(*make_workstation(token_age=55 * 60).args)
    assert statuses(run)[0::2] == ("warn", "warn")


def test_expired_tokens_without_refresh_tokens_fail_and_files_stay_identical(
    make_workstation, run_suite
) -> None:
    ws = make_workstation(token_age=3 * 3600, refresh_tokens=False)
    before = digest(ws.home)
    run = run_suite(*ws.args)
    assert digest(ws.home) == before  # kubectl's OIDC refresh never writes the user's kubeconfig
    # An OIDC user without a refresh-token is incomplete (KCFG-008): said once, there.
    found = run.check("KCFG-008", cluster=testenv.CLUSTER)
    assert found["status"] == "fail"
    assert found["message"].endswith("lacks refresh-token")
    assert found["remediation"] == "ibmcloud ks cluster config --cluster mycluster"
    for check_id in ("TOK-001", "TOK-002"):
        assert run.check(check_id, cluster=testenv.CLUSTER)["blocked_by"] == ["KCFG-008"]
    session = run.check("TOK-003")
    assert session["status"] == "fail"
    assert session["message"].endswith("and there is no IAMRefreshToken")


def test_a_stale_login_fails_tok_002(make_workstation, run_suite) -> None:
    ws = make_workstation(token_age=40 * DAY)
    before = digest(ws.home)
    run = run_suite(*ws.args)
    assert digest(ws.home) == before
    assert statuses(run) == ("pass", "fail", "warn")
    found = run.check("TOK-002", cluster=testenv.CLUSTER)
    assert "(40 days ago): the refresh token it came with expired" in found["message"]


def test_an_expired_id_token_with_a_refresh_token_passes_tok_001(
    make_workstation, run_suite
) -> None:
    run = run_suite(*make_workstation(token_age=3 * 3600).args)
    found = run.check("TOK-001", cluster=testenv.CLUSTER)
    assert found["status"] == "pass"
    assert found["message"].endswith(": kubectl renews it with the refresh-token")

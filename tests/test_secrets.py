"""Planted canary secrets never reach a report, a bundle, a log or captured output.

Also: the user's files stay byte-identical after a run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import tarfile
from pathlib import Path

import testenv

CANARIES = {
    "id-token signature": "CANARYIDSIG0123456789abcdef",
    "refresh token": "CANARYREFRESH0123456789abcdef",
    "IAM token signature": "CANARYIAMSIG0123456789abcdef",
    "IAM refresh token": "CANARYIAMREFRESH0123456789",
    "API key": "CANARY-apikey-0123456789abcdefghij",
    "client key": "CANARYCLIENTKEY0123456789",
    "static token": "CANARYSTATICTOKEN0123456789",
}


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def jwt(claims: dict, signature: str) -> str:
    return f"{b64({'alg': 'RS256', 'kid': 'k1'})}.{b64(claims)}.{signature}"


def plant(ws: testenv.Sandbox) -> None:
    """Put every canary where a real setup keeps such a secret."""
    claims = {"iss": "https://iam.cloud.ibm.com/identity", "exp": 1795166400, "iat": 1795165200}
    kubeconfig = ws.home / ".kube" / "config"
    text = kubeconfig.read_text()
    lines = []
    for line in text.splitlines():
        key = line.strip().split(":")[0]
        if key == "id-token":
            line = line.split(":")[0] + ": " + jwt(claims, CANARIES["id-token signature"])
        elif key == "refresh-token":
            line = line.split(":")[0] + ": " + CANARIES["refresh token"]
        lines.append(line)
    text = "\n".join(lines) + "\n"
    client_key = base64.b64encode(
        b"-----BEGIN EC PRIVATE KEY-----\n"
        + CANARIES["client key"].encode()
        + b"\n-----END EC PRIVATE KEY-----\n"
    ).decode()
    text += (
        "- name: admin\n  user:\n"
        f"    client-key-data: {client_key}\n"
        f"    token: {CANARIES['static token']}\n"
    )
    kubeconfig.write_text(text)
    config_path = ws.home / ".bluemix" / "config.json"
    config = json.loads(config_path.read_text())
    config["IAMToken"] = "Bearer " + jwt(claims, CANARIES["IAM token signature"])
    config["IAMRefreshToken"] = CANARIES["IAM refresh token"]
    config_path.write_text(json.dumps(config, indent=2))


def digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() + oct(p.stat().st_mode)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_canaries_never_leak_and_user_files_stay_identical(
    make_workstation, run_suite, pytester, monkeypatch, tmp_path: Path
) -> None:
    # The stand-in echoes the API key on stderr, as a misbehaving CLI or plug-in might.
    ws = make_workstation()
    plant(ws)
    monkeypatch.setenv("IBMCLOUD_API_KEY", CANARIES["API key"])
    standin = ws.bin / "ibmcloud"
    echo = 'echo "debug: api key $IBMCLOUD_API_KEY" >&2\n'
    standin.write_text(standin.read_text().replace("#!/bin/sh\n", "#!/bin/sh\n" + echo, 1))
    before = digest(ws.home)
    bundle = tmp_path / "ticket.tar.gz"
    junit = tmp_path / "junit.xml"
    run = run_suite(*ws.args, "--record", str(bundle), f"--junitxml={junit}", "-rA", "-v")
    assert digest(ws.home) == before

    with tarfile.open(bundle) as archive:
        member = archive.extractfile("manifest.json")
        assert member is not None
        manifest = member.read().decode()
    artifacts = {
        "JSON report": run.report_path.read_text(),
        "HTML report": (pytester.path / "reports" / "health.html").read_text(),
        "JUnit": junit.read_text(),
        "bundle": manifest,
        "captured output": run.result.stdout.str() + run.result.stderr.str(),
    }
    assert "debug: api key <redacted:sha256:" in manifest  # the leak was there to catch
    for where, text in artifacts.items():
        for what, canary in CANARIES.items():
            assert canary not in text, f"the {what} leaked into the {where}"
    assert "jane.doe@example.com" not in manifest  # pseudonymised in bundles

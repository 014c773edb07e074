"""Proven redaction: canary secrets of every kind planted into a live run with --record, then
searched for in every artifact it wrote or printed, plain, base64 and URL-encoded.

The workstation is the healthy test one (tests/testenv.py), its files and its fake IBM Cloud
given a canary in every place a secret lives; the run writes the JSON, ikscheck's HTML, pytest-
html's page, JUnit, a log file and a bundle. Replaying that bundle gives the same statuses: the
redaction keeps what the verdicts need.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote

import yaml

import testenv

#: One canary per kind of secret; every value is unique, so a leak names its kind.
CANARIES = {
    "api key in the environment": testenv.API_KEY,
    "IAM access token signature (CLI config)": "CanaryIamAccessSignature0123456789abcdefABCDEF",
    "IAM refresh token (CLI config)": "canary-iam-refresh-token-0123456789abcdef",
    "OIDC id-token signature (kubeconfig)": "CanaryOidcIdTokenSignature0123456789abcdefXYZ",
    "OIDC refresh token (kubeconfig)": "canary-oidc-refresh-token-0123456789abcdef",
    "client key (kubeconfig)": "canary-client-key-material-0123456789abcdef",
    "bearer token in an HTTP header": "canary-header-bearer-token-0123456789abcdef",
    "cookie": "canary-session-cookie-0123456789abcdef",
    "password in a URL": "canary-proxy-password-0123456789abcdef",
    "token in an API response body": "canary-body-token-0123456789abcdef",
    "token in an escaped JSON string": "canary-escaped-json-token-0123456789abcdef",
}


def forms(secret: str) -> set[str]:
    """How a secret might be written: plain, base64 (both alphabets, padded or not), URL-encoded."""
    raw = secret.encode()
    encoded = {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    return {secret, quote(secret, safe=""), *encoded, *(e.rstrip("=") for e in encoded)}


def with_signature(token: str, signature: str) -> str:
    header, payload, _ = token.split(".")
    return f"{header}.{payload}.{signature}"


def plant(ws: testenv.Sandbox) -> None:
    """A canary in every place of ``ws`` a secret lives, before the run."""
    config_path = ws.home / ".bluemix" / "config.json"
    config = json.loads(config_path.read_text())
    token = config["IAMToken"].removeprefix("Bearer ")
    signed = with_signature(token, CANARIES["IAM access token signature (CLI config)"])
    config["IAMToken"] = f"Bearer {signed}"
    config["IAMRefreshToken"] = CANARIES["IAM refresh token (CLI config)"]
    config_path.write_text(json.dumps(config, indent=2))

    kube_path = ws.home / ".kube" / "config"
    kube = yaml.safe_load(kube_path.read_text())
    provider = kube["users"][0]["user"]["auth-provider"]["config"]
    signature = CANARIES["OIDC id-token signature (kubeconfig)"]
    provider["id-token"] = with_signature(provider["id-token"], signature)
    provider["refresh-token"] = CANARIES["OIDC refresh token (kubeconfig)"]
    key_pem = (
        "-----BEGIN PRIVATE KEY-----\n"
        + base64.b64encode(CANARIES["client key (kubeconfig)"].encode()).decode()
        + "\n-----END PRIVATE KEY-----\n"
    )
    admin = {"client-key-data": base64.b64encode(key_pem.encode()).decode()}
    kube["users"].append({"name": "admin", "user": admin})
    kube_path.write_text(yaml.safe_dump(kube, sort_keys=False))
    kube_path.chmod(0o600)

    cloud = ws.cloud
    cloud.extra_headers = {
        "X-Auth-Token": f"Bearer {CANARIES['bearer token in an HTTP header']}",
        "Set-Cookie": f"session={CANARIES['cookie']}; Secure; HttpOnly",
    }
    doc = cloud.clusters[0]
    doc["token"] = CANARIES["token in an API response body"]
    doc["ingressMessage"] = json.dumps(
        {"access_token": CANARIES["token in an escaped JSON string"]}
    )


def artifacts(root: Path) -> list[Path]:
    return [p for p in sorted(root.rglob("*")) if p.is_file()]


def test_no_canary_reaches_any_artifact_and_the_bundle_replays_the_same(
    make_workstation, run_suite, pytester
) -> None:
    password = CANARIES["password in a URL"]
    ws = make_workstation()
    plant(ws)
    # A proxy whose URL holds a password; loopback bypasses it, as NO_PROXY says.
    pytester_env = {
        "HTTPS_PROXY": f"http://ikscheck:{password}@127.0.0.1:9",
        "NO_PROXY": "127.0.0.1",
    }
    for name, value in pytester_env.items():
        pytester._monkeypatch.setenv(name, value)
    out = pytester.path / "out"
    run = run_suite(
        *ws.args,
        "--record", str(out / "bundle"),
        "--report-html", str(out / "health.html"),
        "--html", str(out / "pytest-html.html"), "--self-contained-html",
        "--junitxml", str(out / "junit.xml"),
        "--log-file", str(out / "run.log"), "--log-file-level", "DEBUG",
        "-o", "log_cli=true", "--log-cli-level", "DEBUG",
    )  # fmt: skip
    assert run.report["summary"]["error"] == 0, run.statuses()
    assert run.status("API-007", cluster=testenv.CLUSTER) == "pass"
    # The flow's tokens, which IAM made during the run: the delegated refresh token, the kube
    # id token, refresh tokens; and the signatures of the access tokens IAM issued.
    made = {
        **{f"IAM-issued token {n}": t for n, t in enumerate(ws.cloud._delegated)},
        **{f"kube id token {n}": t for n, t in enumerate(ws.cloud._id_tokens)},
        **{f"IAM refresh token {n}": t for n, t in enumerate(ws.cloud._refresh)},
        **{
            f"access token signature {n}": t.rsplit(".", 1)[1]
            for n, t in enumerate(ws.cloud._issued)
        },
    }
    assert any(k.startswith("kube id token") for k in made)
    written = [*artifacts(out), run.report_path]
    names = {p.name for p in written}
    assert {"manifest.json", "health.html", "pytest-html.html", "junit.xml", "run.log"} <= names
    printed = "\n".join(run.result.outlines + run.result.errlines)
    leaks = []
    for kind, secret in {**CANARIES, **made}.items():
        for form in forms(secret):
            if form in printed:
                leaks.append(f"{kind} in the terminal output")
            for path in written:
                if form.encode() in path.read_bytes():
                    leaks.append(f"{kind} in {path.relative_to(pytester.path)}")
    assert not leaks, sorted(set(leaks))

    replayed = run_suite("--replay", str(out / "bundle"))
    assert replayed.statuses() == run.statuses()

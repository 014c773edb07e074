"""Shared samples for the redaction tests: sample formats with canary secrets planted in them.

Every planted secret contains ``CANARY``; a redaction test fails if any output still does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jwt
import jwt.utils
import yaml

FORMATS = Path(__file__).parent / "data" / "formats"
KUBECONFIGS = [
    "kubeconfig/2019-cluster-config/kube-config-dal10-mycluster.yml",
    "kubeconfig/merged-cluster-config.yml",
    "kubeconfig/admin-cluster-config.yml",
]
MARKER = re.compile(r"<redacted:sha256:[0-9a-f]{8}>")

CANARY_SIG = "CANARYSIG0123456789abcdefghijklmnopqrstuvwxyzABCDEF"
CANARY_REFRESH = "eyJhbGciOiJydCJ9.CANARYREFRESH0123456789abcdefghij.CANARYRTSIG0123456789abcd"
CANARY_KEY_DATA = "CANARYKEYDATALS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo="
CANARY_APIKEY = "CANARY-apikey-0123456789abcdefghijklmnopqrstuvwxyz"
CANARY_PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEACANARYPEMLINE1abcdefghijklmnopqrstuvwxyz0123456789\n"
    "CANARYPEMLINE2abcdefghijklmnopqrstuvwxyz0123456789+/==\n"
    "-----END RSA PRIVATE KEY-----"
)
CANARIES = ["CANARY"]  # every planted secret contains this; no output may


def read(name: str) -> str:
    return (FORMATS / name).read_text(encoding="utf-8")


def with_canary_signature(token: str) -> str:
    head, payload, _sig = token.split(".")
    return f"{head}.{payload}.{CANARY_SIG}"


def claims_of(token: str) -> dict[str, Any]:
    # PyJWT insists on canonical base64 even for a signature it does not check: drop it.
    head, payload, _sig = token.split(".")
    claims: dict[str, Any] = jwt.decode(f"{head}.{payload}.", options={"verify_signature": False})
    return claims


def make_jwt(header: dict[str, Any], claims: dict[str, Any], signature: str = CANARY_SIG) -> str:
    def seg(obj: dict[str, Any]) -> str:
        return jwt.utils.base64url_encode(json.dumps(obj).encode()).decode()

    return f"{seg(header)}.{seg(claims)}.{signature}"


def assert_no_canary(text: str) -> None:
    for canary in CANARIES:
        assert canary not in text, f"canary {canary!r} leaked:\n{text}"


def jwts_in(text: str) -> list[str]:
    return re.findall(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*", text)


def shape(data: Any) -> Any:
    """Keys and nesting of parsed YAML/JSON, without the values."""
    if isinstance(data, dict):
        return {key: shape(value) for key, value in data.items()}
    if isinstance(data, list):
        return [shape(item) for item in data]
    return None


def canary_kubeconfig(name: str) -> str:
    text = read(name)
    original_id = yaml.safe_load(text)["users"][0]["user"].get("auth-provider")
    if original_id is not None:
        id_token = original_id["config"]["id-token"]
        refresh = original_id["config"]["refresh-token"]
        text = text.replace(id_token, with_canary_signature(id_token))
        text = text.replace(refresh, CANARY_REFRESH)
    else:
        text = text.replace(
            "    client-key: admin-key.pem\n",
            "    client-key: admin-key.pem\n"
            f"    client-key-data: {CANARY_KEY_DATA}\n"
            "    token: CANARY-opaque-bearer-token-0123456789\n"
            "    password: CANARYpw\n",
        )
    return text


def canary_cli_config() -> str:
    text = read("ibmcloud/config.json")
    data = json.loads(text)
    access = data["IAMToken"].removeprefix("Bearer ")
    text = text.replace(access, with_canary_signature(access))
    text = text.replace(data["IAMRefreshToken"], CANARY_REFRESH)
    return text.replace('"SDKVersion"', f'"APIKey": "{CANARY_APIKEY}",\n  "SDKVersion"')

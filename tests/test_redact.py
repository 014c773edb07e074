"""Tests for ikscheck.redact: canary secrets planted in real sample formats must not survive."""

from __future__ import annotations

import json
import random

import pytest
import yaml

from ikscheck.redact import Redactor, fingerprint
from redaction_samples import (
    CANARY_APIKEY,
    CANARY_KEY_DATA,
    CANARY_PEM,
    CANARY_REFRESH,
    KUBECONFIGS,
    MARKER,
    assert_no_canary,
    canary_cli_config,
    canary_kubeconfig,
    claims_of,
    read,
    shape,
    with_canary_signature,
)

# -- secret values ---------------------------------------------------------------------------


def test_non_jwt_token_becomes_fingerprint() -> None:
    redactor = Redactor()
    value = "opaque-delegated-refresh-token"
    assert redactor.redact_value(value) == fingerprint(value)
    assert redactor.redact_value("Bearer opaque-token-value") == "Bearer " + fingerprint(
        "opaque-token-value"
    )
    assert redactor.redact_value("") == ""
    marker = fingerprint(value)
    assert redactor.redact_value(marker) == marker


# -- sample formats with canaries ------------------------------------------------------------


@pytest.mark.parametrize("name", KUBECONFIGS)
def test_kubeconfig_canaries_removed_layout_kept(name: str) -> None:
    text = canary_kubeconfig(name)
    assert "CANARY" in text
    out = Redactor().redact_text(text, kind="yaml")
    assert_no_canary(out)
    assert out.count("\n") == text.count("\n")
    assert shape(yaml.safe_load(out)) == shape(yaml.safe_load(text))
    # Only values moved: every other line is byte for byte what it was.
    for before, after in zip(text.splitlines(), out.splitlines(), strict=True):
        if before != after:
            key = before.split(":", 1)[0]
            assert after.startswith(key + ":"), (before, after)


def test_kubeconfig_id_token_claims_survive() -> None:
    name = "kubeconfig/merged-cluster-config.yml"
    text = canary_kubeconfig(name)
    original = yaml.safe_load(text)["users"][0]["user"]["auth-provider"]["config"]
    out = yaml.safe_load(Redactor().redact_text(text, kind="yaml"))
    config = out["users"][0]["user"]["auth-provider"]["config"]
    before, after = claims_of(original["id-token"]), claims_of(config["id-token"])
    for claim in ("exp", "iat", "iss", "aud", "scope"):
        assert after[claim] == before[claim]
    assert "email" not in after
    assert config["id-token"].endswith(".redacted")
    assert config["refresh-token"] == "eyJhbGciOiJydCJ9.e30.redacted"
    assert config["client-secret"] == fingerprint("kube")
    assert config["idp-issuer-url"] == "https://iam.cloud.ibm.com/identity"


def test_admin_kubeconfig_key_data_fingerprinted_paths_kept() -> None:
    text = canary_kubeconfig("kubeconfig/admin-cluster-config.yml")
    out = yaml.safe_load(Redactor().redact_text(text, kind="yaml"))
    user = out["users"][0]["user"]
    assert user["client-key-data"] == fingerprint(CANARY_KEY_DATA)
    assert user["token"] == fingerprint("CANARY-opaque-bearer-token-0123456789")
    assert user["password"] == fingerprint("CANARYpw")
    assert user["client-key"] == "admin-key.pem"
    assert user["client-certificate"] == "admin.pem"


def test_kubeconfig_as_unknown_text_still_redacted() -> None:
    # `kubectl config view --raw` output arrives as plain command output.
    for name in KUBECONFIGS:
        assert_no_canary(Redactor().redact_text(canary_kubeconfig(name)))


def test_broken_yaml_falls_back_to_regex_passes() -> None:
    text = canary_kubeconfig("kubeconfig/admin-cluster-config.yml") + "  : [unclosed\n\t- x: {\n"
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(text)
    out = Redactor().redact_text(text, kind="yaml")
    assert_no_canary(out)
    assert out.count("\n") == text.count("\n")


@pytest.mark.parametrize("kind", ["json", ""])
def test_cli_config_canaries_removed(kind: str) -> None:
    text = canary_cli_config()
    out = Redactor().redact_text(text, kind=kind)
    assert_no_canary(out)
    assert out.count("\n") == text.count("\n")
    before, after = json.loads(text), json.loads(out)
    assert shape(after) == shape(before)
    assert after["IAMToken"].startswith("Bearer eyJ")
    assert after["IAMToken"].endswith(".redacted")
    token = after["IAMToken"].removeprefix("Bearer ")
    assert claims_of(token)["exp"] == claims_of(before["IAMToken"].removeprefix("Bearer "))["exp"]
    assert after["APIKey"] == fingerprint(CANARY_APIKEY)
    assert after["Account"] == before["Account"]  # not pseudonymised unless asked


def test_cli_config_with_ansi_colours() -> None:
    text = canary_cli_config().replace('"APIKey"', '"\x1b[36mAPIKey\x1b[0m"')
    assert_no_canary(Redactor().redact_text(text))


@pytest.mark.parametrize(
    "name", ["iam/token-apikey.json", "iam/token-kube-exchange.json", "iam/token-delegated.json"]
)
def test_iam_token_responses(name: str) -> None:
    data = json.loads(read(name))
    for field in ("access_token", "id_token"):
        if field in data:
            data[field] = with_canary_signature(data[field])
    if data.get("refresh_token", "not_supported") != "not_supported":
        data["refresh_token"] = CANARY_REFRESH
    if "delegated_refresh_token" in data:
        data["delegated_refresh_token"] = "CANARY-delegated-refresh-token"
    text = json.dumps(data, indent=2)
    out = Redactor().redact_text(text, kind="json")
    assert_no_canary(out)
    after = json.loads(out)
    assert after.keys() == data.keys()
    for field in ("token_type", "expires_in", "expiration", "scope"):
        assert after.get(field) == data.get(field)
    if "access_token" in data:
        assert claims_of(after["access_token"])["iss"] == claims_of(data["access_token"])["iss"]
    # Minified, as the HTTP body actually arrives:
    assert_no_canary(Redactor().redact_text(json.dumps(data)))


def test_command_output_echoing_known_secret() -> None:
    redactor = Redactor()
    redactor.add_secret(CANARY_APIKEY)
    redactor.add_secret("abc")  # too short to remember
    out = redactor.redact_text(
        f"$ ibmcloud login --apikey {CANARY_APIKEY}\nFAILED\nAPI key '{CANARY_APIKEY}' is invalid\n"
        "abc stays"
    )
    assert_no_canary(out)
    assert out.count(fingerprint(CANARY_APIKEY)) == 2
    assert out.endswith("abc stays")


def test_secret_seen_in_config_is_scrubbed_from_later_output() -> None:
    redactor = Redactor()
    redactor.redact_text(canary_cli_config(), kind="json")
    out = redactor.redact_text(f"curl: using key {CANARY_APIKEY} (from env)")
    assert out == f"curl: using key {fingerprint(CANARY_APIKEY)} (from env)"


def test_short_values_are_redacted_under_their_key_but_not_hunted_elsewhere() -> None:
    # IBM's OIDC client secret is the public "kube": scrubbing every "kube" would mangle the
    # client-id beside it and any word of that name, and protect nothing.
    redactor = Redactor()
    redactor.add_secret("kube")
    out = redactor.redact_text(
        "client-id: kube\nclient-secret: kube\nfile: kube-config.yml\n", "yaml"
    )
    assert out == f"client-id: kube\nclient-secret: {fingerprint('kube')}\nfile: kube-config.yml\n"


def test_a_secret_of_eight_characters_is_hunted_as_a_whole_word() -> None:
    redactor = Redactor()
    redactor.add_secret("s3cr3t-8")
    out = redactor.redact_text("echo s3cr3t-8\nnot s3cr3t-89\n")
    assert out == f"echo {fingerprint('s3cr3t-8')}\nnot s3cr3t-89\n"


def test_http_headers_and_cookies_in_text() -> None:
    access = json.loads(read("iam/token-apikey.json"))["access_token"]
    text = (
        "> GET /v1/clusters HTTP/1.1\n"
        f"> Authorization: Bearer {with_canary_signature(access)}\n"
        "> Proxy-Authorization: Basic Q0FOQVJZOnByb3h5LXBhc3N3b3Jk-CANARYBASIC\n"
        "> Cookie: session=CANARYCOOKIE1; csrf=CANARYCOOKIE2\n"
        "< Set-Cookie: id=CANARYSETCOOKIE; Path=/; HttpOnly\n"
        "< X-Auth-Token: CANARY-x-auth-token-value\n"
        '{"headers": {"authorization": "Basic CANARYJSONBASIC"}}\n'
        "< Content-Type: application/json\n"
    )
    out = Redactor().redact_text(text)
    assert_no_canary(out)
    assert "> Authorization: Bearer eyJ" in out
    assert "< Content-Type: application/json" in out
    assert out.count("\n") == text.count("\n")


def test_redact_headers() -> None:
    access = json.loads(read("iam/token-apikey.json"))["access_token"]
    headers = {
        "Authorization": f"Bearer {with_canary_signature(access)}",
        "Cookie": "a=CANARY1; b=CANARY2",
        "set-cookie": "s=CANARY3",
        "X-Request-ID": "req-123",
        "X-Debug": f"echo {with_canary_signature(access)}",
    }
    out = Redactor().redact_headers(headers)
    assert out.keys() == headers.keys()
    assert_no_canary(json.dumps(out))
    assert out["Authorization"].startswith("Bearer eyJ")
    assert out["X-Request-ID"] == "req-123"
    assert out["Cookie"] == fingerprint("a=CANARY1; b=CANARY2")


def test_pem_private_key_blocks() -> None:
    text = f"Generated key:\n{CANARY_PEM}\ndone\n-----BEGIN CERTIFICATE-----\nMIIB\n"
    out = Redactor().redact_text(text)
    assert_no_canary(out)
    assert fingerprint(CANARY_PEM) in out
    assert out.count("\n") == text.count("\n")
    assert "-----BEGIN CERTIFICATE-----\nMIIB" in out  # certificates are public
    escaped = json.dumps({"private_key": CANARY_PEM, "n": 1})
    out = Redactor().redact_text(escaped, kind="json")
    assert_no_canary(out)
    assert json.loads(out)["n"] == 1
    truncated = "-----BEGIN PRIVATE KEY-----\nCANARYTRUNCATED0123456789abcdef\nCANARYMORE"
    assert_no_canary(Redactor().redact_text(truncated))


def test_pem_in_yaml_block_scalar() -> None:
    body = "\n".join("    " + line for line in CANARY_PEM.splitlines())
    text = f"apiVersion: v1\ndata:\n  key: |\n{body}\n  other: x\n"
    for kind in ("yaml", ""):
        out = Redactor().redact_text(text, kind=kind)
        assert_no_canary(out)
        assert out.count("\n") == text.count("\n")
        assert yaml.safe_load(out)["data"]["other"] == "x"


def test_yaml_secret_block_scalar_anchor_and_alias() -> None:
    text = (
        "users:\n"
        "- name: a\n"
        "  user:\n"
        "    token: &tok CANARY-anchored-token-0123456789\n"
        "    password: |\n"
        "      CANARYblock1\n"
        "      CANARYblock2\n"
        '    client-secret: "CANARY\\u0041-quoted-secret"\n'
        "- name: b\n"
        "  user:\n"
        "    token: *tok\n"
    )
    out = Redactor().redact_text(text, kind="yaml")
    assert_no_canary(out)
    assert out.count("\n") == text.count("\n")
    parsed = yaml.safe_load(out)
    assert parsed["users"][1]["user"]["token"] == parsed["users"][0]["user"]["token"]
    assert MARKER.fullmatch(parsed["users"][0]["user"]["password"])


# -- idempotence ------------------------------------------------------------------------------


def all_canary_samples() -> list[tuple[str, str]]:
    samples = [(canary_kubeconfig(name), "yaml") for name in KUBECONFIGS]
    samples += [(canary_cli_config(), "json"), (canary_cli_config(), "")]
    samples += [(read(f"iam/{n}.json"), "json") for n in ("token-apikey", "token-kube-exchange")]
    samples += [(f"key:\n{CANARY_PEM}\nAuthorization: Basic CANARYBASIC", "")]
    return samples


@pytest.mark.parametrize("pseudonymise", [False, True])
def test_idempotent_on_samples(pseudonymise: bool) -> None:
    for text, kind in all_canary_samples():
        redactor = Redactor(pseudonymise=pseudonymise)
        once = redactor.redact_text(text, kind=kind)
        assert redactor.redact_text(once, kind=kind) == once
        # A fresh Redactor (re-recording a bundle) agrees too.
        assert Redactor(pseudonymise=pseudonymise).redact_text(once, kind=kind) == once


# -- robustness -------------------------------------------------------------------------------

PIECES = [
    "token: ", "password=", '"access_token": "', "Authorization: Bearer ", "Cookie: a=",
    "client-key-data: ", "IAMToken", "eyJ", "eyJhbGciOiJydCJ9", ".", "..", "e30", "redacted",
    "CANARYx", "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----",
    "jane.doe@example.com", "@", "IBMid-55AB", "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    "<redacted:sha256:0123abcd>", "\n", "\r\n", "  ", "\t", '"', "'", ":", "=", ",", "{", "}",
    "[", "]", "- ", "|", "&a ", "*a", "#", "\\", "\x00", "\x1b[31m", "\udc80", "é", "kube",
    "Basic ", "user-0123abcd@example.invalid", "ServiceId-0c4f2b5e-1111-2222-3333-444455556666",
]  # fmt: skip


def random_text(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(0, 40)):
        if rng.random() < 0.2:
            parts.append("".join(chr(rng.randint(0, 0x2FF)) for _ in range(rng.randint(1, 8))))
        else:
            parts.append(rng.choice(PIECES))
    return "".join(parts)


@pytest.mark.parametrize("seed", range(20))
def test_random_text_never_raises_and_is_idempotent(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(50):
        text = random_text(rng)
        for kind in ("", "yaml", "json"):
            redactor = Redactor(pseudonymise=rng.random() < 0.5)
            redactor.add_secret(rng.choice(PIECES) * rng.randint(1, 3))
            once = redactor.redact_text(text, kind=kind)
            assert isinstance(once, str)
            assert redactor.redact_text(once, kind=kind) == once, repr(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00\x01\x02\xff\ufffd",
        "key: [unclosed\n  - {",
        "[" * 100_000,
        "a: &a [*a, *a]\n",
        "a: &a [1]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nd: [*c, *c, *c, *c]\n",
        "eyJ" + "A" * 10_000 + "." * 3,
        "x" * 1_100_000,  # past the structured passes' size limit
        "-----BEGIN PRIVATE KEY-----" * 1000,
        "token: " * 10_000,
        "\udc80\udcff token: \udc80secret",
    ],
)
def test_garbage_never_raises(text: str) -> None:
    for kind in ("", "yaml", "json"):
        for pseudonymise in (False, True):
            out = Redactor(pseudonymise=pseudonymise).redact_text(text, kind=kind)
            assert isinstance(out, str)


def test_long_base64_run_is_redacted_in_linear_time() -> None:
    # A megabyte-long run invites quadratic backtracking: a regression hangs here (no timing
    # is asserted), a linear pass redacts the value and its echo on the next line.
    blob = "QUFB" * 250_000 + "@x"
    out = Redactor(pseudonymise=True).redact_text(f"client-key-data: {blob}\n{blob}")
    assert "QUFBQUFB" not in out
    head, echo = out.split("\n")
    assert head.startswith("client-key-data: <redacted:sha256:")
    assert echo.startswith("<redacted:sha256:")


# -- gaps mutation testing found (docs/mutation.md) ----------------------------------------------


@pytest.mark.parametrize("kind", ["", "yaml"])
def test_a_value_after_a_yaml_anchor_is_redacted_and_the_anchor_kept(kind: str) -> None:
    # Plain text, and YAML that does not parse (so only the keyed pass sees it).
    text = "token: &a s3cr3t-value-1\n" + ("x: [\n" if kind else "")
    out = Redactor().redact_text(text, kind)
    assert "s3cr3t-value-1" not in out
    assert out.startswith("token: &a <redacted:sha256:")


def test_outside_yaml_a_value_starting_like_a_tag_or_alias_is_redacted_whole() -> None:
    out = Redactor().redact_text("password: !Passw0rd-123\nsecret: *Passw0rd-456")
    assert "Passw0rd" not in out


def test_a_multi_word_value_is_redacted_whole() -> None:
    assert "horse" not in Redactor().redact_text("password: correct horse battery")


def test_a_shell_assignment_keeps_what_follows_the_value() -> None:
    out = Redactor().redact_text("export IC_API_KEY=abcdefghijkl more")
    assert out.startswith("export IC_API_KEY=<redacted:sha256:")
    assert out.endswith(" more")
    assert "abcdefghijkl" not in out


def test_remembered_secrets_stay_replaced_as_more_are_learnt() -> None:
    redactor = Redactor()
    first, second = "first-secret-0123456", "second-secret-0123456"
    redactor.add_secret(first)
    redactor.add_secret(second)
    assert first not in redactor.redact_text(f"a {first} b")
    assert second not in redactor.redact_text(f"only {second}")
    redactor.add_secret("third-secret-0123456")
    assert first not in redactor.redact_text(f"a {first} b")  # the pattern cache is rebuilt
    both = redactor.redact_text(f"{first} and {second}")
    assert first not in both and second not in both


def test_a_remembered_secret_is_also_found_json_escaped() -> None:
    redactor = Redactor()
    redactor.add_secret('pa"ssword-123')
    assert "ssword-123" not in redactor.redact_text('{"echo": "pa\\"ssword-123"}')


def test_a_bearer_credential_is_also_scrubbed_without_its_scheme() -> None:
    redactor = Redactor()
    redactor.redact_value("Bearer opaque-token-123456")
    assert "opaque-token-123456" not in redactor.redact_text("echoed: opaque-token-123456")


def test_a_secret_named_header_outside_the_header_list_is_fingerprinted() -> None:
    found = Redactor().redact_headers({"X-Auth-Token": "opaque-value-123", "X-Count": 5})  # type: ignore[dict-item]
    assert found["X-Auth-Token"].startswith("<redacted:sha256:")
    assert found["X-Count"] == "5"


def test_nested_json_values_under_a_secret_key_are_redacted_without_a_kind() -> None:
    for text in (
        '{"token": {"value": "s3cr3t-nested-1"}}',
        '\n{"token": {"value": "s3cr3t-nested-1"}}',
        '[{"items": [{"token": "s3cr3t-nested-1"}]}]',
    ):
        assert "s3cr3t-nested-1" not in Redactor().redact_text(text), text


def test_bytes_and_non_text_are_redacted_as_text() -> None:
    out = Redactor().redact_text(b"password: hunter22\xff")  # type: ignore[arg-type]
    assert isinstance(out, str) and "hunter22" not in out
    assert Redactor().redact_text(12345678) == "12345678"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "users:\n- name: jane\n  user:\n    token: 1234567890\n",  # structured pass
        "users: [\n  token: 1234567890 ]\n  broken: [\n",  # does not parse: keyed pass
    ],
    ids=["parsed", "unparsed"],
)
def test_a_secret_written_as_a_yaml_number_stays_a_number(text: str) -> None:
    redactor = Redactor()
    redacted = redactor.redact_text(text, "yaml")
    assert "1234567890" not in redacted
    assert "token: 0xc775e7b7" in redacted  # YAML reads 0x... as an integer
    assert redactor.redact_text(redacted, "yaml") == redacted
    if "broken" not in text:
        assert yaml.safe_load(redacted)["users"][0]["user"]["token"] == 0xC775E7B7

"""Tests for ikscheck.jsonschemas and the shipped schemas of IBM Cloud and Kubernetes API answers.

The samples in tests/data/formats are the real shapes (invented values). Besides "each sample
holds", the cases are generated from them: every required field the schema reaches in a sample
is removed once, every typed value is given another JSON type once, and each time validation
must fail naming the JSON path.
"""

from __future__ import annotations

import copy
import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing._core import Resolver
from referencing.exceptions import Unresolvable

from ikscheck import jsonschemas
from ikscheck.jsonschemas import problems

FORMATS = Path(__file__).parent / "data" / "formats"
SCHEMAS = Path(jsonschemas.__file__).parent / "schemas"
BASE = "https://github.com/ikscheck/ikscheck/schemas/"
API_SCHEMAS = [
    "defs",
    "iam-error",
    "iam-token",
    "iks-cluster",
    "iks-clusters",
    "iks-error",
    "iks-regions",
    "iks-versions",
    "k8s-version",
    "oauth-authorization-server",
]

# Which schema each sample answers to (glob under tests/data/formats -> schema name).
SAMPLE_SCHEMAS = [
    ("iam/token-*.json", "iam-token"),
    ("iam/error-*.json", "iam-error"),
    ("iks/cluster.json", "iks-cluster"),
    ("iks/cluster-*.json", "iks-cluster"),
    ("iks/clusters.json", "iks-clusters"),
    ("iks/regions.json", "iks-regions"),
    ("iks/versions.json", "iks-versions"),
    ("iks/error-*.json", "iks-error"),
    ("kubernetes/version-*.json", "k8s-version"),
    ("openshift/oauth-authorization-server.json", "oauth-authorization-server"),
]
SAMPLES = [
    (path.relative_to(FORMATS).as_posix(), name)
    for pattern, name in SAMPLE_SCHEMAS
    for path in sorted(FORMATS.glob(pattern))
]


def load(sample: str) -> Any:
    return json.loads((FORMATS / sample).read_text(encoding="utf-8"))


def json_path(path: list[str | int]) -> str:
    """The path as jsonschema's ``json_path`` spells it: ``$.kubernetes[0].major``."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def with_value(document: Any, path: list[str | int], value: Any) -> Any:
    changed = copy.deepcopy(document)
    *parents, last = path
    target = changed
    for step in parents:
        target = target[step]
    target[last] = value
    return changed


def without(document: Any, path: list[str | int], field: str) -> Any:
    changed = copy.deepcopy(document)
    target = changed
    for step in path:
        target = target[step]
    del target[field]
    return changed


def retyped(value: Any) -> Any:
    """The same value in another JSON type."""
    if isinstance(value, bool):
        return "x"
    if isinstance(value, str):
        return 12345
    if isinstance(value, int | float):
        return "12345"
    return "x"  # array, object, null


# -- walking a schema along a sample ---------------------------------------------------------


def applied(
    node: Any, value: Any, path: list[str | int], resolver: Resolver[Any]
) -> Iterator[tuple[dict[str, Any], Any, list[str | int]]]:
    """Every (subschema, value, path) the validator applies to ``value``: through $ref (across
    files, by the module's registry), allOf, the if/then/else branch the value takes,
    properties present in the value and array items."""
    if not isinstance(node, dict):
        return
    yield node, value, path
    if "$ref" in node:
        resolved = resolver.lookup(node["$ref"])
        yield from applied(resolved.contents, value, path, resolved.resolver)
    for sub in node.get("allOf", []):
        yield from applied(sub, value, path, resolver)
    if "if" in node:
        taken = Draft202012Validator(node["if"], registry=jsonschemas._registry()).is_valid(value)
        branch = node.get("then" if taken else "else")
        yield from applied(branch, value, path, resolver)
    if isinstance(value, dict):
        for key, sub in node.get("properties", {}).items():
            if key in value:
                yield from applied(sub, value[key], [*path, key], resolver)
    if isinstance(value, list) and "items" in node:
        for index, item in enumerate(value):
            yield from applied(node["items"], item, [*path, index], resolver)


def walk(sample: str, name: str) -> Iterator[tuple[dict[str, Any], Any, list[str | int]]]:
    resolver = jsonschemas._registry().resolver(base_uri=jsonschemas.schema(name)["$id"])
    return applied(jsonschemas.schema(name), load(sample), [], resolver)


def required_cases() -> Iterator[Any]:
    for sample, name in SAMPLES:
        for node, value, path in walk(sample, name):
            if isinstance(value, dict):
                for field in node.get("required", []):
                    if field in value:
                        yield pytest.param(
                            sample, name, path, field, id=f"{sample}:{json_path([*path, field])}"
                        )


def type_cases() -> Iterator[Any]:
    for sample, name in SAMPLES:
        seen: set[str] = set()
        for node, _value, path in walk(sample, name):
            where = json_path(path)
            if path and "type" in node and where not in seen:
                seen.add(where)
                yield pytest.param(sample, name, path, id=f"{sample}:{where}")


REQUIRED_CASES = list(required_cases())
TYPE_CASES = list(type_cases())


# -- the shipped schemas ---------------------------------------------------------------------


def test_names_lists_every_shipped_schema() -> None:
    on_disk = sorted(p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json"))
    assert list(jsonschemas.names()) == on_disk
    assert set(API_SCHEMAS) <= set(on_disk)


@pytest.mark.parametrize("name", jsonschemas.names())
def test_schema_is_valid_draft_2020_12_with_its_own_id(name: str) -> None:
    document = jsonschemas.schema(name)
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == f"{BASE}{name}.schema.json"
    assert document["title"].strip()
    assert document["description"].strip()


def test_ids_are_unique() -> None:
    ids = [jsonschemas.schema(name)["$id"] for name in jsonschemas.names()]
    assert len(ids) == len(set(ids)) == len(jsonschemas.names())


def subschemas(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for child in node.values():
            yield from subschemas(child)
    elif isinstance(node, list):
        for child in node:
            yield from subschemas(child)


@pytest.mark.parametrize("name", API_SCHEMAS)
def test_api_schemas_allow_extra_properties_and_no_date_time_format(name: str) -> None:
    nodes = list(subschemas(jsonschemas.schema(name)))
    assert all(node.get("additionalProperties", True) is not False for node in nodes)
    assert all(node.get("format") != "date-time" for node in nodes)


@pytest.mark.parametrize("name", jsonschemas.names())
def test_every_ref_resolves_in_the_registry(name: str) -> None:
    document = jsonschemas.schema(name)
    resolver = jsonschemas._registry().resolver(base_uri=document["$id"])
    refs = [node["$ref"] for node in subschemas(document) if isinstance(node.get("$ref"), str)]
    for ref in refs:
        assert isinstance(resolver.lookup(ref).contents, dict), ref


def test_shared_definitions_are_reached_by_id_and_pointer() -> None:
    cluster = jsonschemas.schema("iks-cluster")["properties"]
    assert cluster["createdDate"]["$ref"] == f"{BASE}defs.schema.json#/$defs/iks-date"
    assert cluster["vlans"]["$ref"] == f"{BASE}defs.schema.json#/$defs/nullable-list"
    items = jsonschemas.schema("iks-clusters")["items"]
    assert items == {"$ref": f"{BASE}iks-cluster.schema.json"}


# -- the samples hold ------------------------------------------------------------------------


def test_every_sample_pattern_finds_samples() -> None:
    for pattern, _ in SAMPLE_SCHEMAS:
        assert list(FORMATS.glob(pattern)), pattern
    assert {
        "iam/token-delegated.json",
        "iam/error-BXNIM0408E.json",
        "iks/cluster-openshift.json",
        "kubernetes/version-2017.json",
    } <= {sample for sample, _ in SAMPLES}


@pytest.mark.parametrize(("sample", "name"), SAMPLES, ids=[s for s, _ in SAMPLES])
def test_sample_holds(sample: str, name: str) -> None:
    assert problems(load(sample), name) == []


# -- generated mutations ---------------------------------------------------------------------


def test_mutations_were_generated() -> None:
    ids = {case.id for case in REQUIRED_CASES}
    assert "iks/cluster.json:$.state" in ids
    assert "iks/clusters.json:$[0].serverURL" in ids
    assert "iks/versions.json:$.openshift[0].default" in ids
    assert "iam/token-apikey.json:$.expiration" in ids
    assert "kubernetes/version-2017.json:$.gitVersion" in ids
    types = {case.id for case in TYPE_CASES}
    assert "iks/cluster.json:$.workerCount" in types
    assert "iks/cluster-openshift.json:$.vlans" in types
    assert "iam/error-BXNIM0408E.json:$.context.requestId" in types
    assert "iks/regions.json:$.regions[2].freeEnabled" in types
    assert len(REQUIRED_CASES) > 60
    assert len(TYPE_CASES) > 150


@pytest.mark.parametrize(("sample", "name", "path", "field"), REQUIRED_CASES)
def test_removing_a_required_field_fails(
    sample: str, name: str, path: list[str | int], field: str
) -> None:
    lines = problems(without(load(sample), path, field), name, limit=20)
    assert f"{json_path(path)}: '{field}' is a required property" in lines


@pytest.mark.parametrize(("sample", "name", "path"), TYPE_CASES)
def test_changing_a_typed_value_fails(sample: str, name: str, path: list[str | int]) -> None:
    document = load(sample)
    value = document
    for step in path:
        value = value[step]
    lines = problems(with_value(document, path, retyped(value)), name, limit=20)
    here = [line for line in lines if line.startswith(f"{json_path(path)}: ")]
    assert here, lines
    assert "is not of type" in here[0]


# -- the shapes real answers take ------------------------------------------------------------


@pytest.mark.parametrize("end", ["", "2025-02-15T00:00:00+0000"])
def test_end_of_service_empty_or_iks_date_holds(end: str) -> None:
    document = with_value(load("iks/versions.json"), ["kubernetes", 0, "end_of_service"], end)
    assert problems(document, "iks-versions") == []


@pytest.mark.parametrize("end", ["2025-02-15", "2025-02-15T00:00:00Z", "soon"])
def test_end_of_service_other_dates_fail(end: str) -> None:
    document = with_value(load("iks/versions.json"), ["kubernetes", 0, "end_of_service"], end)
    [line] = problems(document, "iks-versions")
    assert line.startswith(f"$.kubernetes[0].end_of_service: '{end}' does not match ")


def test_versions_before_openshift_hold() -> None:
    document = load("iks/versions.json")
    del document["openshift"]
    assert problems(document, "iks-versions") == []


@pytest.mark.parametrize("field", ["vlans", "worker_vlans", "addons"])
@pytest.mark.parametrize("value", [None, [], [{"id": "2234945"}]], ids=["null", "empty", "one"])
def test_nullable_lists_hold_as_null_or_list(field: str, value: Any) -> None:
    document = with_value(load("iks/cluster.json"), [field], value)
    assert problems(document, "iks-cluster") == []


@pytest.mark.parametrize("version", ["1.31.4_1530", "4.16.30_1544_openshift", "1.10.1_1508"])
def test_master_kube_versions_hold(version: str) -> None:
    document = with_value(load("iks/cluster.json"), ["masterKubeVersion"], version)
    assert problems(document, "iks-cluster") == []


@pytest.mark.parametrize("version", ["1.31.4", "v1.31.4_1530", "1.31_1530", "4.16.30_openshift"])
def test_other_master_kube_versions_fail(version: str) -> None:
    document = with_value(load("iks/cluster.json"), ["masterKubeVersion"], version)
    [line] = problems(document, "iks-cluster")
    assert line.startswith(f"$.masterKubeVersion: '{version}' does not match ")


@pytest.mark.parametrize("field", ["serverURL", "publicServiceEndpointURL"])
def test_endpoint_urls_may_be_empty_but_not_other_text(field: str) -> None:
    cluster = load("iks/cluster.json")
    assert problems(with_value(cluster, [field], ""), "iks-cluster") == []
    [line] = problems(with_value(cluster, [field], "c7.us-south"), "iks-cluster")
    assert line.startswith(f"$.{field}: 'c7.us-south' does not match ")


@pytest.mark.parametrize("minor", ["7+", "31", "27+"])
def test_kubernetes_minor_may_end_in_plus(minor: str) -> None:
    document = with_value(load("kubernetes/version-iks.json"), ["minor"], minor)
    assert problems(document, "k8s-version") == []


def test_kubernetes_minor_is_a_string_not_a_number() -> None:
    document = with_value(load("kubernetes/version-iks.json"), ["minor"], 31)
    assert problems(document, "k8s-version") == ["$.minor: 31 is not of type 'string'"]


EXTRA_CASES: list[tuple[str, str, list[str | int]]] = [
    ("iks/cluster.json", "iks-cluster", []),
    ("iks/clusters.json", "iks-clusters", [0]),
    ("iks/versions.json", "iks-versions", ["kubernetes", 1]),
    ("iks/regions.json", "iks-regions", ["regions", 0]),
    ("iam/token-kube-exchange.json", "iam-token", []),
    ("iam/token-delegated.json", "iam-token", []),
    ("iam/error-BXNIM0415E.json", "iam-error", ["context"]),
    ("iks/error-G0004.json", "iks-error", []),
    ("kubernetes/version-2017.json", "k8s-version", []),
]


@pytest.mark.parametrize(
    ("sample", "name", "path"), EXTRA_CASES, ids=[f"{s}:{json_path(p)}" for s, _, p in EXTRA_CASES]
)
def test_unknown_extra_properties_hold(sample: str, name: str, path: list[str | int]) -> None:
    document = load(sample)
    target = document
    for step in path:
        target = target[step]
    target["podSubnets"] = [{"cidr": "172.30.0.0/16"}]
    target["addedByALaterRelease"] = "yes"
    target["somethingNew"] = None
    assert problems(document, name) == []


# -- IAM token answers -----------------------------------------------------------------------


def test_delegated_refresh_token_answer_needs_nothing_else() -> None:
    assert problems({"delegated_refresh_token": "opaque"}, "iam-token") == []


def test_token_answer_without_any_token_fails_on_the_token_fields() -> None:
    assert problems({"scope": "ibm openid"}, "iam-token", limit=10) == [
        "$: 'access_token' is a required property",
        "$: 'token_type' is a required property",
        "$: 'expires_in' is a required property",
        "$: 'expiration' is a required property",
    ]


def test_delegated_answer_still_types_its_token_fields() -> None:
    document = {"delegated_refresh_token": "opaque", "expiration": "tomorrow"}
    assert problems(document, "iam-token") == ["$.expiration: 'tomorrow' is not of type 'integer'"]


# -- $ref across files and the registry ------------------------------------------------------


def test_list_items_are_held_to_the_cluster_schema() -> None:
    clusters = load("iks/clusters.json")
    del clusters[0]["state"]
    assert problems(clusters, "iks-clusters") == ["$[0]: 'state' is a required property"]


def test_list_items_use_shared_definitions_two_files_away() -> None:
    clusters = with_value(load("iks/clusters.json"), [0, "createdDate"], "2026-01-05")
    [line] = problems(clusters, "iks-clusters")
    assert line.startswith("$[0].createdDate: '2026-01-05' does not match ")


def test_empty_cluster_list_holds_and_a_non_list_fails() -> None:
    assert problems([], "iks-clusters") == []
    assert problems({"clusters": []}, "iks-clusters") == [
        "$: {'clusters': []} is not of type 'array'"
    ]


def test_ref_to_an_unknown_uri_raises_and_never_fetches(monkeypatch: pytest.MonkeyPatch) -> None:
    lookups: list[object] = []

    def no_network(*args: object, **kwargs: object) -> None:
        lookups.append(args)
        raise AssertionError("the registry went to the network")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    validator = Draft202012Validator(
        {"$ref": "https://example.invalid/x.json"}, registry=jsonschemas._registry()
    )
    with pytest.raises(Unresolvable) as raised:
        validator.validate({})
    assert str(raised.value) == "Unresolvable: https://example.invalid/x.json"
    assert lookups == []


def test_registry_holds_every_shipped_schema_by_id() -> None:
    registry = jsonschemas._registry()
    for name in jsonschemas.names():
        document = jsonschemas.schema(name)
        assert registry.contents(document["$id"]) == document


# -- the existing documents ------------------------------------------------------------------


def test_bundle_problem_names_path_and_rule() -> None:
    assert problems({"schema_version": "1"}, "bundle")[0] == "$: 'tool' is a required property"


def test_problems_are_limited() -> None:
    assert len(problems({}, "iks-cluster", limit=2)) == 2
    assert len(problems({}, "iks-cluster", limit=20)) == 8


# -- the OpenShift OAuth discovery document --------------------------------------------------

OAUTH = "openshift/oauth-authorization-server.json"


def test_oauth_discovery_needs_issuer_and_token_endpoint_strings() -> None:
    sample = load(OAUTH)
    assert problems(sample, "oauth-authorization-server") == []
    for field in ("issuer", "token_endpoint"):
        assert problems(without(sample, [], field), "oauth-authorization-server") == [
            f"$: '{field}' is a required property"
        ]
        assert problems(with_value(sample, [field], 12345), "oauth-authorization-server") == [
            f"$.{field}: 12345 is not of type 'string'"
        ]
        assert problems(with_value(sample, [field], ""), "oauth-authorization-server") != []


def test_oauth_discovery_allows_extra_properties_and_needs_nothing_else() -> None:
    minimal = {"issuer": "https://h", "token_endpoint": "https://h/oauth/token"}
    assert problems(minimal, "oauth-authorization-server") == []
    assert problems({**minimal, "new_field": [1]}, "oauth-authorization-server") == []
    assert problems(["issuer"], "oauth-authorization-server") != []


# -- the compiled validator: a fast "holds", never a verdict of its own ----------------------


def shipped_patterns() -> set[str]:
    found: set[str] = set()
    for name in jsonschemas.names():
        for node in subschemas(jsonschemas.schema(name)):
            if isinstance(node.get("pattern"), str):
                found.add(node["pattern"])
            found.update(node.get("patternProperties", {}))
    return found


ENDPOINT_URL = jsonschemas.schema("defs")["$defs"]["endpoint-url"]["pattern"]
# A string each shipped pattern holds: probed one character at a time below.
WITNESSES = {
    "^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?[+-][0-9]{4})?$": (
        "2025-02-15T00:00:00.123+0000"
    ),
    ENDPOINT_URL: "https://c1.us-south.containers.cloud.ibm.com:30000",
    "^[0-9]*\\+?$": "27+",
    "^[0-9]+\\.[0-9]+\\.[0-9]+_[0-9]+(_openshift)?$": "4.16.30_1544_openshift",
    "^[A-Z]{2,5}-\\d{3}": "KCTL-002",
    "^[A-Z]{2,5}-\\d{3}$": "KCTL-002",
    "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$": (
        "2026-11-29T04:00:00.5+01:00"
    ),
    "^authentication\\.k8s\\.io/": "authentication.k8s.io/v1",
    "^crn:v1:": "crn:v1:bluemix:public:containers-kubernetes:us-south:a/1a2b::cluster:c1",
    "^v?[0-9]+\\.[0-9]+": "v1.31.4",
}


@pytest.fixture(scope="module")
def engines_differ() -> list[str]:
    """Every character on which Python's ``re`` and jsonschema-rs's regex engine (ECMA 262's
    classes) disagree for the classes the schemas use, found over all of Unicode; with ASCII."""
    import jsonschema_rs

    differ = {chr(c) for c in range(128)}
    for atom in ("\\d", "\\s", "."):
        compiled = jsonschema_rs.validator_for({"pattern": f"^{atom}$"})
        python = re.compile(f"^{atom}$")
        for code in range(0x110000):
            if 0xD800 <= code <= 0xDFFF:  # surrogates: no UTF-8, the Python validator decides
                continue
            char = chr(code)
            if compiled.is_valid(char) != (python.search(char) is not None):
                differ.add(char)
    return sorted(differ)


def test_every_pattern_has_a_witness() -> None:
    assert shipped_patterns() == set(WITNESSES)


@pytest.mark.parametrize("pattern", sorted(WITNESSES))
def test_compiled_patterns_never_pass_what_python_refuses(
    pattern: str, engines_differ: list[str]
) -> None:
    """Where the engines' classes differ (``\\d`` is Unicode in Python, ASCII in ECMA 262; they
    disagree on which separators are ``\\s``), the compiled validator may refuse more, never
    less: a string it passes goes unexplained. Each character is put at each place of a
    string the pattern holds."""
    compiled = jsonschemas._compile({"type": "string", "pattern": pattern})
    witness = WITNESSES[pattern]
    assert compiled.is_valid(witness) and re.search(pattern, witness)
    # The first differing characters show the probe is not empty: digits, separators.
    assert {"\u0661", "\x1c", "\x85", "\ufeff"} <= set(engines_differ)
    lenient = [
        probe
        for place in range(len(witness) + 1)
        for char in engines_differ
        for probe in (witness[:place] + char + witness[place + 1 :], witness[:place] + char)
        if compiled.is_valid(probe) and not re.search(pattern, probe)
    ]
    assert lenient == []


@pytest.mark.parametrize("space", ["\x1c", "\x85", "\u1680", "\u3000"])
def test_white_space_python_knows_fails_an_endpoint_url_in_both(space: str) -> None:
    # Where jsonschema-rs's \s differed (\x1c..\x1f, \x85 always; \u1680 and more in 0.58),
    # its validator passed these; the pattern now lists Python's white space itself.
    cluster = load("iks/cluster.json")
    cluster["serverURL"] = f"https://c1.example.com{space}:30000"
    assert not jsonschemas._holds(cluster, "iks-cluster")
    assert problems(cluster, "iks-cluster") == [
        f"$.serverURL: {cluster['serverURL']!r} does not match {ENDPOINT_URL!r}"
    ]


def test_the_endpoint_url_refuses_exactly_what_python_s_white_space_class_does() -> None:
    listed = re.compile(ENDPOINT_URL)
    for code in range(0x110000):
        if not 0xD800 <= code <= 0xDFFF:
            url = f"https://a{chr(code)}b"
            assert bool(listed.search(url)) == bool(re.search(r"^(https?://[^\s]+)?$", url)), code


@pytest.mark.parametrize("name", jsonschemas.names())
def test_every_shipped_schema_compiles(name: str) -> None:
    assert jsonschemas._compiled(name).is_valid(None) is False or name == "defs"


@pytest.mark.parametrize(("sample", "name"), SAMPLES, ids=[s for s, _ in SAMPLES])
def test_samples_hold_on_the_fast_path(sample: str, name: str) -> None:
    assert jsonschemas._holds(load(sample), name)


def test_the_compiled_validator_fetches_no_schema() -> None:
    with pytest.raises(ValueError) as raised:
        jsonschemas._compile({"$ref": "https://example.invalid/x.json"})
    assert "https://example.invalid/x.json" in str(raised.value)
    assert "Retrieval is disabled" in str(raised.value)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # Lone surrogates have no UTF-8: the compiled validator cannot match them to a pattern.
        (
            {"masterKubeVersion": "1.31.4_1530\udcff"},
            [
                "$.masterKubeVersion: '1.31.4_1530\\udcff' does not match "
                "'^[0-9]+\\\\.[0-9]+\\\\.[0-9]+_[0-9]+(_openshift)?$'"
            ],
        ),
        ({"workerCount": b"3"}, ["$.workerCount: b'3' is not of type 'integer'"]),
        ({1: "a key that is not a string"}, []),
    ],
    ids=["lone-surrogate", "bytes", "int-key"],
)
def test_what_the_compiled_validator_cannot_read_goes_to_python(
    change: dict[Any, Any], expected: list[str]
) -> None:
    document = {**load("iks/cluster.json"), **change}
    assert not jsonschemas._holds(document, "iks-cluster")
    assert problems(document, "iks-cluster") == expected

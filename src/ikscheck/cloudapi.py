"""The IBM Cloud APIs the checks ask (IAM, IKS, a cluster master), as requests and answers.

Requests are data (:class:`~ikscheck.evidence.HttpRequest`): the credential is named, and only
the live source fills it in. Answers are read into an :class:`Answer`: the JSON document, or a
sentence saying why there is none (the stage a request broke at, an HTML page where JSON was
expected, the API's own error), and the schema problems of what was sent, each naming its JSON
path and the rule.

The module is pure: no I/O, no pytest.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from ikscheck import jsonschemas
from ikscheck.ansi import printable
from ikscheck.evidence import HttpRequest, HttpResult
from ikscheck.ibmcloud import json_type

__all__ = [
    "APIKEY_GRANT",
    "DELEGATED_GRANT",
    "KUBE_CLIENT",
    "TOKEN_FIELDS",
    "Answer",
    "api_error",
    "apikey_grant",
    "delegated_grant",
    "failure",
    "iks_date",
    "iks_request",
    "kube_exchange",
    "master_request",
    "read_answer",
    "refresh_grant",
    "server_date",
    "whoami_request",
]

APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"
DELEGATED_GRANT = "urn:ibm:params:oauth:grant-type:delegated-refresh-token"
#: The IAM client IKS masters trust: delegated refresh tokens are issued to it.
KUBE_CLIENT = "kube"
SELF_SUBJECT_REVIEWS = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
SELF_SUBJECT_REVIEW = '{"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}'
#: Fields of an IAM answer that hold a token: secrets, whatever their shape.
TOKEN_FIELDS = ("access_token", "refresh_token", "id_token", "delegated_refresh_token")
#: How a broken request is told, by the stage it broke at.
STAGES = {
    "dns": "DNS lookup failed",
    "connect": "connection failed",
    "tls": "TLS verification failed",
    "timeout": "timed out",
    "http": "the HTTP exchange broke",
}


def apikey_grant(iam_url: str) -> HttpRequest:
    """IAM's API key grant: ``IBMCLOUD_API_KEY`` exchanged for an access token.

    >>> apikey_grant("https://iam.test").form
    (('grant_type', 'urn:ibm:params:oauth:grant-type:apikey'),)
    """
    return HttpRequest("POST", _token_url(iam_url), (("grant_type", APIKEY_GRANT),), "apikey")


def delegated_grant(iam_url: str) -> HttpRequest:
    """The API key grant's refresh token, exchanged for a refresh token delegated to the
    ``kube`` client (the setup guide's first step from an API key to the Kubernetes API).

    >>> dict(delegated_grant("https://iam.test").form)["receiver_client_ids"]
    'kube'
    """
    form = (
        ("grant_type", "refresh_token"),
        ("response_type", "delegated_refresh_token"),
        ("receiver_client_ids", KUBE_CLIENT),
    )
    return HttpRequest("POST", _token_url(iam_url), form, credential="refresh:apikey")


def kube_exchange(iam_url: str) -> HttpRequest:
    """The ``kube`` client's exchange of the delegated refresh token: its answer holds the
    ``id_token`` a cluster master takes as a bearer token."""
    form = (("grant_type", DELEGATED_GRANT),)
    return HttpRequest("POST", _token_url(iam_url), form, credential=f"delegated:{KUBE_CLIENT}")


def refresh_grant(iam_url: str, cli_config: str) -> HttpRequest:
    """The CLI session's ``IAMRefreshToken`` (of the config at ``cli_config``) exchanged, as the
    CLI does when its access token expires."""
    form = (("grant_type", "refresh_token"),)
    return HttpRequest("POST", _token_url(iam_url), form, credential=f"refresh:{cli_config}")


def master_request(server: str, ca_pem: bytes | None) -> HttpRequest:
    """``GET <server>/version`` with the id token of :func:`kube_exchange` as the bearer."""
    url = server.rstrip("/") + "/version"
    return HttpRequest("GET", url, credential=f"bearer:{KUBE_CLIENT}", ca_pem=ca_pem)


def whoami_request(server: str, ca_pem: bytes | None) -> HttpRequest:
    """The ``SelfSubjectReview`` ``kubectl auth whoami`` sends, with the kube id token."""
    url = server.rstrip("/") + SELF_SUBJECT_REVIEWS
    return HttpRequest(
        "POST", url, credential=f"bearer:{KUBE_CLIENT}", ca_pem=ca_pem, body=SELF_SUBJECT_REVIEW
    )


def _token_url(iam_url: str) -> str:
    return iam_url.rstrip("/") + "/identity/token"


def iks_request(containers_url: str, path: str, credential: str) -> HttpRequest:
    """A GET of the IKS API at ``path`` (``/v1/clusters``), authorised by ``credential``.

    >>> iks_request("https://containers.cloud.ibm.com/", "/v1/regions", "bearer:apikey").url
    'https://containers.cloud.ibm.com/v1/regions'
    """
    return HttpRequest("GET", containers_url.rstrip("/") + path, credential=credential)


@dataclass(frozen=True)
class Answer:
    """An API answer as the checks read it.

    ``document`` is the JSON of a successful answer (None otherwise); ``problem`` says why
    there is none, in one line; ``schema_problems`` are the ways the answer (or the API's error
    body) breaks its schema; ``status`` is the HTTP status (None when nothing came back).
    """

    url: str
    status: int | None
    document: Any = None
    method: str = "GET"
    problem: str = ""
    schema_problems: list[str] = field(default_factory=list)
    error_code: str = ""  # the API's own code: BXNIM0415E, G0004

    @property
    def ok(self) -> bool:
        return not self.problem


def read_answer(
    result: HttpResult, schema: str, error_schema: str = "", method: str = "GET"
) -> Answer:
    """Read ``result`` as an answer of shape ``schema`` (errors of shape ``error_schema``).

    >>> ok = HttpResult("https://h/version", 200, body='{"major": "1", "minor": "31"}')
    >>> read_answer(ok, "k8s-version").schema_problems
    ["$: 'gitVersion' is a required property"]
    >>> read_answer(HttpResult("https://h/x", 502, body="<title>Bad Gateway</title>"), "x").problem
    "HTTP 502, and the body is not JSON (an HTML page: 'Bad Gateway', from a proxy?)"
    >>> read_answer(HttpResult("https://h/x", stage="dns", error="no such host"), "x").problem
    'DNS lookup failed: no such host'
    """
    url, status = result.url, result.status
    if result.error and status is None:
        return Answer(url, None, method=method, problem=failure(result))
    if result.error:  # an answer, but not all of it (a body cut at the cap)
        return Answer(url, status, method=method, problem=f"HTTP {status}, but {result.error}")
    try:
        doc = json.loads(result.body)
    except ValueError:
        said = f"HTTP {status}, and the body is not JSON ({_what_body(result.body)})"
        return Answer(url, status, method=method, problem=said)
    except RecursionError:
        said = f"HTTP {status}, and the body is JSON nested too deeply to read"
        return Answer(url, status, method=method, problem=said)
    if status is not None and 200 <= status < 300:
        problems = _problems(doc, schema)
        return Answer(url, status, doc, method, schema_problems=problems)
    code, said = api_error(doc)
    checked = _problems(doc, error_schema) if error_schema else []
    said = f"HTTP {status}: {said}"
    return Answer(url, status, None, method, said, checked, code)


def _problems(doc: object, schema: str) -> list[str]:
    """The schema problems of ``doc``; a document that JSON could read but that is nested too
    deeply for the validator (or for the repr of a value it quotes) is one of them."""
    try:
        return jsonschemas.problems(doc, schema)
    except RecursionError:
        return ["$: nested too deeply to check"]


def failure(result: HttpResult) -> str:
    """Why ``result`` holds no answer, naming the stage that broke once.

    >>> failure(HttpResult("u", stage="tls", error="certificate verify failed"))
    'TLS verification failed: certificate verify failed'
    >>> failure(HttpResult("u", stage="timeout", error="timed out: no answer within 2 s"))
    'timed out: no answer within 2 s'
    >>> failure(HttpResult("u", error="the API key exchange failed (HTTP 400): nothing to send"))
    'the API key exchange failed (HTTP 400): nothing to send'
    """
    if not result.stage:  # never sent (the transport names a stage for all it meets): why not
        return result.error
    words = STAGES.get(result.stage, "failed")
    if result.error.lower().startswith(words.lower()):
        return result.error  # the transport said it already
    return f"{words}: {result.error}"


_TITLE = re.compile(r"<title[^>]*>([^<]{1,120})</title>", re.IGNORECASE)


def _what_body(body: str) -> str:
    """What a body that is not JSON looks like, in a few words: a page's title, else its first
    line.

    >>> _what_body("<html><head><title>502 Bad Gateway</title></head>")
    "an HTML page: '502 Bad Gateway', from a proxy?"
    >>> _what_body("upstream connect error")
    "it starts: 'upstream connect error'"
    """
    title = _TITLE.search(body)
    if title is not None:
        return f"an HTML page: {printable(title.group(1)).strip()!r}, from a proxy?"
    first = next((line for line in printable(body).splitlines() if line.strip()), "")
    return f"it starts: {first.strip()[:120]!r}" if first.strip() else "it is empty"


def api_error(doc: object) -> tuple[str, str]:
    """The code and the sentence of an IAM, IKS or Kubernetes error body.

    >>> api_error({"errorCode": "BXNIM0415E", "errorMessage": "API key not found."})
    ('BXNIM0415E', 'BXNIM0415E: API key not found.')
    >>> api_error({"code": "G0004", "description": "The cluster could not be found.",
    ...            "recoveryCLI": "ibmcloud ks cluster ls"})[1]
    'G0004: The cluster could not be found. (recovery: ibmcloud ks cluster ls)'
    >>> api_error({"kind": "Status", "reason": "Unauthorized", "message": "Unauthorized"})
    ('Unauthorized', 'Unauthorized')
    """
    if not isinstance(doc, dict):
        return "", f"an error body that is a JSON {json_type(doc)}"
    if doc.get("kind") == "Status":  # a Kubernetes API server's
        reason, message = str(doc.get("reason") or ""), str(doc.get("message") or "")
        said = ": ".join(dict.fromkeys(filter(None, (reason, message))))
        return reason, said or "a Kubernetes Status that gives no reason"
    if "errorCode" in doc or "errorMessage" in doc:
        code = str(doc.get("errorCode", ""))
        return code, f"{code}: {doc.get('errorMessage', '(no errorMessage)')}"
    if "code" in doc or "description" in doc:
        code = str(doc.get("code", ""))
        said = f"{code}: {doc.get('description', '(no description)')}"
        if doc.get("recoveryCLI"):
            said += f" (recovery: {doc['recoveryCLI']})"
        return code, said
    try:
        shown = json.dumps(doc)[:120]
    except RecursionError:
        shown = "(nested too deeply to show)"
    return "", f"an error body the API does not document: {shown}"


def iks_date(text: str) -> datetime | None:
    """An IKS API instant (``2026-04-30T12:00:00+0000``), or None for ``""`` or an unreadable one.

    >>> iks_date("2026-04-30T12:00:00+0000")
    datetime.datetime(2026, 4, 30, 12, 0, tzinfo=datetime.timezone.utc)
    >>> iks_date("2026-04-30T12:00:00.000+0000").day, iks_date("") is None
    (30, True)
    """
    for shape in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(text, shape).astimezone(UTC)
        except ValueError:
            continue
    return None


def server_date(result: HttpResult) -> datetime | None:
    """The instant the server's ``Date`` header names, or None without a readable one.

    >>> server_date(HttpResult("u", 200, {"Date": "Sun, 29 Nov 2026 10:00:00 GMT"}))
    datetime.datetime(2026, 11, 29, 10, 0, tzinfo=datetime.timezone.utc)
    """
    value = next((v for k, v in result.headers.items() if k.lower() == "date"), "")
    try:
        found = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return found.astimezone(UTC) if found.tzinfo else found.replace(tzinfo=UTC)

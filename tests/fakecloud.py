"""A fake IBM Cloud on loopback: IAM, the IKS API and a cluster master on one HTTPS server.

One real HTTPS server on 127.0.0.1 (a certificate from the ``trustme.CA`` given), built on
pytest-httpserver and werkzeug, threaded: a slow answer never holds up another request. It
answers as the real services do, with the shapes of the samples in ``tests/data/formats/``::

    with running(ca, api_key="canary-api-key-0123") as cloud:
        cloud.url                                   # "https://127.0.0.1:PORT"
        cloud.clusters[0]["state"] = "critical"     # any served document may be changed
        cloud.fault("/v1/clusters", latency=0.2)    # every request, from now on
        cloud.fault("/identity/token", status=503, times=2)  # the next two requests
        ... requests.get(cloud.url + "/v1/regions", verify=ca_file, ...) ...
        cloud.hits("/v1/clusters")                  # how many requests reached that path
        cloud.requests                              # every request, as `Hit`s

``FakeCloud(ca, ...)`` then ``start()`` / ``stop()`` does the same without the ``with``.

Routes
    ``POST /identity/token`` (IAM), form-encoded. ``grant_type`` the API key grant and
    ``apikey`` the configured key: 200, a document shaped like ``iam/token-apikey.json``: a
    fresh HS256 JWT ``access_token`` (claims of ``iam/claims-access-token.json``, ``iat`` the
    server's now, ``exp`` = iat + 3600, a new ``jti``), ``expires_in`` 3600, ``expiration`` =
    exp (so ``expiration - expires_in`` is the server's now), an opaque ``refresh_token``,
    ``token_type`` Bearer, ``scope`` "ibm openid". Another key: 400 with the body of
    ``iam/error-BXNIM0415E.json``. Another grant type, or no key: 400 with a BXNIM error
    (`UNSUPPORTED_GRANT`, `MISSING_APIKEY`).

    The API key grant asked by the CLI's client (``Authorization: Basic`` ``bx:bx``) comes with
    an opaque ``refresh_token`` this server takes back; without that client, IAM's
    ``"not_supported"``. ``grant_type=refresh_token`` with a refresh token it issued (or took
    with `accept_refresh`): with ``response_type=delegated_refresh_token`` and
    ``receiver_client_ids=kube``, ``{"delegated_refresh_token": ...}`` (``iam/
    token-delegated.json``); otherwise a new token answer. An unknown refresh token: 400
    BXNIM0407E; one taken with ``expired=True``: 400 BXNIM0408E (``iam/error-BXNIM0408E.json``).
    The ``kube`` client's exchange (``grant_type`` the delegated refresh token grant, ``Basic``
    ``kube:kube``) of a delegated token it issued: ``iam/token-kube-exchange.json`` with a
    fresh ``id_token`` (claims of ``iam/claims-id-token.json``, ``aud`` kube).

    ``GET /v1/regions``, ``/v1/clusters``, ``/v1/clusters/<name or id>``, ``/v1/versions``
    (IKS): they need ``Authorization: Bearer <a token this server issued, not expired by its
    clock>``; else 401 with an IKS error body (`UNAUTHORIZED`). An unknown cluster: 404 with the
    body of ``iks/error-G0004.json``. Each error body gets a fresh ``incidentID``.

    ``GET /version`` (the master, no credential needed, as on IKS): ``kubernetes/
    version-iks.json`` with the version of ``master_version`` ("1.29" or "1.29.3"), by default
    the first cluster's ``masterKubeVersion``; its ``gitVersion`` ends ``+IKS``, or an OpenShift
    build's commit (``+67d3387``) when the first cluster's ``type`` is ``openshift``. A request
    that sends a bearer token must send an id token of the kube exchange (and
    ``refuse_id_tokens`` be False): else 401 with ``kubernetes/status-401.json``.

    ``POST /apis/authentication.k8s.io/v1/selfsubjectreviews`` (the master) with such an id
    token: 201, ``kubernetes/selfsubjectreview.json`` naming ``IAM#<the token's email>``; 401
    as above; 404 (a Kubernetes ``Status``) when ``serves_whoami`` is False, as before 1.28.

    ``GET /.well-known/oauth-authorization-server`` (the master's OpenShift OAuth discovery,
    no credential): ``openshift/oauth-authorization-server.json`` with its ``issuer`` and
    endpoints on this server's URL. Served for any cluster type.

    Any other path or method: 404 (pytest-httpserver's "no handler" answer). The IKS paths are
    served at the root (``containers_url`` = ``cloud.url``), not under ``/global``. The fake is
    a pytest-httpserver ``HTTPServer``: ``expect_request`` adds routes; ``clear()`` keeps its
    own routes and empties faults and the record.

State (plain attributes, read at each request)
    ``clusters`` (list of cluster documents; by default one, ``iks/cluster.json`` named
    ``testenv.CLUSTER`` with id ``testenv.CLUSTER_ID``, whose ``serverURL`` and
    ``publicServiceEndpointURL`` are this server's URL: the master is this server. A document
    naming the sample's master URL gets this server's URL at ``start()``; `cluster_document`
    makes more), ``regions``, ``versions``, ``master_version``, ``api_key``, ``clock_offset``
    (a `timedelta` added to the server's clock: token times and the HTTP ``Date`` header; for
    a clock 10 minutes off), ``extra_headers`` (added to every answer: a cookie, a token in
    a header), ``refuse_id_tokens``, ``serves_whoami`` (see the master's routes), ``account``
    (the ``account.bss`` of the tokens it issues: the API key's account, by default the
    samples' ``ACCOUNT``). `issue_token` gives a valid access
    token without a request. As IKS does, the IKS routes show only the clusters of the token's
    account (the ``a/<account>`` of a cluster's ``crn``; a cluster without one is shown to all).

Record
    ``requests``: every request as a `Hit` (method, path, url with query, headers, form fields,
    body, status answered, fault applied); `hits` counts them by path; ``max_in_flight`` is how
    many requests were in the server at once, at most (more than 1: it served them
    concurrently); `clear_requests` starts the record again.

Faults
    ``fault(path, ..., times=None)`` applies to requests whose path matches ``path``
    (``fnmatch``: ``"/v1/clusters/*"`` is every cluster), for the next ``times`` of them, or
    for all (``times=None``). The newest fault matching a request is the one applied; one
    request uses up one fault's turn; `clear_faults` removes them. Kinds (``latency`` adds to
    any of the others):

    - ``latency=s``: the answer waits ``s`` seconds (on its own thread: others go on).
    - ``status=code``, ``body=...``: that status; the body a dict/list (sent as JSON), str or
      bytes; empty if not given.
    - ``html=True``: a proxy's HTML page, ``<html><head><title>502 Bad Gateway</title>...``,
      ``text/html`` (``status`` sets another code).
    - ``truncate=True``: the route's own answer with ``Content-Length`` of the whole body but
      only its first half sent, then the connection closes.
    - ``huge=True``: a 200 JSON body of 10 MiB (`HUGE_SIZE` bytes).
    - ``reset=True``: the connection is closed with ``SO_LINGER`` 0 (a TCP RST) before anything
      is answered. Python's TLS layer reports a RST as an EOF (``requests`` raises
      ``ConnectionError``: "Remote end closed connection without response"); below TLS it is
      ``ConnectionResetError``.
    - ``hang=True``: the request is read and never answered; the connection stays open until
      the server stops, which closes it (``stop()`` returns within a second).

    ``reset`` and ``hang`` are done below WSGI: the application raises `_Drop` (a
    BaseException, which werkzeug's own ``except Exception`` lets through), and the server's
    request handler, which knows the socket, closes it without writing. The handler also
    writes the ``Date`` header from the offset clock.
"""

from __future__ import annotations

import base64
import copy
import fnmatch
import json
import re
import secrets
import socket
import ssl
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

import jwt
import trustme
from pytest_httpserver import HTTPServerError
from werkzeug import Request, Response
from werkzeug.serving import WSGIRequestHandler, make_server

from testenv import CLUSTER, CLUSTER_ID, FORMATS, LoopbackServer

__all__ = [
    "APIKEY_GRANT",
    "API_KEY",
    "HUGE_SIZE",
    "SIGNING_KEY",
    "FakeCloud",
    "Hit",
    "running",
]

API_KEY = "canary-api-key-fakecloud-0123456789abcdef"
#: The account of the samples: the CLI config's Account.GUID, the tokens', the clusters' crn.
ACCOUNT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"
#: Access tokens are signed with this (HS256). ikscheck never verifies signatures.
SIGNING_KEY = "fakecloud-test-signing-key-not-a-secret-0123456789"
TOKEN_LIFETIME = 3600
HUGE_SIZE = 10 * 1024 * 1024
IAM_DISCOVERY = "/identity/.well-known/openid-configuration"
#: The master's OpenShift OAuth discovery document, and the URL its sample names.
OAUTH_DISCOVERY = "/.well-known/oauth-authorization-server"
OAUTH_SAMPLE_URL = "https://c100-e.us-south.containers.cloud.ibm.com:31890"
#: OpenShift's Kubernetes builds name a commit, as the master's /version of an OpenShift
#: cluster does (v1.29.10+67d3387); IKS's community builds say +IKS.
OPENSHIFT_BUILD = "+67d3387"
#: The master URL in the IKS samples; a cluster document naming it gets this server's URL.
SAMPLE_MASTER = "https://c7.us-south.containers.cloud.ibm.com:27078"

#: IAM's answer to a grant type it does not take. The shape is IAM's; the code and message are
#: not confirmed from a live answer.
UNSUPPORTED_GRANT = {
    "errorCode": "BXNIM0103E",
    "errorMessage": "Unsupported grant type",
}
#: IAM's answer to an API key grant without ``apikey`` (code not confirmed live).
MISSING_APIKEY = {
    "errorCode": "BXNIM0109E",
    "errorMessage": "Property missing or empty. Property name: apikey",
}
#: IAM's answer to a refresh token it did not issue (the invalid-token code, confirmed).
REFRESH_INVALID = {
    "errorCode": "BXNIM0407E",
    "errorMessage": "Provided refresh token is invalid",
}
DELEGATED_GRANT = "urn:ibm:params:oauth:grant-type:delegated-refresh-token"
#: IAM's public clients, as ``Authorization: Basic`` sends them (id and secret the same).
CLI_CLIENT = "Basic " + base64.b64encode(b"bx:bx").decode()
KUBE_CLIENT = "Basic " + base64.b64encode(b"kube:kube").decode()
WHOAMI = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
#: What a Kubernetes API server answers for a resource it does not serve.
NOT_FOUND = {
    "message": "the server could not find the requested resource",
    "reason": "NotFound",
    "code": 404,
    "details": {},
}
#: IKS's answer to a missing, unknown or expired bearer token. The shape is IKS's (a 401 with
#: ``type`` Authentication is seen in public reports, code E0058 for a missing account header);
#: the code for a bad token is not confirmed: E0001 is a placeholder, change it here.
UNAUTHORIZED = {
    "code": "E0001",
    "description": "Unauthorized. The IAM token in the Authorization header is missing, "
    "expired or not valid. Log in again and retry.",
    "type": "Authentication",
}


def _sample(*parts: str) -> Any:
    return json.loads((FORMATS.joinpath(*parts)).read_text())


_HUGE: bytes | None = None


def _huge_body() -> bytes:
    """A JSON document of exactly HUGE_SIZE bytes, built once."""
    global _HUGE
    if _HUGE is None:
        head, tail = b'{"padding": "', b'"}'
        _HUGE = head + b"x" * (HUGE_SIZE - len(head) - len(tail)) + tail
    return _HUGE


@dataclass
class Hit:
    """One request the fake received."""

    method: str
    path: str
    url: str  # the full URL, query string included
    headers: dict[str, str]
    form: dict[str, str]
    body: bytes
    status: int | None = None  # None: no answer (reset, hang)
    fault: str = ""  # the fault applied: "latency", "status", "html", "truncate", ...


@dataclass
class _Fault:
    pattern: str
    times: int | None
    latency: float = 0.0
    status: int | None = None
    body: Any = None
    html: bool = False
    truncate: bool = False
    huge: bool = False
    reset: bool = False
    hang: bool = False

    @property
    def kind(self) -> str:
        for name in ("reset", "hang", "huge", "truncate", "html"):
            if getattr(self, name):
                return name
        return "status" if self.status is not None else "latency"


class _Drop(BaseException):
    """Raised by the application: close the connection without answering (``reset``: with a
    RST). A BaseException, so that werkzeug's ``except Exception`` does not answer a 500."""

    def __init__(self, *, reset: bool) -> None:
        super().__init__("reset" if reset else "close")
        self.reset = reset


class _Handler(WSGIRequestHandler):
    """werkzeug's request handler, which can close a connection unanswered (`_Drop`) and
    dates answers by the fake's clock."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        cloud: FakeCloud = self.server.fakecloud  # type: ignore[attr-defined]
        return formatdate(cloud.now() if timestamp is None else timestamp, usegmt=True)

    def run_wsgi(self) -> None:
        try:
            super().run_wsgi()
        except _Drop as drop:
            self.close_connection = True
            if drop.reset:
                linger = struct.pack("ii", 1, 0)
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                # The read file holds a reference to the socket: close both, and the
                # descriptor closes now, with a RST; nothing is written.
                self.rfile.close()
                self.connection.close()


class FakeCloud(LoopbackServer):
    """IAM, the IKS API and a cluster master on one loopback HTTPS server (see the module)."""

    def __init__(
        self,
        ca: trustme.CA,
        *,
        api_key: str = API_KEY,
        clock_offset: timedelta = timedelta(0),
        clusters: list[dict[str, Any]] | None = None,
    ) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        super().__init__(host="127.0.0.1", port=0, ssl_context=context, threaded=True)
        self.no_handler_status_code = 404
        self.api_key = api_key
        self.account = ACCOUNT
        self.clock_offset = clock_offset
        self.clusters: list[dict[str, Any]] = (
            [self.cluster_document()] if clusters is None else clusters
        )
        self.regions: dict[str, Any] = _sample("iks", "regions.json")
        self.versions: dict[str, Any] = _sample("iks", "versions.json")
        self.master_version: str | None = None  # "1.29" or "1.29.3"; None: the cluster's
        self.requests: list[Hit] = []
        self.max_in_flight = 0
        self._in_flight: set[threading.Thread] = set()
        self._faults: list[_Fault] = []
        self._issued: dict[str, int] = {}  # access token -> exp
        self.extra_headers: dict[str, str] = {}  # sent with every answer (a cookie, a token)
        self.refuse_id_tokens = False
        self.serves_whoami = True
        self._refresh: dict[str, bool] = {}  # refresh token -> expired
        self._delegated: set[str] = set()
        self._id_tokens: dict[str, str] = {}  # kube id token -> its email
        self._accounts: dict[str, str] = {}  # access token -> its account.bss
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._routes()

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start serving (pytest-httpserver's start, with the fake's request handler)."""
        if self.is_running():
            raise HTTPServerError("Server is already running")
        self._stopping.clear()
        self.server = make_server(
            self.host,
            self.port,
            Request.application(self.application),
            threaded=True,
            request_handler=_Handler,
            ssl_context=self.ssl_context,
        )
        self.server.fakecloud = self  # type: ignore[attr-defined]
        self.port = self.server.port
        for doc in self.clusters:
            for key in ("serverURL", "publicServiceEndpointURL"):
                if doc.get(key) == SAMPLE_MASTER:
                    doc[key] = self.url
        self.server_thread = threading.Thread(target=self.thread_target, daemon=True)
        self.server_thread.start()

    def stop(self) -> None:
        """Stop serving; held (``hang``) and waiting (``latency``) requests end at once."""
        self._stopping.set()
        super().stop()
        deadline = time.monotonic() + 1.0
        with self._lock:
            threads = list(self._in_flight)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def clear(self) -> None:
        """pytest-httpserver's clear (its log, handlers), then the fake's routes again; faults
        and the record of requests are cleared too."""
        super().clear()
        self.no_handler_status_code = 404
        self._routes()
        self.clear_faults()
        self.clear_requests()

    # -- state -------------------------------------------------------------------------------

    def now(self) -> float:
        """The server's clock: this machine's, plus ``clock_offset``."""
        return time.time() + self.clock_offset.total_seconds()

    def cluster_document(self, **changes: Any) -> dict[str, Any]:
        """A cluster document from ``iks/cluster.json`` whose master is this server."""
        doc: dict[str, Any] = _sample("iks", "cluster.json")
        doc.update(name=CLUSTER, id=CLUSTER_ID)
        if self.port:
            doc.update(serverURL=self.url, publicServiceEndpointURL=self.url)
        doc.update(changes)
        return doc

    def accept(self, token: str) -> None:
        """Take ``token`` (issued elsewhere: a CLI session's) as one this server issued, until
        its ``exp``."""
        claims = jwt.decode(token, options={"verify_signature": False})
        with self._lock:
            self._issued[token] = int(claims.get("exp"))
            self._accounts[token] = str((claims.get("account") or {}).get("bss", ""))

    def accept_refresh(self, token: str, *, expired: bool = False) -> None:
        """Take ``token`` (a CLI session's ``IAMRefreshToken``) as a refresh token this server
        issued; ``expired``: one it refuses as expired."""
        with self._lock:
            self._refresh[token] = expired

    def issue_token(self) -> str:
        """A fresh access token, as the API key grant gives, valid for the IKS routes."""
        return self._issue()[0]

    def _issue(self) -> tuple[str, int]:
        claims = _sample("iam", "claims-access-token.json")
        issued = int(self.now())
        claims.update(
            iat=issued,
            exp=issued + TOKEN_LIFETIME,
            jti=str(uuid.uuid4()),
            grant_type=APIKEY_GRANT,
        )
        claims["account"]["bss"] = self.account
        token = jwt.encode(claims, SIGNING_KEY, algorithm="HS256")
        with self._lock:
            self._issued[token] = claims["exp"]
            self._accounts[token] = self.account
        return token, claims["exp"]

    # -- faults and the record ---------------------------------------------------------------

    def fault(
        self,
        path: str,
        *,
        latency: float = 0.0,
        status: int | None = None,
        body: Any = None,
        html: bool = False,
        truncate: bool = False,
        huge: bool = False,
        reset: bool = False,
        hang: bool = False,
        times: int | None = None,
    ) -> None:
        """Apply a fault to requests whose path matches ``path`` (fnmatch): the next
        ``times`` of them, or all (None). The newest matching fault wins."""
        if sum((html, truncate, huge, reset, hang)) > 1:
            raise ValueError("one of html, truncate, huge, reset, hang at a time")
        if times is not None and times < 1:
            raise ValueError("times: at least 1, or None for every request")
        added = _Fault(path, times, latency, status, body, html, truncate, huge, reset, hang)
        with self._lock:
            self._faults.append(added)

    def clear_faults(self, path: str | None = None) -> None:
        """Remove the faults set for ``path`` (exactly as given), or all."""
        with self._lock:
            self._faults = [f for f in self._faults if path is not None and f.pattern != path]

    def hits(self, path: str) -> int:
        """How many requests had a path matching ``path`` (fnmatch)."""
        with self._lock:
            return sum(fnmatch.fnmatchcase(h.path, path) for h in self.requests)

    def clear_requests(self) -> None:
        with self._lock:
            self.requests = []
            self.max_in_flight = 0

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in reversed(self._faults):
                if fnmatch.fnmatchcase(path, fault.pattern):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times == 0:
                            self._faults.remove(fault)
                    return fault
        return None

    # -- serving -----------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        """Record the request, apply a fault, else answer as the route does."""
        hit = Hit(
            request.method,
            request.path,
            request.url,
            dict(request.headers),
            request.form.to_dict(),
            request.get_data(),
        )
        me = threading.current_thread()
        with self._lock:
            self.requests.append(hit)
            self._in_flight.add(me)
            self.max_in_flight = max(self.max_in_flight, len(self._in_flight))
        try:
            response = self._answer(request, hit)
            response.headers.extend(self.extra_headers)
            hit.status = response.status_code
            return response
        finally:
            with self._lock:
                self._in_flight.discard(me)

    def _answer(self, request: Request, hit: Hit) -> Response:
        fault = self._take_fault(request.path)
        if fault is None:
            return super().dispatch(request)
        hit.fault = fault.kind
        if fault.latency:
            self._stopping.wait(fault.latency)
        if fault.reset:
            raise _Drop(reset=True)
        if fault.hang:
            self._stopping.wait()
            raise _Drop(reset=False)
        if fault.html:
            return _html_page(fault.status or 502)
        if fault.huge:
            return Response(_huge_body(), 200, content_type="application/json")
        if fault.truncate:
            whole = super().dispatch(request)
            data = whole.get_data()
            cut = Response(data[: len(data) // 2], whole.status_code)
            cut.headers["Content-Type"] = whole.headers.get("Content-Type", "application/json")
            cut.headers["Content-Length"] = str(len(data))
            return cut
        if fault.status is not None:
            return _body_response(fault.status, fault.body)
        return super().dispatch(request)

    def _routes(self) -> None:
        self.expect_request("/identity/token", method="POST").respond_with_handler(self._token)
        self.expect_request("/v1/regions", method="GET").respond_with_handler(
            self._iks(lambda _: self.regions)
        )
        self.expect_request("/v1/versions", method="GET").respond_with_handler(
            self._iks(lambda _: self.versions)
        )
        self.expect_request("/v1/clusters", method="GET").respond_with_handler(
            self._iks(self._visible)
        )
        self.expect_request(re.compile(r"/v1/clusters/[^/]+"), method="GET").respond_with_handler(
            self._iks(self._cluster)
        )
        self.expect_request("/version", method="GET").respond_with_handler(self._version)
        self.expect_request(WHOAMI, method="POST").respond_with_handler(self._whoami)
        self.expect_request(IAM_DISCOVERY, method="GET").respond_with_handler(self._discovery)
        self.expect_request(OAUTH_DISCOVERY, method="GET").respond_with_handler(self._oauth)

    def _oauth(self, request: Request) -> Response:
        """The master's OpenShift OAuth discovery document, naming this server."""
        sample = (FORMATS / "openshift" / "oauth-authorization-server.json").read_text()
        return _json(200, json.loads(sample.replace(OAUTH_SAMPLE_URL, self.url)))

    def _discovery(self, request: Request) -> Response:
        """IAM's OpenID discovery document (the fields an OIDC client reads first)."""
        issuer = f"{self.url}/identity"
        return _json(
            200,
            {
                "issuer": issuer,
                "token_endpoint": f"{issuer}/token",
                "jwks_uri": f"{issuer}/keys",
                "grant_types_supported": [APIKEY_GRANT, "refresh_token"],
            },
        )

    def _token(self, request: Request) -> Response:
        grant = request.form.get("grant_type", "")
        if grant == "refresh_token":
            return self._refresh_grant(request)
        if grant == DELEGATED_GRANT:
            return self._kube_exchange(request)
        if grant != APIKEY_GRANT:
            return _json(400, _iam_error(UNSUPPORTED_GRANT))
        key = request.form.get("apikey", "")
        if not key:
            return _json(400, _iam_error(MISSING_APIKEY))
        if key != self.api_key:
            return _json(400, _iam_error(_sample("iam", "error-BXNIM0415E.json")))
        refresh = "not_supported"  # IAM's word when the client is not the CLI's
        if request.headers.get("Authorization") == CLI_CLIENT:
            refresh = self._new_refresh()
        return _json(200, self._token_answer(refresh))

    def _token_answer(self, refresh: str) -> dict[str, Any]:
        token, exp = self._issue()
        doc: dict[str, Any] = _sample("iam", "token-apikey.json")
        doc.update(
            access_token=token,
            refresh_token=refresh,
            token_type="Bearer",
            expires_in=TOKEN_LIFETIME,
            expiration=exp,
            scope="ibm openid",
        )
        return doc

    def _new_refresh(self) -> str:
        token = secrets.token_urlsafe(48)
        with self._lock:
            self._refresh[token] = False
        return token

    def _refresh_grant(self, request: Request) -> Response:
        with self._lock:
            expired = self._refresh.get(request.form.get("refresh_token", ""))
        if expired is None:
            return _json(400, _iam_error(REFRESH_INVALID))
        if expired:
            return _json(400, _iam_error(_sample("iam", "error-BXNIM0408E.json")))
        receivers = request.form.get("receiver_client_ids", "").split()
        if request.form.get("response_type") == "delegated_refresh_token" and "kube" in receivers:
            delegated = secrets.token_urlsafe(48)
            with self._lock:
                self._delegated.add(delegated)
            return _json(200, {"delegated_refresh_token": delegated})
        return _json(200, self._token_answer(self._new_refresh()))

    def _kube_exchange(self, request: Request) -> Response:
        with self._lock:
            known = request.form.get("refresh_token", "") in self._delegated
        if request.headers.get("Authorization") != KUBE_CLIENT or not known:
            return _json(400, _iam_error(REFRESH_INVALID))
        doc = self._token_answer(self._new_refresh())
        claims = _sample("iam", "claims-id-token.json")
        issued = int(self.now())
        claims.update(iat=issued, exp=issued + TOKEN_LIFETIME, aud="kube")
        id_token = jwt.encode(claims, SIGNING_KEY, algorithm="HS256")
        with self._lock:
            self._id_tokens[id_token] = str(claims.get("email", ""))
        doc.update(id_token=id_token, scope="ibm openid containers-kubernetes")
        return _json(200, doc)

    def _id_token_email(self, request: Request) -> str | None:
        """The email of the request's kube id token; None when it sends another credential
        (or this master refuses id tokens)."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        with self._lock:
            email = self._id_tokens.get(token.strip())
        if scheme.lower() != "bearer" or self.refuse_id_tokens:
            return None
        return email

    def _whoami(self, request: Request) -> Response:
        if not self.serves_whoami:
            return _json(404, {**_sample("kubernetes", "status-401.json"), **NOT_FOUND})
        email = self._id_token_email(request)
        if email is None:
            return _json(401, _sample("kubernetes", "status-401.json"))
        review = _sample("kubernetes", "selfsubjectreview.json")
        review["status"]["userInfo"]["username"] = f"IAM#{email}"
        return _json(201, review)

    def _authorised(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        with self._lock:
            exp = self._issued.get(token.strip())
        return scheme.lower() == "bearer" and exp is not None and self.now() < exp

    def _iks(self, answer: Any) -> Any:
        def handler(request: Request) -> Response:
            if not self._authorised(request):
                return _json(401, _iks_error(UNAUTHORIZED))
            doc = answer(request)
            if doc is None:
                return _json(404, _iks_error(_sample("iks", "error-G0004.json")))
            return _json(200, doc)

        return handler

    def _visible(self, request: Request) -> list[dict[str, Any]]:
        """The clusters of the account of the request's token (IKS shows no other)."""
        token = request.headers.get("Authorization", "").partition(" ")[2].strip()
        with self._lock:
            account = self._accounts.get(token, "")
        return [
            c
            for c in self.clusters
            if "" in (account, _crn_account(c)) or account == _crn_account(c)
        ]

    def _cluster(self, request: Request) -> dict[str, Any] | None:
        wanted = request.path.rsplit("/", 1)[1]
        found = (c for c in self._visible(request) if wanted in (c.get("name"), c.get("id")))
        return next(found, None)

    def _version(self, request: Request) -> Response:
        if "Authorization" in request.headers and self._id_token_email(request) is None:
            return _json(401, _sample("kubernetes", "status-401.json"))
        doc = _sample("kubernetes", "version-iks.json")
        version = self.master_version
        if version is None and self.clusters:
            version = str(self.clusters[0].get("masterKubeVersion", "")).split("_")[0]
        parts = (version or "").split(".")
        if len(parts) >= 2:
            major, minor, patch = parts[0], parts[1], (parts[2:] or ["0"])[0]
            openshift = bool(self.clusters) and self.clusters[0].get("type") == "openshift"
            build = OPENSHIFT_BUILD if openshift else "+IKS"
            doc.update(major=major, minor=minor, gitVersion=f"v{major}.{minor}.{patch}{build}")
        return _json(200, doc)


def _crn_account(cluster: dict[str, Any]) -> str:
    """The account in a cluster's ``crn`` (``a/<account>``); "" when it names none."""
    parts = str(cluster.get("crn", "")).split(":")
    scope = parts[6] if len(parts) > 6 else ""
    return scope.removeprefix("a/") if scope.startswith("a/") else ""


def _json(status: int, doc: Any) -> Response:
    return Response(json.dumps(doc), status, content_type="application/json")


def _iam_error(body: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(body)
    doc.setdefault("context", {})["requestId"] = uuid.uuid4().hex
    return doc


def _iks_error(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "incidentID": str(uuid.uuid4())}


def _html_page(status: int) -> Response:
    try:
        title = f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        title = str(status)
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return Response(page, status, content_type="text/html")


def _body_response(status: int, body: Any) -> Response:
    if isinstance(body, dict | list):
        return _json(status, body)
    if body is None:
        body = b""
    return Response(body, status, content_type="text/plain")


@contextmanager
def running(ca: trustme.CA, **kwargs: Any) -> Iterator[FakeCloud]:
    """A started `FakeCloud` (``kwargs`` as its constructor takes), stopped on exit."""
    cloud = FakeCloud(ca, **kwargs)
    cloud.start()
    try:
        yield cloud
    finally:
        if cloud.is_running():
            cloud.stop()

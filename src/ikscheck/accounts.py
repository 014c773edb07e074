"""IBM Cloud accounts, as ACCT-001 compares them: the cluster's, the CLI's, the API key's.

Three places name an account: the ``a/<account>`` scope of the cluster's CRN in the IKS API,
``Account.GUID`` in the CLI config, and the ``account.bss`` claim of an IAM access token. An API
key belongs to the account it was created in, and IKS shows a token only its account's clusters.

The module is pure: no I/O, no pytest.
"""

from __future__ import annotations

from ikscheck import tokens
from ikscheck.errors import ParseError

__all__ = ["crn_account", "token_account"]

#: A CRN's segments: crn, version, cname, ctype, service-name, location, scope, instance,
#: resource-type, resource. The scope is ``a/<account>``, ``o/<org>``, ``s/<space>`` or empty.
_SEGMENTS = 10
_SCOPE = 6


def crn_account(crn: object) -> str:
    """The account a CRN's scope names (``a/<account>``); :class:`ParseError` saying why not.

    >>> crn_account("crn:v1:bluemix:public:containers-kubernetes:us-south:a/0a1b2c3d:bq8r2k::")
    '0a1b2c3d'
    >>> crn_account("crn:v1:bluemix:public:containers-kubernetes:us-south:o/myorg:bq8r2k::")
    Traceback (most recent call last):
    ...
    ikscheck.errors.ParseError: the crn 'crn:v1:bluemix:public:containers-kubernetes:us-south:o/myorg:bq8r2k::' names no account: its scope is 'o/myorg', not a/<account>
    >>> crn_account(None)
    Traceback (most recent call last):
    ...
    ikscheck.errors.ParseError: there is no crn
    """  # noqa: E501
    if crn is None or crn == "":
        raise ParseError("there is no crn")
    if not isinstance(crn, str):
        raise ParseError(f"the crn is {type(crn).__name__}, not a string")
    shown = repr(crn[:200])
    parts = crn.split(":")
    if parts[0] != "crn" or len(parts) != _SEGMENTS:
        raise ParseError(f"the crn {shown} is not a CRN (crn:v1:...: ten segments)")
    scope = parts[_SCOPE]
    account = scope.removeprefix("a/")
    if not scope.startswith("a/") or not account.strip():
        raise ParseError(
            f"the crn {shown} names no account: its scope is {scope!r}, not a/<account>"
        )
    return account


def token_account(access_token: str, what: str) -> str:
    """The account of an IAM access token (its ``account.bss`` claim); "" when it names none.

    A token that is no JWT raises :class:`ParseError` naming ``what``.
    """
    claims = tokens.decode(access_token, what).claims
    account = claims.get("account")
    bss = account.get("bss") if isinstance(account, dict) else None
    return bss if isinstance(bss, str) else ""

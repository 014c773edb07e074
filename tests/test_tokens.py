"""Tests for ikscheck.tokens beyond its doctests: tokens that are not JWTs."""

from __future__ import annotations

import pytest

from ikscheck import tokens
from ikscheck.errors import ParseError


@pytest.mark.parametrize("token", ["\udc80", "eyJhbGciOiJub25lIn0.e30\udcff.sig"])
def test_a_token_with_bytes_that_are_not_utf8_is_not_a_jwt(token: str) -> None:
    # Found by tests/test_fuzz.py: a file read with surrogateescape (the CLI config, a
    # kubeconfig) hands the token in with lone surrogates; PyJWT's encode let UnicodeEncodeError
    # out.
    with pytest.raises(ParseError, match="the id-token is not a JWT: it holds bytes that are not"):
        tokens.decode(token, "the id-token")

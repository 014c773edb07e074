"""docs/checks.md is generated from the checks' metadata and must not go stale."""

from __future__ import annotations

import re

import testenv
from ikscheck.catalogue import collect, render

CATALOGUE = testenv.REPO / "docs" / "checks.md"


def test_docs_catalogue_is_current() -> None:
    assert CATALOGUE.read_text() == render(collect()), (
        "docs/checks.md is stale: run `python -m ikscheck.catalogue > docs/checks.md`"
    )


def test_every_catalogued_id_of_the_implemented_areas_has_a_check() -> None:
    # shared/CHECKS.md is the contract; the areas implemented so far must be complete.
    implemented = {m.id for m in collect()}
    expected = {f"CLI-00{n}" for n in (1, 2, 3)} | {f"PLG-00{n}" for n in (1, 2, 3, 4)}
    expected |= {f"KCTL-00{n}" for n in (1, 2, 3)} | {f"KCFG-{n:03}" for n in range(1, 11)}
    expected |= {"TOK-001", "TOK-002", "TOK-003"}
    assert expected <= implemented
    assert all(re.fullmatch(r"[A-Z]{2,5}-\d{3}", i) for i in implemented)

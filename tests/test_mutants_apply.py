"""Every deliberate change of `python -m tests.mutants` still applies to today's code, so the
script can't go stale unnoticed when the code it changes moves on (it runs no tests here)."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT
from tests.mutants import MUTANTS, Mutant, mutated


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_the_mutant_applies_once_and_changes_the_code(mutant: Mutant) -> None:
    original = (ROOT / mutant.file).read_text(encoding="utf-8")
    assert mutated(mutant, original) != original

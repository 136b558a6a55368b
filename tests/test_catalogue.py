"""The names the bundle and incident layers validate against are exactly what the faults and
checkers implement (``harness.catalogue`` lets them validate without importing those)."""

import pytest

from harness import catalogue, checkers, faults
from harness.errors import ConfigError


def test_every_fault_name_is_implemented_and_every_implementation_named():
    assert tuple(faults.CATALOGUE) == catalogue.FAULTS


def test_every_invariant_name_is_judged_and_every_judged_invariant_named():
    assert set(checkers.INVARIANTS) == set(catalogue.INVARIANTS)


def test_an_unknown_fault_name_suggests_the_closest():
    with pytest.raises(ConfigError, match="unknown fault 'kill-mysql' \\(did you mean "
                                          "'kill-mysqld'\\?\\)"):
        catalogue.check_fault_name("kill-mysql")
    assert catalogue.check_fault_name("crash-node") == "crash-node"

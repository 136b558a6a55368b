"""The pytest plugin, run in-process with pytester (no Docker: only parametrization and the
outcome semantics of expected violations are exercised)."""

import pytest

CONFTEST = 'pytest_plugins = ["harness.plugin"]\n'


def test_config_option_parametrizes_by_bundle(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile("def test_b(bundle_name):\n    assert bundle_name in ('seed', 'mine')\n")
    res = pytester.runpytest("--vipchaos-config", "seed", "--vipchaos-config", "mine", "-v")
    res.assert_outcomes(passed=2)
    res.stdout.fnmatch_lines(["vipchaos: bundles=seed,mine*", "*test_b[[]seed[]]*",
                              "*test_b[[]mine[]]*"])


EXPECT_TEST = '''
import pytest
from harness.checkers import Verdict
from harness.expect import InvariantViolated, assert_result
from harness.scenario import Result, Scenario
from harness.history import History

def result(expected, **valid):
    vs = [Verdict(k, v, k) for k, v in valid.items()]
    return Result(Scenario("t", [], expected_violations=set(expected)), "seed", vs, None,
                  History(), {}, None, [])

def mark(request, expected):
    request.applymarker(pytest.mark.xfail(strict=True, raises=InvariantViolated, reason="r"))

def test_expected_and_detected(request):
    mark(request, 1)
    assert_result(result({"single_owner"}, single_owner=False, writes=True))

def test_expected_but_not_happening(request):
    mark(request, 1)
    assert_result(result({"single_owner"}, single_owner=True, writes=True))

def test_other_invariant_fails_too(request):
    mark(request, 1)
    assert_result(result({"single_owner"}, single_owner=False, writes=False))

def test_unknown_fails(request):
    assert_result(result(set(), single_owner=True, writes=None))
'''


def test_expected_violation_semantics(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(EXPECT_TEST)
    res = pytester.runpytest("-p", "no:cacheprovider")
    # detected -> xfailed; not happening -> strict XPASS (failed); another invariant failing or
    # an unknown verdict -> a real failure
    res.assert_outcomes(xfailed=1, failed=3)


@pytest.mark.parametrize("name", ["kill-mysqld", "isolate-node", "delay-link"])
def test_fault_catalogue_knows_the_suites_faults(name):
    from harness.faults import fault_class
    assert fault_class(name).name == name


def test_unknown_fault_name_is_a_clear_error():
    from harness.errors import ConfigError
    from harness.faults import fault_class
    with pytest.raises(ConfigError, match="did you mean 'pause-node'"):
        fault_class("pause-nod")

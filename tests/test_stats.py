"""The one percentile the report and the client view share: nearest rank, measured values only."""

from harness.stats import percentile, spread


def test_nearest_rank_returns_a_measured_value():
    vals = [float(i) for i in range(1, 21)]
    assert (percentile(vals, 50), percentile(vals, 95), percentile(vals, 100)) == (10.0, 19.0, 20.0)
    assert percentile([1.0, 2.0, 4.0], 50) == 2.0  # not 2.5 nor an interpolation


def test_small_samples_and_the_edges():
    assert percentile([3.0], 95) == 3.0
    assert percentile([1.0, 9.0], 0) == 1.0  # rank never below the first
    assert percentile([9.0, 1.0], 51) == 9.0  # unsorted input, rank rounds up


def test_missing_observations_are_ignored_and_none_is_nothing():
    assert percentile([None, 5.0, None, 1.0], 50) == 1.0
    assert percentile([], 50) is None
    assert percentile([None, None], 95) is None


def test_spread_is_n_p50_p95_max_and_nothing_for_no_values():
    assert spread([4.0, 1.0, 2.0, 3.0]) == {"n": 4, "p50": 2.0, "p95": 4.0, "max": 4.0}
    assert spread([]) == {"n": 0, "p50": None, "p95": None, "max": None}

from harness.checkers import Verdict, combine, run_checkers


def v(valid):
    return Verdict("x", valid, "")


def test_combine_is_pessimistic():
    assert combine([v(True), v(True)]) is True
    assert combine([v(True), v(None)]) is None
    assert combine([v(None), v(False), v(True)]) is False
    assert combine([]) is None


def test_crashing_checker_is_unknown_not_pass():
    out = run_checkers({"ok": lambda: v(True), "boom": lambda: 1 / 0})
    assert [x.valid for x in out] == [True, None]
    assert out[1].invariant == "boom"
    assert "ZeroDivisionError" in out[1].summary

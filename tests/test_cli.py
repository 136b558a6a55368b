"""`vipchaos`: exit codes, usage errors without tracebacks, the pytest command line of `run` and
`list` (a pure function), `--` passthrough, environment variables, `check`/`report` on wrong
directories, and the live-history recorder of `vipchaos up` sessions (state file, events, the
fault/heal/action commands on a fake pair). No Docker: everything that would reach the engine
is replaced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from histories import failover_history, replace_final

from harness import __version__, cli, runner, show
from harness.errors import ConfigError, DockerUnavailable, HarnessError
from harness.history import append_events
from harness.plugin import EXIT_INTERRUPTED, EXIT_PASS, EXIT_UNKNOWN, EXIT_USAGE
from harness.settings import ENV_VARS

SUITES = runner.SUITES_DIR


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """No environment leaks in, no Docker, and the state file lives in a temporary directory."""
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(cli, "STATE_FILE", tmp_path / ".vipchaos-up.json")

    def no_docker():
        raise AssertionError("this test must not reach Docker")
    monkeypatch.setattr(cli, "Engine", no_docker)
    monkeypatch.setattr(cli, "_need_root", lambda command: None)


def _no_traceback(capsys) -> str:
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    return out.err


# --- usage errors and exit codes ---------------------------------------------------------------
@pytest.mark.parametrize("argv", [[], ["bogus"], ["status", "--bogus"], ["run", "--workers", "x"],
                                  ["logs", "node1", "nginx"], ["check"], ["fault"]])
def test_argparse_usage_errors_exit_3_not_2(argv, capsys):
    assert cli.main(argv) == EXIT_USAGE
    err = _no_traceback(capsys)
    assert "usage:" in err and "error:" in err


def test_version(capsys):
    assert cli.main(["--version"]) == EXIT_PASS
    assert capsys.readouterr().out.strip() == f"vipchaos {__version__}"


def test_help_lists_the_exit_codes_and_every_environment_variable(capsys):
    assert cli.main(["--help"]) == EXIT_PASS
    out = capsys.readouterr().out
    for code in ("0 ", "1 ", "2 ", "3 ", "130"):
        assert f"\n  {code}" in out
    for var in ENV_VARS:
        assert var in out


def test_every_option_has_help_text():
    parser = cli.build_parser()
    subs = next(a for a in parser._actions if a.dest == "cmd").choices
    for name, sub in subs.items():
        for action in sub._actions:
            if action.dest != "help":
                assert action.help, f"vipchaos {name} {action.option_strings or action.dest}"


def test_run_without_config_is_a_clear_usage_error_naming_seed(capsys):
    assert cli.main(["run"]) == EXIT_USAGE
    err = _no_traceback(capsys)
    assert "--config" in err and "--seed" in err and "hardened" in err


def test_a_missing_bundle_directory_is_a_usage_error(capsys, tmp_path):
    assert cli.main(["run", "--config", str(tmp_path / "nope")]) == EXIT_USAGE
    assert "not found" in _no_traceback(capsys)


def test_an_unknown_fault_is_a_usage_error_with_a_suggestion(capsys):
    assert cli.main(["list", "--seed", "--faults", "kill-mysqlx"]) == EXIT_USAGE
    assert "did you mean 'kill-mysqld'" in _no_traceback(capsys)


def test_double_dash_only_for_run_list_exec(capsys):
    assert cli.main(["heal", "--", "x"]) == EXIT_USAGE
    assert "only for" in _no_traceback(capsys)


@pytest.mark.parametrize(("exc", "code"), [
    (ConfigError("bad bundle"), EXIT_USAGE), (DockerUnavailable("no daemon"), EXIT_UNKNOWN),
    (HarnessError("timed out"), EXIT_UNKNOWN), (KeyboardInterrupt(), EXIT_INTERRUPTED),
    (FileNotFoundError(2, "No such file", "x.sql"), EXIT_USAGE)])
def test_errors_map_to_exit_codes_without_traceback(monkeypatch, capsys, exc, code):
    def boom(args):
        raise exc
    monkeypatch.setitem(cli.COMMANDS, "status", boom)
    assert cli.main(["status"]) == code
    _no_traceback(capsys)


def test_sigterm_ends_a_command_like_ctrl_c_and_the_handler_is_restored(monkeypatch, capsys):
    import os
    import signal
    import time
    reached = []

    def long_command(args):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(2)  # interrupted before this ends
        reached.append("end")
    monkeypatch.setitem(cli.COMMANDS, "status", long_command)
    before = signal.getsignal(signal.SIGTERM)
    assert cli.main(["status"]) == EXIT_INTERRUPTED
    assert reached == [] and signal.getsignal(signal.SIGTERM) is before
    assert "interrupted" in _no_traceback(capsys)


def test_a_bug_exits_2_not_1(monkeypatch, capsys):
    def boom(args):
        raise ZeroDivisionError("bug")
    monkeypatch.setitem(cli.COMMANDS, "status", boom)
    assert cli.main(["status"]) == EXIT_UNKNOWN
    assert "a bug in vipchaos" in capsys.readouterr().err


def test_docker_not_running_is_one_message(monkeypatch, capsys):
    def down():
        raise DockerUnavailable("Cannot reach the Docker engine: start the daemon")
    monkeypatch.setattr(cli, "Engine", down)
    assert cli.main(["status", "--all"]) == EXIT_UNKNOWN
    assert "start the daemon" in _no_traceback(capsys)


@pytest.mark.parametrize(("rc", "interrupted", "collect_errors", "internal", "want"), [
    (0, False, 0, False, 0), (1, False, 0, False, 1), (2, False, 0, False, 2),
    (3, False, 0, False, 3), (4, False, 0, False, 3), (5, False, 0, False, 2),
    (130, True, 0, False, 130), (130, False, 1, False, 2), (3, False, 0, True, 2)])
def test_pytest_status_becomes_ours(rc, interrupted, collect_errors, internal, want):
    w = cli.SessionWatch()
    w.interrupted, w.collect_errors, w.internal = interrupted, collect_errors, internal
    assert runner.exit_status(rc, w) == want


# --- run / list: the pytest command line --------------------------------------------------------
def test_pytest_argv_defaults_to_the_chaos_suites_only():
    argv = runner.pytest_argv(bundles=["/b/prod"])
    assert argv[0] == str(SUITES)
    ignored = [argv[i + 1] for i, a in enumerate(argv) if a == "--ignore"]
    assert ignored == [str(SUITES / f) for f in ("test_bad_input.py", "test_lab_seal.py",
                                                 "test_incidents.py")]
    assert argv[argv.index("--vipchaos-config") + 1] == "/b/prod"
    assert "-n" not in argv and "--collect-only" not in argv
    assert argv[-2:] == ["-p", "no:cacheprovider"]


def test_pytest_argv_selection_workers_repeat_and_passthrough_last():
    argv = runner.pytest_argv(bundles=["a", "b"], self_tests=True, incidents=True,
                           faults=["kill-mysqld", "crash-node"], marker="chaos", keyword="node",
                           exitfirst=True, workers=4, repeat=3, run_dir="runs/x",
                           junitxml="j.xml", subnet="198.18.191.0/24", keep=True,
                           extra=["-v", "--lf"])
    assert "--ignore" not in argv
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--vipchaos-config"] == ["a", "b"]
    pairs = {a: argv[i + 1] for i, a in enumerate(argv[:-1])}
    assert pairs["--vipchaos-faults"] == "kill-mysqld,crash-node"
    assert pairs["-m"] == "chaos" and pairs["-k"] == "node" and "-x" in argv
    assert pairs["-n"] == "4" and pairs["--dist"] == "load"
    assert pairs["--vipchaos-repeat"] == "3" and pairs["--vipchaos-run-dir"] == "runs/x"
    assert pairs["--junitxml"] == "j.xml" and pairs["--vipchaos-subnet"] == "198.18.191.0/24"
    assert "--vipchaos-keep" in argv
    assert argv[-2:] == ["-v", "--lf"]


def test_pytest_argv_collect_only_never_spawns_workers():
    argv = runner.pytest_argv(bundles=["seed"], workers=8, collect_only=True)
    assert "-n" not in argv and argv[-2:] == ["--collect-only", "-q"]


def test_default_workers_like_the_makefile():
    assert runner.default_workers(cpus=2, mem_gib=23) == 3
    assert runner.default_workers(cpus=16, mem_gib=7) == 2
    assert runner.default_workers(cpus=1, mem_gib=1) == 1


@pytest.fixture
def pytest_calls(monkeypatch):
    """Replace the pytest session: record its argv, collect one test."""
    calls = []

    def fake(argv, watch, say, to_stderr=False):
        calls.append(argv)
        watch.collected = 1
        return 0
    monkeypatch.setattr(cli, "run_pytest", fake)
    return calls


def test_list_builds_the_collect_only_argv_with_passthrough(pytest_calls, capsys):
    assert cli.main(["list", "--seed", "--faults", "kill-mysqld", "-k", "owner", "--",
                     "-v", "--lf"]) == EXIT_PASS
    argv = pytest_calls[0]
    assert argv[argv.index("--vipchaos-config") + 1] == "seed"
    assert argv[argv.index("--vipchaos-faults") + 1] == "kill-mysqld"
    assert argv[argv.index("-k") + 1] == "owner"
    assert "--collect-only" in argv and argv[-2:] == ["-v", "--lf"]
    assert "1 test(s) would run" in capsys.readouterr().err


def test_list_without_config_says_it_lists_as_for_the_seed(pytest_calls, capsys):
    assert cli.main(["list"]) == EXIT_PASS
    assert "--vipchaos-config" in pytest_calls[0] and "seed" in pytest_calls[0]
    assert "needs --config or --seed" in capsys.readouterr().err


def test_list_of_a_directory_passes_its_absolute_path(pytest_calls, monkeypatch, tmp_path):
    monkeypatch.chdir(SUITES.parent)
    assert cli.main(["list", "--config", "examples/production-paste"]) == EXIT_PASS
    argv = pytest_calls[0]
    assert argv[argv.index("--vipchaos-config") + 1] == str(
        (SUITES.parent / "examples" / "production-paste").resolve())


def test_environment_is_honoured_and_the_option_wins(pytest_calls, monkeypatch):
    monkeypatch.setenv("VIPCHAOS_CONFIG", "hardened")
    monkeypatch.setenv("VIPCHAOS_FAULTS", "crash-node")
    assert cli.main(["list"]) == EXIT_PASS
    argv = pytest_calls[-1]
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--vipchaos-config"] == ["hardened"]
    assert argv[argv.index("--vipchaos-faults") + 1] == "crash-node"
    assert cli.main(["list", "--config", "seed", "--faults", "kill-mysqld"]) == EXIT_PASS
    argv = pytest_calls[-1]
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--vipchaos-config"] == ["seed"]
    assert argv[argv.index("--vipchaos-faults") + 1] == "kill-mysqld"


def test_run_validates_then_runs_pytest_with_workers_and_returns_its_status(
        monkeypatch, capsys, tmp_path):
    seen = {}

    def fake(argv, watch, say, to_stderr=False):
        seen["argv"] = argv
        return 1  # the plugin's EXIT_VIOLATION
    monkeypatch.setattr(cli, "run_pytest", fake)
    monkeypatch.setattr(cli, "Engine", lambda: "engine")
    monkeypatch.setattr(cli, "_image", lambda engine, platform=None: "image")
    validated = []
    monkeypatch.setattr(cli, "validate_or_raise",
                        lambda b, e, i, say=print: validated.append(b.name))
    monkeypatch.setenv("VIPCHAOS_RUN_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("VIPCHAOS_SUBNET", "198.18.191.0/24")
    assert cli.main(["run", "--seed", "--workers", "3", "--repeat", "2"]) == 1
    argv = seen["argv"]
    assert validated == ["seed"]
    assert argv[argv.index("-n") + 1] == "3"
    assert argv[argv.index("--vipchaos-repeat") + 1] == "2"
    assert argv[argv.index("--vipchaos-run-dir") + 1] == str(tmp_path / "run")
    assert argv[argv.index("--vipchaos-subnet") + 1] == "198.18.191.0/24"
    assert "exit 1 (violation)" in capsys.readouterr().err


def test_run_json_prints_the_summary(monkeypatch, capsys, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "session.json").write_text(json.dumps({"gate": True, "why": "1 pass"}))
    (run_dir / "summary.json").write_text(json.dumps({"outcomes": {"pass": 1},
                                                      "results": [{"test": "t"}]}))
    monkeypatch.setattr(cli, "run_pytest", lambda argv, watch, say, to_stderr=False: 0)
    monkeypatch.setattr(cli, "Engine", lambda: "engine")
    monkeypatch.setattr(cli, "_image", lambda engine, platform=None: "image")
    monkeypatch.setattr(cli, "validate_or_raise", lambda *a, **k: None)
    assert cli.main(["run", "--seed", "--workers", "1", "--run-dir", str(run_dir),
                     "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["exit_status"] == 0 and out["gate"] is True and out["results"] == [{"test": "t"}]


# --- check / report -----------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["check", "report"])
def test_check_and_report_on_a_missing_dir_exit_3_without_traceback(command, capsys, tmp_path):
    assert cli.main([command, str(tmp_path / "nope")]) == EXIT_USAGE
    assert "no such directory" in _no_traceback(capsys)


@pytest.mark.parametrize("command", ["check", "report"])
def test_check_and_report_on_an_empty_dir_exit_3(command, capsys, tmp_path):
    assert cli.main([command, str(tmp_path)]) == EXIT_USAGE
    err = _no_traceback(capsys)
    assert str(tmp_path) in err and "runs/latest" in err
    assert not (tmp_path / "summary.json").exists()  # nothing written into a wrong directory


def test_a_dangling_latest_is_named(capsys, tmp_path):
    (tmp_path / "latest").symlink_to("gone")
    assert cli.main(["check", str(tmp_path / "latest")]) == EXIT_USAGE
    assert "no longer exists" in _no_traceback(capsys)


def _write(dir_: Path, events) -> Path:
    dir_.mkdir(parents=True)
    append_events(dir_ / "history.jsonl", events)
    return dir_


def test_check_judges_a_test_a_run_and_latest(capsys, tmp_path, monkeypatch):
    run = tmp_path / "runs" / "20260101-000000-1"
    _write(run / "seed-kill-mysqld-owner", failover_history())
    assert cli.main(["check", str(run / "seed-kill-mysqld-owner")]) == EXIT_PASS
    assert "outcome: pass" in capsys.readouterr().out
    _write(run / "seed-unfinished", [e for e in failover_history() if e["kind"] != "final"])
    (tmp_path / "runs" / "latest").symlink_to(run.name)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", "runs/latest"]) == EXIT_UNKNOWN
    out = capsys.readouterr().out
    assert "seed-kill-mysqld-owner: pass" in out and "seed-unfinished: unknown" in out
    assert cli.main(["check", "latest", "--json"]) == EXIT_UNKNOWN
    doc = json.loads(capsys.readouterr().out)
    assert doc["gate"] is False and len(doc["results"]) == 2


def test_check_a_violation_exits_1(capsys, tmp_path):
    lost = replace_final(failover_history(), nodes={"node1": {"reachable": True, "write_ids": [],
                                                              "channels": [], "checksum": 1},
                                                    "node2": {"reachable": True, "write_ids": [],
                                                              "channels": [], "checksum": 1}})
    assert cli.main(["check", str(_write(tmp_path / "t", lost))]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_check_of_a_corrupt_history_is_unknown_naming_the_line(capsys, tmp_path):
    (tmp_path / "history.jsonl").write_text('{"t": 0.0, "kind": "run"}\n{not json\n')
    assert cli.main(["check", str(tmp_path)]) == EXIT_UNKNOWN
    out = capsys.readouterr().out
    assert "Traceback" not in out
    assert f"{tmp_path / 'history.jsonl'}:2: not a JSON event" in out and "unknown" in out


def test_check_judges_the_other_histories_of_a_run_with_a_corrupt_one(capsys, tmp_path):
    _write(tmp_path / "good", failover_history())
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "history.jsonl").write_text(
        '{"t": 0.0, "kind": "run"}\n{"t": 1.0, "kind": "op", "ty{"t": 1.1, "kind": "vip"}\n')
    assert cli.main(["check", str(tmp_path)]) == EXIT_UNKNOWN
    out = capsys.readouterr().out
    assert "Traceback" not in out
    assert "good: pass" in out and "bad: unknown" in out and "history.jsonl:2:" in out


def test_report_on_a_test_directory_points_to_check(capsys, tmp_path):
    _write(tmp_path / "t", failover_history())
    assert cli.main(["report", str(tmp_path / "t")]) == EXIT_USAGE
    assert "`vipchaos check` judges it" in _no_traceback(capsys)


# --- the pair from `vipchaos up` -----------------------------------------------------------------
@pytest.mark.parametrize("argv", [["down"], ["fault", "kill-mysqld"], ["heal"], ["watch"],
                                  ["action", "restore"], ["sql", "vip", "SELECT 1"],
                                  ["exec", "node1", "--", "true"], ["logs", "node1"]])
def test_commands_on_the_up_pair_without_one_exit_3(argv, capsys):
    assert cli.main(argv) == EXIT_USAGE
    assert "no pair from `vipchaos up` here" in _no_traceback(capsys)


def test_format_table():
    assert show.format_table(["a", "long"], [[1, None], [b"xy", "z\nw"]]).splitlines() == [
        "a   long", "1   NULL", "xy  z\\nw"]


# --- the live recorder --------------------------------------------------------------------------

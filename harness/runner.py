"""``vipchaos run`` and ``vipchaos list`` are pytest sessions over the chaos suites: their
command line (``pytest_argv``), a plugin object that sees what pytest's status cannot
(``SessionWatch``), and the session's status as one of ours (``exit_status``)."""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.errors import ConfigError
from harness.exitcodes import EXIT_INTERRUPTED, EXIT_UNKNOWN, EXIT_USAGE, MEANING
from harness.files import RunFileError, read_json

SUITES_DIR = Path(__file__).resolve().parent.parent / "suites"
#: bundle-independent suites, only on request
SELF_TESTS = ("test_bad_input.py", "test_lab_seal.py")
INCIDENT_SUITE = "test_incidents.py"


def default_workers(cpus: int | None = None, mem_gib: float | None = None) -> int:
    """Like the Makefile: cores + 1 (the work is mostly waiting on VRRP timers), at most one
    worker per 3 GiB of memory (a pair takes ~1 GiB)."""
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    if mem_gib is None:
        mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return max(1, min(cpus + 1, int(mem_gib // 3)))


def check_suites() -> None:
    if not SUITES_DIR.is_dir():
        raise ConfigError(f"the chaos suites are not here ({SUITES_DIR}): run vipchaos from a "
                          "checkout of its repository (pip install -e .)")


def pytest_argv(*, bundles: list[str], suites: Path = SUITES_DIR, self_tests: bool = False,
                incidents: bool = False, faults: list[str] | None = None,
                clients: list[str] | None = None,
                marker: str | None = None, keyword: str | None = None,
                exitfirst: bool = False, workers: int = 1, repeat: int = 1,
                run_dir: str | None = None, junitxml: str | None = None,
                subnet: str | None = None, keep: bool = False, collect_only: bool = False,
                extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The pytest command line of ``vipchaos run`` (and, with ``collect_only``, of
    ``vipchaos list``): the chaos suites against ``bundles``; the self-tests and incident
    replays only when asked; ``extra`` (after ``--``) appended unchanged."""
    argv = [str(suites)]
    skipped = [*(() if self_tests else SELF_TESTS), *(() if incidents else (INCIDENT_SUITE,))]
    for name in skipped:
        argv += ["--ignore", str(suites / name)]
    for b in bundles:
        argv += ["--vipchaos-config", b]
    if faults:
        argv += ["--vipchaos-faults", ",".join(faults)]
    if clients and clients != ["direct"]:
        argv += ["--vipchaos-clients", ",".join(clients)]
    if marker:
        argv += ["-m", marker]
    if keyword:
        argv += ["-k", keyword]
    if exitfirst:
        argv.append("-x")
    if repeat != 1:
        argv += ["--vipchaos-repeat", str(repeat)]
    if run_dir:
        argv += ["--vipchaos-run-dir", run_dir]
    if junitxml:
        argv += ["--junitxml", junitxml]
    if subnet:
        argv += ["--vipchaos-subnet", subnet]
    if keep:
        argv.append("--vipchaos-keep")
    argv += ["-p", "no:cacheprovider"]
    if collect_only:
        argv += ["--collect-only", "-q"]
    elif workers > 1:
        argv += ["-n", str(workers), "--dist", "load"]
    return argv + list(extra)


class SessionWatch:
    """A pytest plugin object telling the CLI what pytest's exit status cannot: whether the
    session was interrupted, crashed inside pytest, or failed to collect."""

    def __init__(self, collect_only: bool = False) -> None:
        self.collect_only = collect_only
        self.interrupted = self.internal = False
        self.collect_errors = 0
        self.collected = 0

    def pytest_keyboard_interrupt(self, excinfo) -> None:
        self.interrupted = True

    def pytest_internalerror(self, excrepr, excinfo) -> None:
        self.internal = True

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.collect_errors += 1

    def pytest_collection_finish(self, session) -> None:
        self.collected = len(session.items)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session) -> None:
        # `list` is --collect-only: no chaos test executes by design, so the plugin's gate
        # ("no chaos test executed") and its report are not the listing's business.
        if self.collect_only and hasattr(session.config, "_vipchaos_gate"):
            del session.config._vipchaos_gate


def exit_status(rc: int, watch: SessionWatch) -> int:
    """pytest's (or the plugin's) status as one of ours."""
    if watch.interrupted:
        return EXIT_INTERRUPTED
    if watch.internal:
        return EXIT_UNKNOWN
    if rc == 4:  # pytest's usage error (an option after `--`, a path that does not exist)
        return EXIT_USAGE
    if rc == 5:  # nothing collected: nothing executed
        return EXIT_UNKNOWN
    if rc == EXIT_INTERRUPTED and watch.collect_errors:  # pytest stops on collection errors
        return EXIT_UNKNOWN
    return int(rc)


def run_pytest(argv: list[str], watch: SessionWatch, say: Callable[[str], None],
               to_stderr: bool = False) -> int:
    """pytest in this process with ``argv``; its status as one of ours."""
    say("pytest " + shlex.join(argv))
    with contextlib.redirect_stdout(sys.stderr) if to_stderr else contextlib.nullcontext():
        rc = pytest.main(argv, plugins=[watch])
    return exit_status(int(rc), watch)


def run_summary(run_dir: Path, rc: int) -> dict[str, Any]:
    """The JSON of ``vipchaos run --json``: exit status, the gate and every test's result."""
    out: dict[str, Any] = {"exit_status": rc, "meaning": MEANING.get(rc, "pytest status"),
                           "run_dir": str(run_dir), "gate": None, "why": None, "results": []}
    for name, keys in (("session.json", ("gate", "why")), ("summary.json", ("outcomes",))):
        path = run_dir / name
        if path.is_file():
            try:
                data = read_json(path)
            except RunFileError as exc:
                out.setdefault("errors", []).append(str(exc))
                continue
            out.update({k: data.get(k) for k in keys})
            if name == "summary.json":
                out["results"] = data.get("results", [])
    return out


"""Exit statuses, the same for every entry point (the pytest session, ``vipchaos run``,
``check``, ``report``, ``replay``, ``explore``), and the one mapping from judged outcomes to
them."""

from __future__ import annotations

from collections.abc import Iterable

from harness.judge import gate

EXIT_PASS, EXIT_VIOLATION, EXIT_UNKNOWN, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
MEANING = {EXIT_PASS: "pass", EXIT_VIOLATION: "violation", EXIT_UNKNOWN: "unknown",
           EXIT_USAGE: "usage", EXIT_INTERRUPTED: "interrupted"}

HELP = f"""\
exit status (the same as the pytest plugin's):
  {EXIT_PASS}    every invariant held (or an accepted risk happened as declared)
  {EXIT_VIOLATION}    an invariant was violated (or an accepted risk no longer happens; or the
       pair never came up as its config intends)
  {EXIT_UNKNOWN}    unknown or harness failure: something not observed, a crash, Docker
       unreachable, a fault that could not be verified, nothing executed
  {EXIT_USAGE}    usage or configuration error: bad option, invalid bundle or incident file,
       missing run directory, no pair from `vipchaos up`
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C, SIGTERM); the pair is removed
  (`vipchaos exec` exits with the command's own status)"""


def status_for(outcomes: Iterable[str]) -> int:
    """The exit status of a set of judged outcomes: 0 when the gate passes, 1 when anything
    failed (a violation beats an unknown), 2 otherwise (unknown, error, nothing executed)."""
    outcomes = list(outcomes)
    if gate(outcomes)[0]:
        return EXIT_PASS
    return EXIT_VIOLATION if "fail" in outcomes else EXIT_UNKNOWN

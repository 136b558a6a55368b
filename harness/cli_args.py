"""The command line's shape: every ``vipchaos`` command with its options and help texts. The
commands themselves are ``harness.cli``'s ``cmd_*`` functions, handed in as ``handlers``."""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable

from harness import __version__
from harness.exitcodes import EXIT_USAGE
from harness.exitcodes import HELP as EXIT_HELP
from harness.platform import MATRIX, PLATFORMS
from harness.runner import default_workers
from harness.session import STATE_NAME as STATE_FILE
from harness.show import catalogue

ENV_HELP = """\
environment (an option on the command line wins):
  VIPCHAOS_CONFIG      bundle(s) for run, list, validate, up when no --config/--seed
                       (names or directories, comma-separated)
  VIPCHAOS_RUN_DIR     run: where histories and reports go (default runs/<timestamp>-<pid>)
  VIPCHAOS_SUBNET      run, up: lab subnet for the pairs (default: the bundle's, else a free
                       /24 of 198.18.0.0/15)
  VIPCHAOS_FAULTS      run, list: only these faults, comma-separated (as --faults)
  VIPCHAOS_CLIENTS     run: client profiles beside the direct writer (as --clients)
  VIPCHAOS_KEEP        run: 1 leaves the pairs running at the end (as --keep)
  VIPCHAOS_BASE_IMAGE  the base image the node image is built from (debian:sid-slim)
  VIPCHAOS_NETWORK     run, list, validate, up: the network profile (as --network: cloud)
  VIPCHAOS_PLATFORM    run, list, validate, up: the platform every bundle runs on (as
                       --platform: mariadb-10.11, database=mariadb-11.8,keepalived=2.3.3)
  DOCKER_HOST          the Docker engine (default: the local socket)"""

WORKFLOW_HELP = """\
test your config:   vipchaos validate --config DIR   then   vipchaos run --config DIR
by hand:            vipchaos up --config DIR; vipchaos watch (2nd terminal);
                    vipchaos fault kill-mysqld; vipchaos heal; vipchaos down; vipchaos check
                    runs/up-<run>
reference:          docs/cli.md"""

DESCRIPTION = """vipchaos: chaos tests for a MySQL GTID dual-master pair behind a keepalived VIP, on
real containers. Test your own config bundle (`run`, `validate`), drive a pair by hand (`up`,
`status`, `watch`, `fault`, `heal`, `action`, `sql`, `exec`, `logs`, `down`), judge and report
runs (`check`, `report`), replay incidents (`replay`). `vipchaos COMMAND -h` explains each."""


class Parser(argparse.ArgumentParser):
    """argparse with usage errors exiting 3 (EXIT_USAGE), not argparse's 2 (EXIT_UNKNOWN)."""

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


SERVED = ", ".join(p.name for p in PLATFORMS)


def _add_config(s: argparse.ArgumentParser, what: str) -> None:
    s.add_argument("--config", action="append", metavar="BUNDLE",
                   help=f"{what}: a bundle directory (or a shipped bundle's name); repeatable "
                        "or comma-separated (env VIPCHAOS_CONFIG)")
    s.add_argument("--seed", action="store_true",
                   help="the shipped seed bundle (the tutorial's config), named explicitly")
    s.add_argument("--platform", action="append", metavar="PLATFORM",
                   help="the server and keepalived to run on instead of the bundle's "
                        "[platform]: database=mariadb-10.11,keepalived=2.2.7, a name such as "
                        "mariadb-11.8+keepalived-2.3.3, or one word implying the rest "
                        "(mariadb-10.11, bookworm); repeatable: each bundle on each platform "
                        f"(env VIPCHAOS_PLATFORM; served: {SERVED})")
    s.add_argument("--matrix", action="store_true",
                   help=f"each bundle on {', '.join(MATRIX)} (plus any --platform)")
    s.add_argument("--network", action="append", metavar="PROFILE",
                   help="the lab network's profile instead of the bundle's: lan (one segment) "
                        "or cloud (multicast dropped, gratuitous ARP ignored: the address "
                        "stays with the node the network first learned); repeatable or "
                        "comma-separated: each bundle on each (env VIPCHAOS_NETWORK)")


def build_parser(handlers: dict[str, Callable]) -> Parser:
    """Every command with its options and help; ``handlers`` maps a command to the
    function that runs it (``harness.cli``)."""
    fmt = argparse.RawDescriptionHelpFormatter
    p = Parser(prog="vipchaos", description=DESCRIPTION, formatter_class=fmt,
               epilog="\n\n".join([WORKFLOW_HELP, EXIT_HELP, ENV_HELP]))
    p.add_argument("--version", action="version", version=f"vipchaos {__version__}")
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    def cmd(name: str, help_: str, description: str | None = None, **kw) -> Parser:
        s = sub.add_parser(name, help=help_, description=textwrap.fill(description or help_, 92),
                           formatter_class=fmt, epilog=kw.pop("epilog", EXIT_HELP), **kw)
        s.set_defaults(fn=handlers[name])
        return s

    # testing a bundle
    s = cmd("run", "run the chaos suites against your bundle (exit 0/1/2/3/130)",
            "Run the chaos suites (pytest) against your bundle: one pair per bundle and worker, "
            "every fault of the catalogue (or those selected), each judged from its recorded "
            "history. The bundle-independent self-tests and the shipped incident replays run "
            "only when asked. Anything after `--` goes to pytest unchanged, e.g. `vipchaos run "
            "--config prod/ -- -v --timeout 600`. The exit status is the session's gate.",
            epilog=EXIT_HELP + "\n\n" + ENV_HELP)
    _add_config(s, "the bundle(s) to test (required, or --seed)")
    _add_selection(s)
    s.add_argument("--workers", type=int, metavar="N",
                   help="parallel pairs (pytest-xdist -n N --dist load); 1 = serial (default: "
                        f"cores + 1, at most one per 3 GiB of memory: {default_workers()} here)")
    s.add_argument("--run-dir", metavar="DIR", help="where histories and reports go (default "
                   "runs/<timestamp>-<pid>; env VIPCHAOS_RUN_DIR); runs/latest points to it")
    s.add_argument("--junitxml", metavar="FILE", help="also write pytest's own JUnit XML here "
                   "(the run directory always gets vipchaos' junit.xml)")
    s.add_argument("--subnet", metavar="CIDR", help="lab subnet for the pairs (default: the "
                   "bundle's, else a free /24 of 198.18.0.0/15; env VIPCHAOS_SUBNET)")
    s.add_argument("--keep", action="store_true", help="leave the pairs running at the end "
                   "(debugging; `vipchaos clean --all` removes them; env VIPCHAOS_KEEP=1)")
    s.add_argument("--json", action="store_true", help="pytest's output to stderr; print the "
                   "summary (exit status, gate, every test's result) as JSON on stdout")
    s = cmd("list", "show what `vipchaos run` would run (pytest --collect-only -q)",
            "List the tests `vipchaos run` would run with the same options, without starting "
            "anything (no Docker needed).", epilog=EXIT_HELP + "\n\n" + ENV_HELP)
    _add_config(s, "the bundle(s) (default: as for the seed)")
    _add_selection(s)
    s = cmd("validate", "check a bundle in seconds (keepalived -t in the node image, scripts, "
            "addresses, accounts), no pair started")
    _add_config(s, "the bundle(s) to check (required, or --seed)")
    s.add_argument("--json", action="store_true",
                   help="print {bundle, path, valid, errors: [...], warnings: [...]} as JSON")
    s = cmd("import", "write a bundle from production keepalived.conf files (and check "
            "scripts, my.cnf, accounts), copied as they are")
    s.add_argument("confs", nargs=2, metavar="CONF", help="node1's and node2's keepalived.conf")
    s.add_argument("--scripts-node1", nargs="+", action="extend", default=[], metavar="FILE",
                   help="node1's check scripts (placed where its keepalived.conf runs them)")
    s.add_argument("--scripts-node2", nargs="+", action="extend", default=[], metavar="FILE",
                   help="node2's check scripts")
    s.add_argument("--mycnf-node1", metavar="FILE", help="node1's my.cnf (becomes /etc/my.cnf)")
    s.add_argument("--mycnf-node2", metavar="FILE", help="node2's my.cnf")
    s.add_argument("--accounts", metavar="FILE", help="accounts.sql: CREATE USER/GRANT "
                   "statements of the accounts the scripts and replication use")
    s.add_argument("--replication", metavar="FILE", help="replication's setup SQL (CHANGE "
                   "MASTER TO ... MASTER_USER=..., as the tutorial's step 2): checked against "
                   "the server, and names the replication account")
    s.add_argument("--out", required=True, help="the new bundle directory (must not exist)")

    # a pair by hand
    s = cmd("up", "bring a pair up and leave it running (until `vipchaos down`)",
            "Bring a pair up for your bundle and leave it running; its bring-up is judged "
            "(runs/up-<run>/bring-up) and a session history starts (runs/up-<run>/history."
            "jsonl) that `watch`, `fault`, `heal`, `action` and `down` add to. State: "
            f"{STATE_FILE} in this directory (run the other commands from here). Only "
            "`vipchaos down` (or `clean --all`) removes the pair.")
    _add_config(s, "the bundle (required, or --seed)")
    s.add_argument("--subnet", metavar="CIDR", help="lab subnet to move the bundle to (e.g. "
                   "198.18.160.0/24; default: the bundle's, else the first free /24 of "
                   "198.18.0.0/15; env VIPCHAOS_SUBNET)")
    s.add_argument("--no-validate", action="store_true",
                   help="skip `vipchaos validate` (saves ~2 s)")
    s = cmd("status", "the pair from `vipchaos up`: per node VRRP state, VIP, keepalived, "
            "mysqld, replication; connection details")
    s.add_argument("--json", action="store_true", help="print it as JSON")
    s.add_argument("--all", action="store_true",
                   help="list every vipchaos container and network instead")
    s = cmd("watch", "observe the `up` pair in the foreground, recording into its history "
            "(Ctrl-C stops and records the final state)",
            "Run the observers of a test (VIP, keepalived log, processes, ARP, replication) and "
            "a writer through the VIP, printing VRRP transitions, VIP moves, faults and actions "
            "as they happen and appending everything to the session history. Ctrl-C (or "
            "`vipchaos down`) stops writing, waits for replication to converge (a second "
            "Ctrl-C skips), records the final state and prints the verdicts. What happens while "
            "nothing watches is not observed: verdicts over it are unknown.")
    s.add_argument("--rate", type=float, default=20.0, metavar="N",
                   help="writes per second through the VIP (default 20; 0: none, then the "
                        "writes and migration verdicts are unknown)")
    s.add_argument("--mode", choices=["insert", "next-number"], default="insert",
                   help="insert: one row per write; next-number: plus a MAX()+1 ticket, as "
                        "applications make numbers (default insert)")
    s = cmd("fault", "inject a fault into the `up` pair and verify it (stays until `vipchaos "
            "heal`)", epilog=catalogue() + "\n\n" + EXIT_HELP)
    s.add_argument("name", help="the fault (list below; `vipchaos faults`)")
    s.add_argument("--target", default="owner",
                   help="owner (default: who holds the VIP now), standby, or a node name")
    s.add_argument("--param", action="append", metavar="KEY=VALUE",
                   help="a fault parameter, repeatable (lossy-link probability=0.5, delay-link "
                        "delay_ms=200, cpu-starvation cpu=0.05, slow-replication rate=16kbit)")
    s.add_argument("--for", type=float, metavar="SECONDS",
                   help="heal it after this long (default: stays until `vipchaos heal`)")
    s = cmd("heal", "heal the active faults of the `up` pair (all, or the one named)")
    s.add_argument("name", nargs="?", help="only this fault (default: every active one)")
    s.add_argument("--target", metavar="NODE", help="only on this node")
    s = cmd("action", "run an operator action on the `up` pair (restore, start-keepalived, "
            "reboot, ...)", epilog=catalogue() + "\n\n" + EXIT_HELP)
    s.add_argument("name", help="the action; `systemctl start keepalived` style also works")
    s.add_argument("--target", default="owner",
                   help="owner (default), standby, or a node name")
    s.add_argument("--param", action="append", metavar="KEY=VALUE",
                   help="an action parameter (replace-file path=... content=...)")
    cmd("faults", "list the faults and operator actions")
    s = cmd("sql", "run one SQL statement on a node or through the VIP",
            "Run one statement as the lab's admin account (vipchaos/vipchaos) on a node of the "
            "`up` pair or through its VIP; rows as a table (or JSON). MySQL refusing it exits "
            "3, a server that cannot be reached 2.")
    s.add_argument("target", help="vip, owner, standby, or a node name")
    s.add_argument("query", help='the statement, quoted: "SHOW REPLICA STATUS"')
    s.add_argument("--database", "-d", help="default database (e.g. vipchaos)")
    s.add_argument("--timeout", type=float, default=5.0, help="seconds (default 5)")
    s.add_argument("--json", action="store_true", help="print columns and rows as JSON")
    s = cmd("exec", "run a command in a node of the `up` pair",
            "Run a command in a node (docker exec, no TTY) and print its output; exits with "
            "the command's own status. `vipchaos exec node1 -- ps aux`, or one quoted string "
            "for a shell line: `vipchaos exec owner 'cat /etc/keepalived/*.sh'`.")
    s.add_argument("node", help="owner, standby, or a node name")
    s.add_argument("command", nargs="*", help="the command (after --)")
    s = cmd("logs", "tail mysqld's or keepalived's log in a node of the `up` pair")
    s.add_argument("node", help="owner, standby, or a node name")
    s.add_argument("what", nargs="?", choices=["mysqld", "keepalived", "services", "all"],
                   default="all",
                   help="which log (default all)")
    s.add_argument("-n", type=int, default=50, help="lines from the end (default 50; 0: all)")
    s = cmd("down", "end the `up` session: heal, record the final state, judge, remove the pair",
            "Heal what is still active (recorded), stop `vipchaos watch` (which records the final "
            "state) or record it here, print the session's verdicts, then remove the pair and "
            "nothing else.")
    s.add_argument("--run", metavar="RUN_ID", help="remove this run instead (default: the one "
                   f"in {STATE_FILE}); no final state")
    s.add_argument("--no-final", action="store_true",
                   help="remove at once: no heal, no final state, no verdict")
    s.add_argument("--quiet", action="store_true", help="say nothing when nothing is left")

    # stored runs
    s = cmd("check", "judge stored histories again (a test, a run, or runs/up-<run>)",
            "Judge again from history.jsonl alone: a test directory, a run directory (each test "
            "in it; the gate over them), runs/up-<run> of a `vipchaos up` session, "
            "or runs/latest.")
    s.add_argument("dir", metavar="DIR", help="runs/latest, runs/<run>, runs/<run>/<test>, or "
                   "runs/up-<run>")
    s.add_argument("--json", action="store_true", help="print the result(s) as JSON")
    s = cmd("report", "re-render a run's report (summary table, junit.xml, index.html)")
    s.add_argument("dir", metavar="DIR", help="a run directory (runs/latest, runs/<run>)")
    s = cmd("explore", "seeded exploration: random fault sequences on one pair; violations "
            "written as incident files and replayed",
            "Draw episodes from --seed (one to three faults on the owner or standby, overlapping "
            "or not, held for drawn times, sometimes the runbook's restore afterwards; inserts "
            "or MAX()+1 tickets) and run them on one pair until --duration is up, judged like "
            "the suites (the bundle's accepted risks apply). Each episode that violates an "
            "invariant is written as incidents/explore-<seed>-<n>.yaml under the run and "
            "replayed at the end on the same pair. Exit 1 when a violation was found, 2 when "
            "something stayed unknown, 0 when every episode held.")
    s.add_argument("--seed", type=int, metavar="S",
                   help="the generator's seed (default: a random one, printed)")
    s.add_argument("--duration", default="10m", help="how long to draw new episodes (e.g. "
                   "10m, 90s; default 10m)")
    s.add_argument("--config", action="append", metavar="BUNDLE",
                   help="the bundle: a directory or a shipped bundle's name (env "
                        "VIPCHAOS_CONFIG)")
    s.add_argument("--faults", metavar="F1,F2", help="draw only these faults (default: the "
                   "bundle's own `faults`, else the whole catalogue)")
    s.add_argument("--no-replay", action="store_true",
                   help="do not replay the incident files written")
    s.add_argument("--replays", type=int, default=3, metavar="N",
                   help="replay each shrunk incident file N times and record its rate (k of N; "
                        "default 3)")
    s.add_argument("--subnet", help="lab subnet (default: the bundle's, or a free one)")
    s.add_argument("--run-dir", metavar="DIR",
                   help="where results go (default runs/explore-<timestamp>)")
    s = cmd("replay", "replay an incident file on a fresh pair and judge it")
    s.add_argument("file", help="an incident file (incidents/*.yaml)")
    s.add_argument("--run-dir", metavar="DIR",
                   help="where results go (default runs/replay-<timestamp>)")

    # machinery
    s = cmd("images", "make the base and node images (offline if need be)")
    s.add_argument("--base", help="base image (default: the platform's, debian:sid-slim for "
                   "the default; env VIPCHAOS_BASE_IMAGE)")
    s.add_argument("--platform", action="append", metavar="PLATFORM",
                   help=f"the platform's image (repeatable; served: {SERVED})")
    s.add_argument("--matrix", action="store_true", help=f"the images of {', '.join(MATRIX)}")
    s = cmd("clean", "remove what dead runs left (owner process gone); says what first",
            "Remove the containers, networks, host links (vc-*) and iptables chains (VC-*) of "
            "runs whose owning process is gone (killed sessions, crashed workers). Live "
            "sessions and pairs from `vipchaos up` are kept: `vipchaos down` removes the latter.")
    s.add_argument("--all", action="store_true",
                   help="remove everything of ours, live runs and `up` pairs included")
    s.add_argument("--dry-run", action="store_true", help="only list what would go")
    s.add_argument("--quiet", action="store_true", help="say nothing when nothing is to go")
    s = cmd("bench", "bring-up/reset times, or failover distributions (n, p50, p95, max per "
            "fault and bundle)")
    s.add_argument("what", choices=["bringup", "failover"], help="what to measure")
    s.add_argument("run_dirs", nargs="*", help="for failover: aggregate these run directories "
                   "instead of running")
    s.add_argument("--config", action="append", help="bundle(s) (repeatable; default seed, and "
                   "hardened for failover)")
    s.add_argument("--fault", help="for failover: the fault to repeat (e.g. kill-mysqld)")
    s.add_argument("--target", default="owner", help="owner | standby | a node name")
    s.add_argument("--runs", type=int, default=5, help="repetitions per bundle (default 5)")
    s.add_argument("--run-dir", help="where results go (default runs/bench-<timestamp>)")
    s.add_argument("--clients", metavar="P1,P2", help="for failover: client profiles beside "
                   "the direct writer (router, pool, pool-ping, reader); their downtime "
                   "distributions per profile are printed too")
    return p


def _add_selection(s: argparse.ArgumentParser) -> None:
    s.add_argument("--faults", metavar="F1,F2", help="only these faults (e.g. "
                   "kill-mysqld,crash-node; `vipchaos faults` lists them; env VIPCHAOS_FAULTS); "
                   "tests of no one fault (bring-up, smoke, lag) still run: -k narrows further")
    s.add_argument("--clients", metavar="P1,P2", help="client profiles beside the direct "
                   "writer: router (behind a router with its own ARP cache), pool (a SQLAlchemy "
                   "pool kept across failovers), pool-ping (with "
                   "pre-ping), reader (stale reads); figures per profile in the report "
                   "(env VIPCHAOS_CLIENTS)")
    s.add_argument("-m", metavar="MARKEXPR", help="pytest -m: only tests matching this marker "
                   "expression (markers: chaos, fault, bundle)")
    s.add_argument("-k", metavar="EXPR", help="pytest -k: only tests whose name matches "
                   "(e.g. 'partition and not one_way')")
    s.add_argument("-x", action="store_true", help="stop at the first failing test")
    s.add_argument("--repeat", type=int, default=1, metavar="N",
                   help="run every chaos test N times (failover distributions in the report)")
    s.add_argument("--self-tests", action="store_true", help="also the bundle-independent "
                   "self-tests (bad input, lab seal)")
    s.add_argument("--incidents", action="store_true",
                   help="also replay the shipped incidents (incidents/*.yaml)")


def _add_selection(s: argparse.ArgumentParser) -> None:
    s.add_argument("--faults", metavar="F1,F2", help="only these faults (e.g. "
                   "kill-mysqld,crash-node; `vipchaos faults` lists them; env VIPCHAOS_FAULTS); "
                   "tests of no one fault (bring-up, smoke, lag) still run: -k narrows further")
    s.add_argument("-m", metavar="MARKEXPR", help="pytest -m: only tests matching this marker "
                   "expression (markers: chaos, fault, bundle)")
    s.add_argument("-k", metavar="EXPR", help="pytest -k: only tests whose name matches "
                   "(e.g. 'partition and not one_way')")
    s.add_argument("-x", action="store_true", help="stop at the first failing test")
    s.add_argument("--repeat", type=int, default=1, metavar="N",
                   help="run every chaos test N times (failover distributions in the report)")
    s.add_argument("--self-tests", action="store_true", help="also the bundle-independent "
                   "self-tests (bad input, lab seal)")
    s.add_argument("--incidents", action="store_true",
                   help="also replay the shipped incidents (incidents/*.yaml)")

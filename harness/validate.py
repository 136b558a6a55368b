"""Validate a bundle before any pair starts: fail in seconds, naming the operator's file:line.

Two passes. What the files alone tell (:mod:`harness.bundle.lint`: interfaces, addresses,
priorities, auth, track_script, script modes and line endings, accounts). Then, per node, one
throwaway container of the node image holding that node's files: ``keepalived -t`` (its
complaints come back with the operator's file and line; the installed keepalived.conf is theirs
byte for byte, so its line numbers are too), whether referenced scripts not shipped by the
bundle exist there, and whether the interpreters and commands the scripts call exist in the
image; and the server's own verdict on the node's my.cnf (:mod:`harness.bundle.mycnf`).
"""

from __future__ import annotations

import re
import shlex

from harness.bundle import mycnf
from harness.bundle.kinds import KEEPALIVED_CONF
from harness.bundle.lint import NOT_EXECUTABLE, Probes, Report, lint
from harness.bundle.model import Bundle, RenderedNode
from harness.engine import Engine
from harness.errors import ConfigError

__all__ = ["Report", "validate", "validate_or_raise"]

# keepalived -t lines the static checks already explain (one message per cause).
COVERED = (r"interface \S+ for .* doesn't exist", r"Non-existent interface specified",
           r"Truncating auth_pass", r"track script \S+ not found",
           r"Disabling track script \S+ since not found/accessible")
STRUCTURE = r"missing '}'|extra '{'|Unexpected '[{}]'"
KT_LINE = re.compile(r"^\((?:(?P<file>.+?): )?Line (?P<line>\d+)\) (?P<msg>.*)$")


def validate(bundle: Bundle, engine: Engine, image: str) -> Report:
    rep, probes = lint(bundle)
    for node in bundle.topology.nodes:
        rendered = bundle.render(node)
        opts = mycnf.options(rendered.files, rendered.sources)
        script = _script(probes[node.name]) + mycnf.probe_script(bundle.platform, opts)
        code, out = engine.run_once(image, rendered.files, script,
                                    {"vipchaos.purpose": "validate"})
        _read(out, code, node.name, rendered, probes[node.name], rep)
        for e in mycnf.findings(out, bundle.platform, opts):
            rep.error(e)
    return rep


def validate_or_raise(bundle: Bundle, engine: Engine, image: str, say=print) -> Report:
    rep = validate(bundle, engine, image)
    for w in rep.warnings:
        say(f"warning: {w}")
    if rep.errors:
        raise ConfigError(f"bundle {bundle.path} is not valid:\n  " + "\n  ".join(rep.errors))
    return rep


def _script(p: Probes) -> str:
    q = shlex.quote
    lines = [f"keepalived -t -f {KEEPALIVED_CONF} 2>&1 | sed 's/^/kt /'",
             'echo "kt-rc ${PIPESTATUS[0]}"']
    for path in p.scripts:
        lines.append(f"if [ ! -e {q(path)} ]; then echo no-script {q(path)}; "
                     f"elif [ ! -x {q(path)} ]; then echo noexec-script {q(path)}; fi")
    for interp in p.interpreters:
        test = f"[ -x {q(interp)} ]" if "/" in interp else f"command -v {q(interp)} >/dev/null"
        lines.append(f"{test} || echo no-interp {q(interp)}")
    for cmd in p.commands:
        lines.append(f"command -v {q(cmd)} >/dev/null 2>&1 || echo no-command {q(cmd)}")
    return "\n".join(lines) + "\n"


def _read(out: str, code: int, node: str, rendered: RenderedNode, p: Probes,
          rep: Report) -> None:
    conf_name = rendered.sources[KEEPALIVED_CONF]
    rc, unexplained = None, []
    for raw in out.splitlines():
        kind, _, rest = raw.partition(" ")
        if kind == "kt":
            msg = _keepalived_line(rest, conf_name, rendered, rep)
            if msg:
                unexplained.append(msg)
        elif kind == "kt-rc":
            rc = int(rest) if rest.strip().isdigit() else None
        elif kind == "no-script":
            rep.error(f"{p.scripts[rest]}: script {rest} does not exist in the node: ship it in "
                      f"the bundle as {node}{rest} (or files{rest} for both nodes)")
        elif kind == "noexec-script":
            rep.warn(f"{p.scripts[rest]}: {rest} is not executable in the node image: "
                     f"{NOT_EXECUTABLE}")
        elif kind == "no-interp":
            rep.warn(f"{p.interpreters[rest]}: interpreter {rest} is not in the node image: the "
                     "script cannot run in the lab (keepalived counts that as a failure)")
        elif kind == "no-command":
            for where in p.commands.get(rest, []):
                rep.warn(f"{where}: calls {rest!r}, which the node image does not have: that "
                         "line fails in the lab")
    if rc is None or rc not in (0, 5, 6) or code != 0:
        tail = "\n    ".join(unexplained[-12:] or out.strip().splitlines()[-12:])
        rep.error(f"{conf_name}: `keepalived -t` failed (exit {rc}, container {code}):\n    "
                  f"{tail}")


def _keepalived_line(text: str, conf_name: str, rendered: RenderedNode,
                     rep: Report) -> str | None:
    """Turn one line of ``keepalived -t`` into a message on the operator's file; returns the
    line when it says nothing the static checks did not."""
    m = KT_LINE.match(text.strip())
    msg = m.group("msg") if m else text.strip()
    if not msg or any(re.search(c, msg) for c in COVERED):
        return None
    if m:
        path = m.group("file") or KEEPALIVED_CONF
        where = f"{rendered.sources.get(path, path)}:{m.group('line')}"
    else:
        where = conf_name
    unknown = re.search(r"Unknown keyword '([^']+)'", msg)
    if unknown:
        rep.warn(f"{where}: unknown keyword {unknown.group(1)!r}: keepalived ignores it "
                 "(keepalived -t)")
    elif "SECURITY VIOLATION" in msg:
        rep.warn(f"{where}: scripts would run as root without enable_script_security "
                 f"(keepalived -t: {msg})")
    elif re.search(STRUCTURE, msg):
        rep.error(f"{where}: keepalived -t: {msg}: the blocks do not nest as written")
    else:
        rep.warn(f"{where}: keepalived -t: {msg}")
    return msg

"""Validate a bundle before any pair starts: fail in seconds, with file and line.

Checks: each node's rendered keepalived.conf passes ``keepalived -t`` in the node image
(unknown keywords such as the tutorial's ``route_id`` become warnings with their line);
every script the config references exists in the node (shipped by the bundle or present in
the image); VRID, authentication and VIP agree on both nodes and the VIP is the topology's;
commands called by the check scripts exist in the image (else a warning naming them).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from harness import keepalived_conf
from harness.config import Bundle
from harness.engine import Engine
from harness.errors import ConfigError

# What `keepalived -t` complains about but keepalived runs with anyway: warnings, not errors.
TOLERATED = ("Unknown keyword", "SECURITY VIOLATION")
SHELL_WORDS = {"if", "then", "else", "elif", "fi", "for", "while", "do", "done", "case", "esac",
               "in", "exit", "echo", "return", "local", "export", "set", "true", "false", "[",
               "[[", "test", "function", "until", "!", "{", "}", "exec", "read", "shift",
               "printf", "cd", "source", ".", "let", "declare", "trap", "wait", "eval"}


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def validate(bundle: Bundle, engine: Engine, image: str) -> Report:
    rep = Report()
    conf_path = "/etc/keepalived/keepalived.conf"
    parsed = {}
    for node in bundle.topology.nodes:
        rendered = bundle.render(node)
        conf = rendered.keepalived_conf  # as the operator wrote it (line numbers match)
        parsed[node.name] = keepalived_conf.parse(conf)
        where = f"{bundle.path.name}/{node.name} keepalived.conf"
        scripts = sorted({p for p, _ in keepalived_conf.script_paths(parsed[node.name])})
        script = "keepalived -t -f /etc/keepalived/keepalived.conf 2>&1; echo \"rc=$?\"\n"
        script += "".join(f"[ -x {shlex.quote(p)} ] || echo \"missing-script {p}\"\n"
                          for p in scripts)
        for path, (text, _) in rendered.files.items():
            if path.startswith("/etc/keepalived/") and path != conf_path:
                for cmd in sorted(_commands(text)):
                    script += (f"command -v {shlex.quote(cmd)} >/dev/null || "
                               f"echo \"missing-command {path} {cmd}\"\n")
        code, out = engine.run_once(image, rendered.files, script,
                                    {"vipchaos.purpose": "validate"})
        rc = re.search(r"rc=(\d+)", out)
        other = []
        for line in out.splitlines():
            m = re.search(r"Unknown keyword '([^']+)'", line)
            if m:
                rep.warnings.append(f"{where}:{_line_of(conf, m.group(1))}: unknown keyword "
                                    f"{m.group(1)!r} (keepalived ignores it)")
            elif "SECURITY VIOLATION" in line:
                rep.warnings.append(f"{where}: scripts run as root without "
                                    "enable_script_security (keepalived: SECURITY VIOLATION)")
            elif line.startswith("missing-script "):
                p = line.split(" ", 1)[1]
                rep.errors.append(f"{where}:{_line_of(conf, p)}: script {p} does not exist "
                                  "in the node (ship it in the bundle's scripts/)")
            elif line.startswith("missing-command "):
                _, p, cmd = line.split(" ", 2)
                w = (f"{bundle.path.name}/scripts/{p.rsplit('/', 1)[-1]}: calls {cmd!r}, which "
                     "the node image does not have: that line will fail in the lab")
                if w not in rep.warnings:
                    rep.warnings.append(w)
            elif line.strip() and not line.startswith("rc="):
                other.append(line)
        # keepalived -t exits non-zero on unknown keywords too, yet keepalived runs with them
        # (ignored): those are warnings; anything else it reports is an error.
        if not rc or rc.group(1) != "0" or code != 0:
            real = [ln for ln in other if not any(t in ln for t in TOLERATED)]
            if real or not rc:
                rep.errors.append(f"{where}: `keepalived -t` rejects it:\n    "
                                  + "\n    ".join((real or other)[-12:]))
    _cross_check(bundle, parsed, rep)
    return rep


def validate_or_raise(bundle: Bundle, engine: Engine, image: str, say=print) -> Report:
    rep = validate(bundle, engine, image)
    for w in rep.warnings:
        say(f"warning: {w}")
    if rep.errors:
        raise ConfigError(f"bundle {bundle.path} is not valid:\n  " + "\n  ".join(rep.errors))
    return rep


def _cross_check(bundle: Bundle, parsed: dict, rep: Report) -> None:
    seen: dict[str, dict[str, tuple]] = {}
    for node, root in parsed.items():
        for inst in root.find("vrrp_instance"):
            auth = inst.find("authentication")
            vips = tuple(sorted(c.keyword for v in inst.find("virtual_ipaddress")
                                for c in v.children))
            seen.setdefault(inst.args[0] if inst.args else "?", {})[node] = (
                inst.value("virtual_router_id"),
                (auth[0].value("auth_type"), auth[0].value("auth_pass")) if auth else None,
                vips, inst.line)
    if not seen:
        rep.errors.append(f"{bundle.path.name}: no vrrp_instance in keepalived.conf")
    for inst, per_node in seen.items():
        values = list(per_node.values())
        for idx, what in ((0, "virtual_router_id"), (1, "authentication"),
                          (2, "virtual_ipaddress")):
            if len({v[idx] for v in values}) > 1:
                detail = ", ".join(f"{n}: {v[idx]}" for n, v in per_node.items())
                rep.errors.append(f"{bundle.path.name}: vrrp_instance {inst} (line "
                                  f"{values[0][3]}): {what} differs between nodes ({detail})")
        vip = bundle.topology.vip
        if not any(vip == a.split("/")[0] for v in values for a in v[2]):
            rep.errors.append(f"{bundle.path.name}: vrrp_instance {inst} does not carry the "
                              f"topology VIP {vip} (has {values[0][2]})")


def _line_of(text: str, needle: str) -> int | str:
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return i
    return "?"


def _commands(script: str) -> set[str]:
    """Command words a shell script calls (a heuristic: first word of each simple command)."""
    cmds: set[str] = set()
    for raw in script.splitlines():
        line = raw.split("#", 1)[0] if not raw.lstrip().startswith("#!") else ""
        for part in re.split(r"\|\||&&|[|;`]|\$\(|\bthen\b|\bdo\b|\belse\b|\bif\b|!", line):
            words = part.strip().split()
            while words and (re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0])
                             or words[0] in ("exec", "nohup", "sudo", "env", "timeout")
                             or re.match(r"^[\d.]+[smh]?$", words[0]) or words[0][0] == "-"):
                words = words[1:]
            if not words:
                continue
            w = words[0].strip("()")
            if w and w not in SHELL_WORDS and not w.startswith(("$", "-", '"', "'")) \
                    and re.match(r"^[\w./-]+$", w) and not w.isdigit():
                cmds.add(w)
    return cmds

"""Operator actions: what someone on call does to a node, recorded in the history like a fault.

Each action is a verb the runbook or a sequence step can name, run through the node's own
service commands (``systemctl`` shims and ``vcctl`` in the node image), so it behaves as on a
production host:

- ``start-mysqld``, ``stop-mysqld``, ``restart-mysqld``
- ``start-keepalived``, ``stop-keepalived``, ``restart-keepalived``, ``reload-keepalived``
  (SIGHUP: re-read the config)
- ``reboot`` (the container restarted: mysqld and keepalived come up on their own, as services
  enabled at boot do)
- ``restore`` (the bundle's runbook; default: start mysqld, then start keepalived)
- ``replace-file`` (params ``path`` and ``content``, keeps the mode) then nothing else: combine
  with ``reload-keepalived``
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from harness.errors import ConfigError

log = logging.getLogger("vipchaos")
DEFAULT_RUNBOOK = ("start-mysqld", "start-keepalived")


def _svc(verb: str, service: str) -> Callable:
    def run(pair, node, **_) -> str:
        node.vcctl(verb, service)
        if service == "mysqld" and verb in ("start", "restart"):
            pair.wait_mysqld(node)
        return f"{verb} {service}"
    return run


def _restart(service: str) -> Callable:
    def run(pair, node, **_) -> str:
        node.vcctl("stop", service)
        node.vcctl("start", service)
        if service == "mysqld":
            pair.wait_mysqld(node)
        return f"restart {service}"
    return run


def _reload(pair, node, **_) -> str:
    node.vcctl("reload", "keepalived")
    return "SIGHUP to keepalived (reload)"


def _reboot(pair, node, **_) -> str:
    node.kill()
    node.start()
    pair.wait_mysqld(node)
    return "node restarted; services enabled at boot came up"


def _replace_file(pair, node, *, path: str = "", content: str = "", **_) -> str:
    if not path:
        raise ConfigError("replace-file needs params: path and content")
    mode = int(node.exec(["stat", "-c", "%a", path], check=False).strip() or "644", 8)
    node.put_files({path: (content.encode(), mode)})
    return f"{path} replaced ({len(content)} bytes, mode {mode:o})"


def _restore(pair, node, **params) -> str:
    steps = list(getattr(pair.bundle, "runbook", None) or DEFAULT_RUNBOOK)
    done = []
    for name in steps:
        if name == "restore":
            raise ConfigError("a runbook cannot call restore itself")
        done.append(ACTIONS[action_name(name)](pair, node, **params))
    return "runbook: " + "; ".join(done)


ACTIONS: dict[str, Callable] = {
    "start-mysqld": _svc("start", "mysqld"), "stop-mysqld": _svc("stop", "mysqld"),
    "restart-mysqld": _restart("mysqld"),
    "start-keepalived": _svc("start", "keepalived"),
    "stop-keepalived": _svc("stop", "keepalived"),
    "restart-keepalived": _restart("keepalived"), "reload-keepalived": _reload,
    "reboot": _reboot, "replace-file": _replace_file, "restore": _restore,
}


def action_name(text: str) -> str:
    """``"start keepalived"``, ``"systemctl start keepalived"`` or ``start-keepalived``."""
    words = text.strip().lower().replace("_", "-").split()
    if words and words[0] in ("systemctl", "service"):
        words = words[1:] if words[0] == "systemctl" else [words[2], words[1]] \
            if len(words) == 3 else words[1:]
    name = "-".join(words).replace("mysql-", "mysqld-")
    name = {"start-mysql": "start-mysqld", "stop-mysql": "stop-mysqld",
            "restart-mysql": "restart-mysqld"}.get(name, name)
    if name not in ACTIONS:
        raise ConfigError(f"unknown operator action {text!r}; actions: {', '.join(ACTIONS)}")
    return name


def run_action(name: str, pair, node, **params) -> str:
    """Do one action on ``node``; returns what was done (raises on failure)."""
    return ACTIONS[action_name(name)](pair, node, **params)

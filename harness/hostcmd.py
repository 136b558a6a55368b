"""Commands run on the host: links (``ip``) and a node's network namespace (``nsenter``).

Entering the namespace from the host works even while the node is ``docker pause``d (the
freezer stops processes, not the kernel's network stack), and costs milliseconds instead of a
``docker exec`` round-trip.
"""

from __future__ import annotations

import shlex
import subprocess

from harness.errors import CommandError


def run(cmd: list[str], *, check: bool = True, timeout: float = 30,
        input: str | None = None) -> subprocess.CompletedProcess:
    """Run a host command (``input`` on its stdin); raise CommandError (command, exit code,
    output) when it fails, and when the command is not installed even with ``check=False``."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input)
    except FileNotFoundError as exc:
        raise CommandError(shlex.join(cmd), 127, f"{cmd[0]} is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise CommandError(shlex.join(cmd), -1, f"timed out after {timeout} s") from exc
    if check and proc.returncode != 0:
        raise CommandError(shlex.join(cmd), proc.returncode, proc.stderr + proc.stdout)
    return proc


def in_netns(pid: int, cmd: list[str], *, check: bool = True, timeout: float = 10):
    """Run ``cmd`` (a host binary) inside the network namespace of process ``pid``."""
    return run(["nsenter", "-t", str(pid), "-n", "--", *cmd], check=check, timeout=timeout)

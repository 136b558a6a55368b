"""One error tree. Every message says what went wrong and what to do about it."""

from __future__ import annotations


class HarnessError(Exception):
    """Base of every error the harness raises on purpose."""


class ConfigError(HarnessError):
    """A config bundle, topology, incident file or option is invalid (says which file/line)."""


class DockerUnavailable(HarnessError):
    """The Docker engine cannot be reached."""


class NetworkSetupError(HarnessError):
    """The lab network or its host link could not be created."""


class ImageBuildError(HarnessError):
    """The base or node image could not be made."""


class CommandError(HarnessError):
    """A command in a node or on the host failed; carries the command, exit code and output."""

    def __init__(self, cmd: str, exit_code: int, output: str, where: str = "host") -> None:
        self.cmd, self.exit_code, self.output, self.where = cmd, exit_code, output, where
        tail = output.strip()[-2000:]
        super().__init__(f"[{where}] `{cmd}` exited {exit_code}: {tail}")


class ReadinessTimeout(HarnessError):
    """Something never became ready; carries the nodes' log tails so the cause is visible."""

    def __init__(self, what: str, timeout: float, logs: dict[str, str] | None = None) -> None:
        self.what, self.timeout, self.logs = what, timeout, logs or {}
        parts = [f"Timed out after {timeout:.0f} s waiting for {what}."]
        for name, tail in self.logs.items():
            parts.append(f"--- {name} ---\n{tail.rstrip()}")
        super().__init__("\n".join(parts))


class FaultNotApplicable(HarnessError):
    """The fault has nothing to act on in the pair's present state (keepalived already gone,
    no replication receiver to stall behind): a step of a sequence that found nothing to do,
    recorded as such, not a harness failure."""


class FaultUnsupported(HarnessError):
    """A fault needs a kernel or engine feature this machine lacks (the reason says which)."""

"""Node-level faults: the whole container frozen or crashed."""

from __future__ import annotations

from harness.faults.base import Fault


class PauseNode(Fault):
    name = "pause-node"
    removes_service = True
    description = "`docker pause` (cgroup freezer: processes stop, the kernel still answers ARP)."

    def inject(self) -> None:
        self.target.pause()

    def verify(self) -> str:
        self._until("container paused", self.target.paused)
        return "container state Paused"

    def repair(self) -> None:
        if self.target.paused():
            self.target.unpause()


class CrashNode(Fault):
    name = "crash-node"
    removes_service = True
    description = "`docker kill` (SIGKILL to everything). Heal: `docker start`, rejoin."

    def inject(self) -> None:
        self.target.kill()

    def verify(self) -> str:
        self._until("container stopped", lambda: not self.target.running())
        return "container not running"

    def repair(self) -> None:
        if not self.target.running():
            self.target.start()
        self.cluster.wait_mysqld(self.target)

"""Process-level faults: mysqld and keepalived inside a node that stays up.

Faults may overlap on one node (exploration draws them so). Two rules keep that honest: a fault
with nothing to act on is *not applicable* whatever the order (no mysqld to kill, freeze or
stop; keepalived already gone), and a heal waits only for what its own fault took away (a
freeze whose process another fault killed meanwhile has nothing to wait for: the killing
fault's heal brings mysqld back).
"""

from __future__ import annotations

from harness.errors import FaultNotApplicable
from harness.faults.base import Fault, FaultNotVerified, mysqld_answers


def mysqld_pid(node) -> str:
    """The pid of mysqld in ``node`` (empty: none runs)."""
    return node.exec("pgrep -x 'mysqld|mariadbd' || true").strip()  # MariaDB 10.5+: mariadbd


def mysqld_state(node) -> str:
    """mysqld's process state letter (R, S, D, T) or empty when none runs."""
    return node.exec("ps -o stat= -C mysqld,mariadbd || true").strip()[:1]


class KillMysqld(Fault):
    name = "kill-mysqld"
    removes_service = True
    description = "SIGKILL to mysqld; the container stays up. Heal: start mysqld."

    def inject(self) -> None:
        if not mysqld_pid(self.target):
            raise FaultNotApplicable(f"{self}: no mysqld runs on {self.target.name}: nothing "
                                     "to kill")
        self.target.vcctl("kill", "mysqld")

    def verify(self) -> str:
        self._until("mysqld refusing connections", lambda: not mysqld_answers(self.target))
        return "mysqld process gone and port 3306 refuses connections"

    def repair(self) -> None:
        self.target.vcctl("start", "mysqld")
        self.pair.wait_mysqld(self.target)


class StopMysqld(KillMysqld):
    name = "stop-mysqld"
    description = "clean shutdown of mysqld. Heal: start mysqld."

    def inject(self) -> None:
        self.target.vcctl("stop", "mysqld")


class FreezeMysqld(Fault):
    name = "freeze-mysqld"
    removes_service = True
    description = "SIGSTOP to mysqld only (a hung database: port open, no answer). Heal: SIGCONT."

    def inject(self) -> None:
        self.target.vcctl("freeze", "mysqld")

    def verify(self) -> str:
        state = self.target.exec("ps -o stat= -C mysqld,mariadbd").strip()
        if not state.startswith("T"):
            raise FaultNotVerified(f"{self}: mysqld state is {state!r}, not stopped (T)")
        self._until("mysqld not answering", lambda: not mysqld_answers(self.target, 1.0))
        return "mysqld in state T (stopped); a query times out"

    def repair(self) -> None:
        self.target.vcctl("thaw", "mysqld")
        self.pair.wait_mysqld(self.target)


class KillKeepalived(Fault):
    name = "kill-keepalived"
    description = ("SIGKILL to keepalived's VRRP child (a crash: no priority-0 advert); its "
                   "parent respawns it as in production. Heal: make sure keepalived runs.")

    def inject(self) -> None:
        if self.target.vcctl("status", "keepalived") != "running":
            raise FaultNotApplicable(f"{self}: keepalived is not running on "
                                     f"{self.target.name}: nothing to kill")
        self.killed = set(self.target.vcctl("kill", "keepalived").split())

    def verify(self) -> str:
        self._until("the VRRP child gone", lambda: not self.killed & set(
            self.target.vcctl("children", "keepalived").split()))
        return f"VRRP child pid(s) {sorted(self.killed)} killed with SIGKILL"

    def repair(self) -> None:
        self.target.vcctl("start", "keepalived")


class StopKeepalived(Fault):
    name = "stop-keepalived"
    description = "SIGTERM to keepalived (graceful: priority-0 advert). Heal: start keepalived."

    def inject(self) -> None:
        if self.target.vcctl("status", "keepalived") != "running":
            raise FaultNotApplicable(f"{self}: keepalived is not running on "
                                     f"{self.target.name}: nothing to stop")
        self.target.vcctl("stop", "keepalived")

    def verify(self) -> str:
        self._until("keepalived gone",
                    lambda: self.target.vcctl("status", "keepalived") == "stopped")
        return "no keepalived process left in the node"

    def repair(self) -> None:
        self.target.vcctl("start", "keepalived")


class HangCheck(Fault):
    """The check script hangs (e.g. a mysql client waiting forever): keepalived must cope."""

    name = "hang-check"
    description = "every /etc/keepalived/check*.sh sleeps forever. Heal: restore the scripts."

    def inject(self) -> None:
        if not self.target.exec("ls /etc/keepalived/check*.sh 2>/dev/null || true").strip():
            raise FaultNotApplicable(f"{self}: no /etc/keepalived/check*.sh on "
                                     f"{self.target.name}: no check script to hang")
        self.target.exec(
            "for f in /etc/keepalived/check*.sh; do cp -p $f $f.vipchaos-orig; "
            "printf '#!/bin/bash\\nsleep 3600\\n' > $f; done")

    def verify(self) -> str:
        self._until("a hanging check process",
                    lambda: "sleep 3600" in self.target.exec("ps -eo args", check=False),
                    timeout=15)
        return "check script replaced; a `sleep 3600` check is running"

    def repair(self) -> None:
        self.target.exec(
            "for f in /etc/keepalived/check*.sh.vipchaos-orig; do [ -e $f ] && "
            "mv -f $f ${f%.vipchaos-orig}; done; pkill -f 'sleep 3600'; true", check=False)


class StallApplier(Fault):
    """The target's replication applier (SQL thread) stopped while its receiver (IO thread)
    goes on: transactions pile up retrieved but not executed, as under a slow or blocked
    applier. Meant for the standby, before the owner fails (lag at failover)."""

    name = "stall-applier"
    description = ("STOP REPLICA SQL_THREAD on the target: retrieved but not applied. "
                   "Heal: START REPLICA SQL_THREAD.")

    def inject(self) -> None:
        try:
            st = self.target.replica_status()
        except Exception as exc:
            raise FaultNotApplicable(f"{self}: mysqld on {self.target.name} does not answer "
                                     f"({str(exc).splitlines()[0][:120]})") from exc
        if not st or st[0]["Replica_IO_Running"] != "Yes":
            io = st[0]["Replica_IO_Running"] if st else "no channel"
            raise FaultNotApplicable(f"{self}: the receiver on {self.target.name} is not "
                                     f"running ({io}): no backlog can pile up behind a stall")
        self.target.sql("STOP REPLICA SQL_THREAD")

    def verify(self) -> str:
        def stalled() -> bool:
            st = self.target.replica_status()
            return bool(st) and st[0]["Replica_SQL_Running"] == "No" and \
                st[0]["Replica_IO_Running"] == "Yes"
        self._until("SQL thread stopped, IO thread running", stalled)
        return "Replica_SQL_Running=No, Replica_IO_Running=Yes"

    def repair(self) -> None:
        self.target.sql("START REPLICA SQL_THREAD")

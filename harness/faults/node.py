"""Node-level faults: the whole container frozen or crashed."""

from __future__ import annotations

from pathlib import Path

from harness.errors import ConfigError, HarnessError
from harness.faults.base import Fault


class PauseNode(Fault):
    name = "pause-node"
    removes_service = True
    whole_node = True
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
    whole_node = True
    description = ("`docker kill` (SIGKILL to everything). Heal: `docker start`, rejoin. "
                   "`disk: lost`: its datadir is emptied first (a node that died with its "
                   "disk; held for good: only a rebuild brings it back).")

    def __init__(self, pair, target, **params) -> None:
        super().__init__(pair, target, **params)
        disk = params.get("disk", "kept")
        if disk not in ("kept", "lost"):
            raise ConfigError(f"crash-node: disk must be kept or lost, not {disk!r}")
        self.loses_disk = disk == "lost"

    def inject(self) -> None:
        if self.loses_disk:
            if not self.never:
                raise ConfigError("crash-node disk: lost needs for: never (the node comes back "
                                  "only by a rebuild)")
            # the pair remembers it (its reset rebuilds), whatever happens to this fault object
            self.pair.diskless.add(self.target.name)
            # mysqld keeps its open (now unlinked) files until the kill a moment later: what
            # it commits in between is acknowledged and gone, as with a disk that died
            datadir = self.pair.bundle.platform.datadir
            self.target.exec(["sh", "-c", f"rm -rf {datadir}/* {datadir}/.[!.]*"],
                             check=False)
        self.target.kill()

    def verify(self) -> str:
        self._until("container stopped", lambda: not self.target.running())
        return "container not running"

    def repair(self) -> None:
        if self.loses_disk:
            raise HarnessError(f"{self.target.name} lost its disk: only a rebuild of the pair "
                               "brings it back (the reset does it)")
        if not self.target.running():
            self.target.start()
        self.pair.wait_mysqld(self.target)


class CpuStarvation(Fault):
    """A CFS quota on the node's cgroup (cgroup v1 cpu.cfs_quota_us) plus a busy loop inside it:
    mysqld and keepalived compete for a few percent of one CPU, so adverts and checks run late.
    Verified by the cgroup's throttling counter rising."""

    name = "cpu-starvation"
    description = ("limit the node to a share of one CPU (default 5 %) with a busy loop "
                   "competing inside; verified by nr_throttled. Heal: lift the quota.")
    BURNER = "vipchaos-burn"

    def throttled(self) -> int:
        pid = self.target.pid()
        cg = next(line.split(":", 2)[2] for line in
                  Path(f"/proc/{pid}/cgroup").read_text().splitlines()
                  if "cpu" in line.split(":", 2)[1].split(","))
        for base in ("/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"):
            stat = Path(f"{base}{cg}/cpu.stat")
            if stat.exists():
                fields = dict(line.split() for line in stat.read_text().splitlines())
                return int(fields.get("nr_throttled", 0))
        raise FileNotFoundError(f"no cpu.stat for cgroup {cg}")

    def inject(self) -> None:
        share = float(self.params.get("cpu", 0.05))
        self.before = self.throttled()
        self.target.set_cpu_quota(int(100_000 * share))
        self.target.exec(["bash", "-c", f"exec -a {self.BURNER} bash -c 'while :; do :; done' "
                          ">/dev/null 2>&1 &"])

    def verify(self) -> str:
        self._until("the cgroup being throttled", lambda: self.throttled() > self.before + 3,
                    timeout=10)
        return (f"quota {float(self.params.get('cpu', 0.05)):.0%} of one CPU; "
                f"nr_throttled +{self.throttled() - self.before}")

    def repair(self) -> None:
        self.target.exec(["pkill", "-f", self.BURNER], check=False)
        self.target.set_cpu_quota(-1)

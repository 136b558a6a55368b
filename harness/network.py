"""The lab network: a Docker macvlan network whose parent is a veth pair the harness makes.

A host cannot reach its own macvlan children through the parent, so the parent is one end of a
veth pair and the other end (``vc-<run>-h``) holds ``host_ip``: the test process then reaches
node addresses and the VIP directly, exactly like a client on the same LAN. No ``dummy`` link
(missing from this kernel) is needed.
"""

from __future__ import annotations

import ipaddress
import json

from harness import hostcmd
from harness.config import Topology
from harness.engine import PREFIX, RUN_LABEL, Engine
from harness.errors import CommandError, NetworkSetupError

LINK_PREFIX = "vc-"


class LabNetwork:
    """Create with ``up()``, remove with ``down()``; both safe to repeat."""

    def __init__(self, engine: Engine, topology: Topology, run_id: str) -> None:
        self.engine, self.topology, self.run_id = engine, topology, run_id
        self.name = f"{PREFIX}net-{run_id}"
        self.parent = f"{LINK_PREFIX}{run_id}-p"
        self.host_link = f"{LINK_PREFIX}{run_id}-h"

    def up(self) -> None:
        self._check_subnet_free()
        try:
            self._make_link()
            self.engine.create_macvlan(
                self.name, self.parent, str(self.topology.subnet), self.topology.host_ip,
                {RUN_LABEL: self.run_id},
            )
        except BaseException:
            self.down()
            raise

    def down(self) -> None:
        self.engine.remove_network(self.name)
        hostcmd.run(["ip", "link", "del", self.host_link], check=False)

    def _make_link(self) -> None:
        t = self.topology
        cmds = [
            ["ip", "link", "add", self.parent, "type", "veth", "peer", "name", self.host_link],
            ["ip", "link", "set", self.parent, "up"],
            ["ip", "addr", "add", f"{t.host_ip}/{t.prefixlen}", "dev", self.host_link],
            ["ip", "link", "set", self.host_link, "up"],
        ]
        try:
            for cmd in cmds:
                hostcmd.run(cmd)
        except CommandError as exc:
            hint = ("run as root (or with CAP_NET_ADMIN): the harness creates a veth pair on "
                    "the host" if "not permitted" in exc.output.lower() else
                    "remove leftovers with `vipchaos clean`" if "exists" in exc.output.lower()
                    else "check `ip link` on the host")
            raise NetworkSetupError(
                f"Could not create the host link {self.host_link} ({exc.cmd} -> "
                f"{exc.output.strip()}): {hint}."
            ) from exc

    def _check_subnet_free(self) -> None:
        subnet = self.topology.subnet
        for net, subnets in self.engine.network_subnets().items():
            for s in subnets:
                if ":" not in s and ipaddress.ip_network(s).overlaps(subnet):
                    raise NetworkSetupError(
                        f"The lab subnet {subnet} overlaps Docker network {net!r} ({s}). Pick a "
                        f"free subnet (topology.toml `subnet`, or `--subnet`), or remove {net!r} "
                        f"(`vipchaos clean` if it is a leftover of ours)."
                    )
        routes = json.loads(hostcmd.run(["ip", "-j", "-4", "route"]).stdout or "[]")
        for r in routes:
            dst = r.get("dst", "")
            if dst in ("default", "") or r.get("dev", "").startswith(LINK_PREFIX):
                continue
            if ipaddress.ip_network(dst if "/" in dst else f"{dst}/32").overlaps(subnet):
                raise NetworkSetupError(
                    f"The lab subnet {subnet} is already routed on this host ({dst} via "
                    f"{r.get('dev')}). Pick a free subnet (topology.toml `subnet`, or `--subnet`)."
                )


def reap_links() -> list[str]:
    """Delete every host link named ``vc-*`` (leftovers of crashed runs)."""
    links = json.loads(hostcmd.run(["ip", "-j", "link"]).stdout or "[]")
    removed = []
    for link in links:
        name = link.get("ifname", "")
        if name.startswith(LINK_PREFIX) and name.endswith("-h"):
            hostcmd.run(["ip", "link", "del", name], check=False)
            removed.append(name)
    return removed

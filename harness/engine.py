"""The only module that talks to the Docker engine.

Everything else receives an ``Engine`` (or a fake with the same methods in unit tests).
Every object created carries ``vipchaos.managed=1``, ``vipchaos.run=<run id>`` and
``vipchaos.owner`` labels and a ``vipchaos-`` name, so ``reap()`` can remove what a dead process
left (see ``harness.ownership``) without touching a live session's pair.
"""

from __future__ import annotations

import contextlib
import io
import secrets
import tarfile
import time

import docker
import docker.errors
from docker.models.containers import Container

from harness import ownership
from harness.errors import CommandError, DockerUnavailable, HarnessError, NetworkSetupError
from harness.ownership import OWNER_LABEL, Resource

LABEL = "vipchaos.managed"
RUN_LABEL = "vipchaos.run"
PREFIX = "vipchaos-"


def labels_for(labels: dict[str, str]) -> dict[str, str]:
    """``labels`` plus the managed flag and the owner of their run (this process unless the
    run was claimed, see ``ownership.owner_of``)."""
    return {LABEL: "1", OWNER_LABEL: ownership.owner_of(labels.get(RUN_LABEL)), **labels}


DATADIR = "/var/lib/mysql"


class Engine:
    def __init__(self, client: docker.DockerClient | None = None) -> None:
        self.client = client or connect()

    # --- images -------------------------------------------------------------------------
    def image_exists(self, ref: str) -> bool:
        try:
            self.client.images.get(ref)
            return True
        except docker.errors.ImageNotFound:
            return False

    def image_id(self, ref: str) -> str:
        return self.client.images.get(ref).id

    def image_size(self, ref: str) -> int:
        """Bytes the image takes (its layers, as `docker images` shows)."""
        return int(self.client.images.get(ref).attrs.get("Size") or 0)

    def build(self, path: str, tag: str, buildargs: dict[str, str], labels: dict[str, str]) -> str:
        """Build an image (legacy builder; layer cache applies). Returns the image id."""
        try:
            image, _ = self.client.images.build(
                path=path, tag=tag, buildargs=buildargs, labels=labels, rm=True, forcerm=True,
                pull=False,
            )
        except docker.errors.BuildError as exc:
            log = "".join(c.get("stream", "") or c.get("error", "") for c in exc.build_log)
            raise CommandError(f"docker build {path}", 1, log[-3000:], "docker") from exc
        return image.id

    def tag(self, ref: str, repo: str, tag: str) -> None:
        self.client.images.get(ref).tag(repo, tag)

    # --- networks -----------------------------------------------------------------------
    def create_macvlan(self, name: str, parent: str, subnet: str, gateway: str,
                       labels: dict[str, str]) -> None:
        ipam = docker.types.IPAMConfig(pool_configs=[
            docker.types.IPAMPool(subnet=subnet, gateway=gateway)])
        try:
            self.client.networks.create(name, driver="macvlan", options={"parent": parent},
                                        ipam=ipam, labels=labels_for(labels))
        except docker.errors.APIError as exc:
            raise NetworkSetupError(
                f"Docker refused to create macvlan network {name} on {parent} with subnet "
                f"{subnet}: {exc.explanation or exc}. If the subnet overlaps another Docker "
                f"network, pick another one (topology.toml `subnet`, or --subnet); leftovers of "
                f"an earlier run go with `vipchaos clean`."
            ) from exc

    def network_subnets(self) -> dict[str, list[str]]:
        """Subnets of every Docker network, by network name (to detect clashes early)."""
        out: dict[str, list[str]] = {}
        for net in self.client.networks.list():
            cfgs = (net.attrs.get("IPAM") or {}).get("Config") or []
            out[net.name] = [c["Subnet"] for c in cfgs if c.get("Subnet")]
        return out

    def remove_network(self, name: str) -> None:
        with contextlib.suppress(docker.errors.NotFound):
            self.client.networks.get(name).remove()

    # --- containers ---------------------------------------------------------------------
    def create_node(self, *, name: str, image: str, network: str, ip: str, hostname: str,
                    labels: dict[str, str], env: dict[str, str],
                    extra_hosts: dict[str, str] | None = None,
                    datadir: str = DATADIR) -> Container:
        """Create (not start) a node container with a fixed address on the lab network."""
        self.remove_container(name)
        netcfg = self.client.api.create_networking_config(
            {network: self.client.api.create_endpoint_config(ipv4_address=ip)})
        # A database host does not route (Docker leaves forwarding on in a container's
        # namespace): a node still receiving VIP traffic after it gave the VIP up must drop it,
        # not pass it on to the new owner and hide a client's stale ARP entry.
        host_cfg = self.client.api.create_host_config(
            cap_add=["NET_ADMIN", "NET_RAW"], network_mode=network, extra_hosts=extra_hosts,
            sysctls={"net.ipv4.ip_forward": "0"},
        )
        # The datadir on an anonymous volume (filled from the image's baked datadir, removed
        # with the container): on a host filesystem like production's, not on the storage
        # driver. Under fuse-overlayfs a mysqld restarted after SIGKILL sometimes aborted on
        # "File './mysql-bin.~rec~' not found (OS errno 6)", a lab artefact; and a volume
        # survives `docker kill` + `docker start` like a disk survives a reboot.
        cid = self.client.api.create_container(
            image, name=name, hostname=hostname, labels=labels_for(labels),
            environment=env, host_config=host_cfg, networking_config=netcfg, detach=True,
            volumes=[datadir],
        )["Id"]
        return self.client.containers.get(cid)

    def run_once(self, image: str, files: dict[str, tuple[str, int]], script: str,
                 labels: dict[str, str], timeout: float = 60) -> tuple[int, str]:
        """Run a shell script once in a throwaway container holding ``files``; returns (exit
        code, output). It sits on Docker's default bridge only so that it has an ``eth0`` for
        ``keepalived -t`` to find. The container is removed whatever happens (and by the reaper
        if this process is killed). The name is random: two sessions may validate at once."""
        name = f"{PREFIX}check-{secrets.token_hex(6)}"
        c = self.client.containers.create(
            image, ["bash", "-c", script], entrypoint=[], name=name, network_mode="bridge",
            labels=labels_for(labels))
        try:
            self.put_files(c, files)
            c.start()
            code = c.wait(timeout=timeout)["StatusCode"]
            return code, c.logs().decode(errors="replace")
        finally:
            self.remove_container(name)

    def container(self, name: str) -> Container:
        return self.client.containers.get(name)

    def put_files(self, c: Container, files: dict[str, tuple[bytes | str, int]]) -> None:
        """Copy files (path -> (exact bytes or text, mode)) into a container, created or
        running; bytes go in unchanged, owned by root."""
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for path, (content, mode) in files.items():
                data = content.encode() if isinstance(content, str) else bytes(content)
                info = tarfile.TarInfo(path.lstrip("/"))
                info.size, info.mode, info.mtime = len(data), mode, int(time.time())
                tar.addfile(info, io.BytesIO(data))
        if not c.put_archive("/", buf.getvalue()):
            raise HarnessError(f"could not copy files into {c.name}")

    def exec(self, c: Container, cmd: list[str] | str, *, check: bool = True,
             env: dict[str, str] | None = None) -> tuple[int, str]:
        """Run a command in a running container; (exit code, combined output)."""
        if isinstance(cmd, str):
            cmd = ["bash", "-c", cmd]
        try:
            res = c.exec_run(cmd, environment=env, demux=False)
        except docker.errors.APIError as exc:
            raise CommandError(" ".join(cmd), -1, str(exc), c.name) from exc
        out = (res.output or b"").decode(errors="replace")
        if check and res.exit_code != 0:
            raise CommandError(" ".join(cmd), res.exit_code, out, c.name)
        return res.exit_code, out

    def state(self, c: Container) -> dict:
        c.reload()
        return c.attrs["State"]

    def pid(self, c: Container) -> int:
        return int(self.state(c)["Pid"])

    def logs(self, c: Container, tail: int = 40) -> str:
        try:
            return c.logs(tail=tail).decode(errors="replace")
        except docker.errors.APIError:
            return ""

    def remove_container(self, name: str) -> None:
        try:
            self.client.containers.get(name).remove(force=True, v=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if "already in progress" not in str(exc):
                raise

    # --- node lifecycle by name (faults, reset): callers never hold SDK objects ------------
    def start(self, name: str) -> None:
        self.container(name).start()

    def kill(self, name: str) -> None:
        self.container(name).kill()

    def pause(self, name: str, attempts: int = 20) -> None:
        """``docker pause``, tried again when the cgroup freezer gives up: runc reports "unable
        to freeze" while a task of the container sits in an uninterruptible wait (seen under
        load on this machine's fuse-overlayfs, right after mysqld started); runc thaws the
        cgroup back, so a second try is a clean one. Other errors, or the last, are raised."""
        for attempt in range(attempts):
            try:
                self.container(name).pause()
                return
            except docker.errors.APIError as exc:
                if "unable to freeze" not in str(exc) or attempt == attempts - 1:
                    raise
                time.sleep(0.05)

    def unpause(self, name: str) -> None:
        self.container(name).unpause()

    def status(self, name: str) -> dict:
        """{"running", "paused", "pid", "id"} of a container; running False when it is gone."""
        try:
            c = self.container(name)
        except docker.errors.NotFound:
            return {"running": False, "paused": False, "pid": 0, "id": None}
        st = c.attrs["State"]
        return {"running": bool(st["Running"]), "paused": bool(st["Paused"]),
                "pid": int(st["Pid"] or 0), "id": c.id}

    def mac_address(self, name: str, network: str) -> str | None:
        nets = self.container(name).attrs["NetworkSettings"]["Networks"]
        return (nets.get(network) or {}).get("MacAddress") or None

    def set_cpu_quota(self, name: str, quota_us: int, period_us: int = 100_000) -> None:
        """CFS quota for the container's cgroup (-1 removes it)."""
        self.container(name).update(cpu_quota=quota_us, cpu_period=period_us)

    def exec_in(self, name: str, cmd: list[str] | str, *, check: bool = True) -> tuple[int, str]:
        """``exec`` by container name."""
        return self.exec(self.container(name), cmd, check=check)

    def logs_of(self, name: str, tail: int = 40) -> str:
        try:
            return self.logs(self.container(name), tail=tail)
        except docker.errors.NotFound:
            return "(container gone)"

    def put_files_in(self, name: str, files: dict) -> None:
        self.put_files(self.container(name), files)

    # --- reaping ------------------------------------------------------------------------
    def managed(self, run_id: str | None = None) -> tuple[list[Container], list]:
        flt = {"label": [f"{LABEL}=1"] + ([f"{RUN_LABEL}={run_id}"] if run_id else [])}
        # another session may remove one of ours between the list and its inspect
        containers = self.client.containers.list(all=True, filters=flt, ignore_removed=True)
        networks = self.client.networks.list(filters=flt)
        return containers, networks

    def resources(self, run_id: str | None = None) -> list[Resource]:
        """Managed containers and networks (of one run, or all) with their run and owner."""
        containers, networks = self.managed(run_id)
        return ([Resource("container", c.name, *_run_and_owner(c.labels)) for c in containers]
                + [Resource("network", n.name, *_run_and_owner(n.attrs.get("Labels")))
                   for n in networks])

    def remove(self, res: Resource) -> None:
        """Remove one container or network; nothing happens if it is already gone."""
        if res.kind == "container":
            self.remove_container(res.name)
            return
        try:
            self.remove_network(res.name)
        except docker.errors.APIError as exc:  # e.g. a container of another run still on it
            raise HarnessError(f"Could not remove network {res.name}: {exc}. `docker network "
                               f"inspect {res.name}` shows what still uses it.") from exc

    def reap(self, run_id: str) -> list[str]:
        """Remove one run's containers and networks, whoever owns them (the host's links and
        every dead run's leftovers: ``harness.reaper``). Returns the names removed."""
        removed = []
        for res in sorted(self.resources(run_id), key=lambda r: ownership.ORDER[r.kind]):
            try:
                self.remove(res)
                removed.append(res.name)
            except HarnessError:
                pass
        return removed


def _run_and_owner(labels: dict[str, str] | None) -> tuple[str, str]:
    labels = labels or {}
    return labels.get(RUN_LABEL, ""), labels.get(OWNER_LABEL, "")


def connect() -> docker.DockerClient:
    try:
        client = docker.from_env(timeout=120)
        client.ping()
        return client
    except Exception as exc:  # the SDK raises several kinds for "no daemon"
        raise DockerUnavailable(
            f"Cannot reach the Docker engine ({exc.__class__.__name__}: {exc}). vipchaos runs real "
            "containers: start the daemon (`systemctl start docker` or `dockerd &`), make sure "
            "this user may use it (root, or the `docker` group), or point DOCKER_HOST at it."
        ) from exc

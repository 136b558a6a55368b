"""Run settings. The only module that reads the environment; everything else gets a Settings.

Environment variables (each also a command-line option; the option wins):

- ``VIPCHAOS_CONFIG``: bundles to test, comma-separated names or directories (default
  ``seed,hardened``)
- ``VIPCHAOS_RUN_DIR``: where histories and reports go (default ``runs/<timestamp>-<pid>``)
- ``VIPCHAOS_KEEP``: ``1`` leaves the pairs running at the end (debugging)
- ``VIPCHAOS_BASE_IMAGE``: the base image the node image is built from (``debian:sid-slim``)
- ``VIPCHAOS_SUBNET``: lab subnet for the pairs (default: each bundle's own)
- ``VIPCHAOS_FAULTS``: only these fault families, comma-separated
- ``VIPCHAOS_NETWORK``: the lab network profile every bundle runs on (``cloud``: multicast
  dropped, gratuitous ARP ignored; harness.labnet)
- ``VIPCHAOS_CLIENTS``: client profiles beside the direct writer, comma-separated
  (``router,pool,pool-ping,reader``: harness.clients)
- ``VIPCHAOS_PLATFORM``: the platform every bundle runs on instead of its own ``[platform]``
  (``mariadb-10.11``, ``database=mariadb-11.8,keepalived=2.3.3``: harness.platform)

Docker's own ``DOCKER_HOST`` picks the engine (per xdist worker with ``--tx
'popen//env:DOCKER_HOST=unix:/path/to/docker.sock'``: one slash after ``unix:``, because execnet
splits its specs on ``//``); it is recorded as ``engine``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_BUNDLES = ("seed", "hardened")
ENV_VARS = ("VIPCHAOS_CONFIG", "VIPCHAOS_RUN_DIR", "VIPCHAOS_KEEP", "VIPCHAOS_BASE_IMAGE",
            "VIPCHAOS_SUBNET", "VIPCHAOS_FAULTS", "VIPCHAOS_PLATFORM", "VIPCHAOS_NETWORK",
            "VIPCHAOS_CLIENTS")


@dataclass
class Settings:
    bundles: list[str] = field(default_factory=lambda: list(DEFAULT_BUNDLES))
    run_dir: Path = Path("runs")
    keep: bool = False
    base_image: str = "debian:sid-slim"
    subnet: str | None = None
    faults: list[str] | None = None
    platform: str | None = None  # VIPCHAOS_PLATFORM (the CLI turns it into name@platform refs)
    network: str | None = None  # VIPCHAOS_NETWORK (name@cloud refs)
    engine: str = "local"  # DOCKER_HOST, for reports
    #: client profiles of every run (harness.clients): ``direct`` first, always
    clients: list[str] = field(default_factory=lambda: ["direct"])
    #: this process's xdist worker ("gw0", ...) or "" (a plain session): files a worker
    #: writes on its own carry it, so no two processes write one file
    worker: str = ""
    #: whether VIPCHAOS_CONFIG named the bundles (the CLI then needs no --config)
    bundles_from_env: bool = False

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        env = os.environ
        s = cls()
        if "VIPCHAOS_CONFIG" in env:
            s.bundles = [b.strip() for b in env["VIPCHAOS_CONFIG"].split(",") if b.strip()]
            s.bundles_from_env = bool(s.bundles)
        if env.get("VIPCHAOS_RUN_DIR"):
            s.run_dir = Path(env["VIPCHAOS_RUN_DIR"])
        else:
            s.run_dir = Path("runs") / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        s.keep = env.get("VIPCHAOS_KEEP", "") in ("1", "true", "yes")
        s.base_image = env.get("VIPCHAOS_BASE_IMAGE", s.base_image)
        s.subnet = env.get("VIPCHAOS_SUBNET") or None
        s.platform = env.get("VIPCHAOS_PLATFORM") or None
        s.network = env.get("VIPCHAOS_NETWORK") or None
        s.engine = env.get("DOCKER_HOST") or "local"
        s.worker = env.get("PYTEST_XDIST_WORKER", "")
        if env.get("VIPCHAOS_FAULTS"):
            s.faults = [f.strip() for f in env["VIPCHAOS_FAULTS"].split(",") if f.strip()]
        if env.get("VIPCHAOS_CLIENTS"):
            s.clients = [c.strip() for c in env["VIPCHAOS_CLIENTS"].split(",") if c.strip()]
        for k, v in overrides.items():
            if v not in (None, [], ""):
                setattr(s, k, v)
        s.run_dir = Path(s.run_dir)
        return s

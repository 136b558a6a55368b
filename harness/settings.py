"""Run settings. The only module that reads the environment; everything else gets a Settings."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_BUNDLES = ("seed", "hardened")


@dataclass
class Settings:
    bundles: list[str] = field(default_factory=lambda: list(DEFAULT_BUNDLES))
    run_dir: Path = Path("runs")
    keep: bool = False
    base_image: str = "debian:sid-slim"
    subnet: str | None = None

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        env = os.environ
        s = cls()
        if env.get("VIPCHAOS_CONFIG"):
            s.bundles = [b for b in env["VIPCHAOS_CONFIG"].split(",") if b]
        if env.get("VIPCHAOS_RUN_DIR"):
            s.run_dir = Path(env["VIPCHAOS_RUN_DIR"])
        else:
            s.run_dir = Path("runs") / time.strftime("%Y%m%d-%H%M%S")
        s.keep = env.get("VIPCHAOS_KEEP", "") in ("1", "true", "yes")
        s.base_image = env.get("VIPCHAOS_BASE_IMAGE", s.base_image)
        s.subnet = env.get("VIPCHAOS_SUBNET") or None
        for k, v in overrides.items():
            if v not in (None, [], ""):
                setattr(s, k, v)
        s.run_dir = Path(s.run_dir)
        return s

"""Make sure the base and node images exist, offline if need be, one node image per platform.

The node image tag is a hash of ``images/node/``, the base image id and the platform's packages,
so a second ``make images`` with nothing changed is a lookup (well under a second), and any
change to the Dockerfile, scripts, base image or platform gives a new tag.
"""

from __future__ import annotations

import hashlib
import subprocess
import time
from pathlib import Path

from harness.engine import Engine
from harness.errors import ImageBuildError
from harness.platform import DEFAULT, Platform

IMAGES_DIR = Path(__file__).resolve().parent.parent / "images"
BASE_IMAGE = "debian:sid-slim"
NODE_REPO = "vipchaos-node"


def ensure_base(engine: Engine, base: str = BASE_IMAGE, log=print) -> float:
    """Make ``base`` exist locally (pull, else debootstrap + import). Returns seconds spent."""
    if engine.image_exists(base):
        return 0.0
    started = time.monotonic()
    script = IMAGES_DIR / "bootstrap-base.sh"
    suite = base.split(":", 1)[1].removesuffix("-slim") if ":" in base else "sid"
    log(f"making the base image {base} (Debian {suite}, debootstrap: about 30 s)")
    proc = subprocess.run(["bash", str(script), base, suite], capture_output=True, text=True)
    if proc.returncode != 0:
        raise ImageBuildError(
            f"Could not make the base image {base}: {proc.stderr.strip() or proc.stdout.strip()}\n"
            "With no registry, the base is made with debootstrap (needs root and Debian's "
            "package mirror); or `docker load` an image of that name."
        )
    log(proc.stdout.strip())
    return time.monotonic() - started


def node_tag(engine: Engine, base: str | None = None, platform: Platform = DEFAULT) -> str:
    base = base or platform.base_image
    digest = hashlib.sha256(engine.image_id(base).encode())
    if platform != DEFAULT:  # the default's tag stays what it was
        digest.update(platform.packages.encode())
    root = IMAGES_DIR / "node"
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return f"{NODE_REPO}:{digest.hexdigest()[:12]}"


def ensure_node(engine: Engine, base: str | None = None, log=print,
                platform: Platform = DEFAULT) -> tuple[str, float]:
    """Build the node image of ``platform`` if its content tag is missing (``base`` replaces
    the platform's base image). Returns (image ref, seconds spent)."""
    started = time.monotonic()
    base = base or platform.base_image
    ensure_base(engine, base, log)
    ref = node_tag(engine, base, platform)
    if not engine.image_exists(ref):
        log(f"building {ref} ({platform}) from images/node (about a minute the first time)")
        try:
            # the Dockerfile labels it vipchaos.managed itself: labels given here would cost
            # the classic builder one more committed layer
            engine.build(str(IMAGES_DIR / "node"), ref,
                         {"BASE_IMAGE": base, "DB_PACKAGES": platform.packages}, {})
        except Exception as exc:
            raise ImageBuildError(f"Building the node image ({platform}) failed:\n{exc}") from exc
        if platform == DEFAULT:
            engine.tag(ref, NODE_REPO, "latest")
    return ref, time.monotonic() - started

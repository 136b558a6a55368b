"""Which bundles, platforms, network profiles, faults and run directory a command works on:
the command line first, then the environment (``harness.settings``), then the defaults. Each
bundle becomes a reference (``name@platform@network``) the pytest plugin and the library read."""

from __future__ import annotations

import os
import time
from pathlib import Path

from harness.bundle import bundle_names, parse_ref, with_network, with_platform
from harness.clients import parse_profiles
from harness.errors import ConfigError
from harness.faults import fault_class
from harness.platform import MATRIX
from harness.platform import parse as parse_platform
from harness.runner import pytest_argv
from harness.settings import Settings


def chosen_bundles(config: list[str] | None, seed: bool, required: bool = True,
                   platforms: list[str] | None = None, matrix: bool = False,
                   networks: list[str] | None = None) -> list[str]:
    """The bundles a command runs against: --config (repeatable, comma-separated), --seed, else
    VIPCHAOS_CONFIG; none is a usage error naming the choices. With --platform or --matrix,
    each bundle on each platform (``name@platform``); with --network, on each network profile
    (``name@cloud``)."""
    refs = _chosen(config, seed, required)
    wanted = [parse_platform(p) for p in platforms or []] + \
        [parse_platform(p) for p in (MATRIX if matrix else ())]
    env = Settings.from_env()
    if not wanted and env.platform:
        wanted = [parse_platform(env.platform, where="VIPCHAOS_PLATFORM")]
    if wanted:
        refs = [with_platform(r, p) for r in refs for p in dict.fromkeys(wanted)]
    nets = [n.strip() for x in networks or [] for n in x.split(",") if n.strip()] or \
        ([env.network] if env.network else [])
    if nets:
        refs = [with_network(r, n) for r in refs for n in dict.fromkeys(nets)]
    return refs


def _chosen(config: list[str] | None, seed: bool, required: bool) -> list[str]:
    refs = [x.strip() for c in config or [] for x in c.split(",") if x.strip()]
    if seed and "seed" not in refs:
        refs.insert(0, "seed")
    env = Settings.from_env()
    if not refs and env.bundles_from_env:
        refs = list(env.bundles)
    if not refs and required:
        raise ConfigError(
            "which config? Give --config DIR (your bundle: a directory with "
            "topology.toml and the keepalived.conf files; `vipchaos import` makes one from "
            "production files) or --seed for the shipped tutorial config. Shipped bundles "
            f"(--config NAME): {', '.join(bundle_names())}. VIPCHAOS_CONFIG=DIR works too.")
    return refs


def bundle_arg(ref: str) -> str:
    """A directory as an absolute path, a shipped name as it is (any working directory); a
    ``@platform`` suffix kept."""
    r = parse_ref(ref)
    path = str(Path(r.name).resolve()) if Path(r.name).is_dir() else str(r.name)
    return str(type(r)(path, r.platform, r.network))


def faults_arg(text: str | None) -> list[str] | None:
    names = [f.strip() for f in (text or "").split(",") if f.strip()]
    for n in names:
        fault_class(n)  # unknown: ConfigError with the catalogue
    return names or None


def selection(args, bundles: list[str], *, collect_only: bool, run_dir: str | None,
               extra: list[str]) -> list[str]:
    env = Settings.from_env()
    faults = faults_arg(args.faults) if args.faults is not None else env.faults
    try:
        clients = parse_profiles(getattr(args, "clients", None) or ",".join(env.clients))
    except ValueError as exc:
        raise ConfigError(f"--clients: {exc}") from exc
    if args.repeat < 1:
        raise ConfigError(f"--repeat {args.repeat}: give 1 or more")
    return pytest_argv(
        bundles=[bundle_arg(b) for b in bundles], self_tests=args.self_tests,
        incidents=args.incidents, faults=faults, clients=clients, marker=args.m, keyword=args.k,
        exitfirst=args.x, workers=getattr(args, "workers", None) or 1, repeat=args.repeat,
        run_dir=run_dir, junitxml=getattr(args, "junitxml", None),
        subnet=getattr(args, "subnet", None), keep=getattr(args, "keep", False),
        collect_only=collect_only, extra=extra)


def run_dir_for(given: str | None, kind: str = "") -> Path:
    if given:
        return Path(given)
    if not kind and os.environ.get("VIPCHAOS_RUN_DIR"):
        return Settings.from_env().run_dir
    return Path("runs") / f"{kind}{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"

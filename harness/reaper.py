"""Listing and removing what runs left: Docker's containers and networks (by label, through
the engine) and the host's links and iptables chains (``harness.labnet``) and the router
profile's namespaces (``harness.clientnet``), judged by their
owners' liveness (``harness.ownership``). Every session that creates pairs calls
``reap_dead`` first; ``vipchaos clean`` and ``vipchaos down`` use the rest."""

from __future__ import annotations

from collections.abc import Callable, Collection

from harness import clientnet, labnet
from harness.errors import HarnessError
from harness.ownership import ORDER, Resource, dead


def inventory(engine, *, everything: bool = False) -> list[Resource]:
    """Every resource of ours on this host: Docker's (by label) and the host's (links, chains).
    ``everything`` also lists unrecognised ``vc-*`` links and ``VC-*`` chains. ``engine`` None
    (Docker unreachable): the host's only."""
    with labnet.host_lock():  # a link is being made and labelled under this lock
        host = labnet.host_resources(everything=everything) + clientnet.host_resources()
    docker = engine.resources() if engine is not None else []
    return sorted(docker + host, key=lambda r: (ORDER[r.kind], r.name))


def remove(engine, resources: list[Resource],
           say: Callable[[str], None] | None = None) -> list[str]:
    """Remove resources (containers first, links last); returns the names removed. Something
    already gone counts as removed; one that resists is reported through ``say`` and skipped."""
    done = []
    for res in sorted(resources, key=lambda r: ORDER[r.kind]):
        try:
            if res.kind in ("container", "network"):
                engine.remove(res)
            elif res.kind == "netns":
                clientnet.remove_netns(res.name)
            else:
                labnet.remove_host_resource(res)
            done.append(res.name)
        except HarnessError as exc:
            (say or (lambda _: None))(f"could not remove {res}: {exc}")
    return done


def reap_dead(engine, runs: Collection[str] | None = None,
              say: Callable[[str], None] | None = None) -> list[str]:
    """Remove the resources whose owner is dead (never those of a live session, xdist worker or
    handed-over ``vipchaos up`` pair); ``runs`` limits it to those run ids. Call it at the start
    of every session that creates pairs. Returns the names removed."""
    victims = [r for r in dead(inventory(engine)) if runs is None or r.run_id in runs]
    for r in victims:
        (say or (lambda _: None))(f"removing {r}")
    return remove(engine, victims, say)


def reap_run(engine, run_id: str, say: Callable[[str], None] | None = None) -> list[str]:
    """Remove every resource of one run, whoever owns it (``vipchaos down``)."""
    return remove(engine, [r for r in inventory(engine) if r.run_id == run_id], say)


def reap_all(engine, say: Callable[[str], None] | None = None) -> list[str]:
    """Remove everything of ours, live or not, after listing it through ``say``."""
    victims = inventory(engine, everything=True)
    for r in victims:
        (say or (lambda _: None))(f"removing {r}")
    return remove(engine, victims, say)


def clean(engine, *, everything: bool = False, dry_run: bool = False,
          say: Callable[[str], None] | None = None) -> tuple[list[Resource], int, list[str]]:
    """``vipchaos clean``: (what would go, how many live resources stay, what went). Without
    ``everything`` only what dead runs left; ``engine`` None (Docker unreachable): the host's
    links and chains only."""
    found = inventory(engine, everything=everything)
    victims = found if everything else dead(found)
    removed = [] if dry_run or not victims else remove(engine, victims, say)
    return victims, len(found) - len(victims), removed

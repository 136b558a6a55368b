"""Remedies: for a violation in an operator's run, the shipped bundle change known to remove it.

The mapping lives in the shipped bundles' own ``remedies.toml`` (not in code): each bundle
says which violations its changes remove, in the judge's own words (an invariant, signature
phrases as :mod:`harness.checkers.signature` writes them, optionally the fault), what the change
is and where it is, and what it costs::

    [[remedy]]
    invariant = "migration"
    fault = "freeze-mysqld"                  # optional: only on this fault
    network = "cloud"                        # optional: only on this network profile
    signature = ["VIP never moved off *"]    # one of them must be among the verdict's findings
    change = "weight 0 and a timeout on the MySQL check: FAULT after `fall` failed runs"
    see = "keepalived.conf.j2 (vrrp_script check_mysql), scripts/check_mysql.sh"
    costs = "a mysqld slower than the timeout twice in a row also moves the VIP"

A report names, for every violated verdict, the remedies that match it, and the verdict the
remedy's bundle got on the same test when the run has one (else the command that shows it).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.bundle.sources import TomlDoc
from harness.catalogue import INVARIANTS
from harness.errors import ConfigError

BUNDLES_DIR = Path(__file__).resolve().parent / "bundles"
KEYS = ("invariant", "fault", "network", "signature", "change", "see", "costs")


@dataclass(frozen=True)
class Remedy:
    bundle: str  # the shipped bundle whose change it is
    invariant: str
    signature: tuple[str, ...]
    change: str
    see: str
    costs: str
    fault: str | None = None
    network: str | None = None  # only on this network profile (harness.bundle.refs)
    where: str = ""  # remedies.toml:line

    def matches(self, invariant: str, findings: list[str], fault: str | None,
                network: str = "lan") -> bool:
        if invariant != self.invariant or (self.fault and self.fault != fault) or \
                (self.network and self.network != network):
            return False
        found = [f.lower() for f in findings]
        return any(fnmatch.fnmatchcase(f, p.lower()) for p in self.signature for f in found)

    def to_dict(self) -> dict[str, Any]:
        return {"bundle": self.bundle, "change": self.change, "see": self.see,
                "costs": self.costs, "where": self.where}


def load(path: Path, bundle: str) -> list[Remedy]:
    """One bundle's remedies.toml; ConfigError at file:line for anything that could never
    match (an unknown invariant or key, an empty signature, a missing change or cost)."""
    doc = TomlDoc.load(path, f"{bundle}/remedies.toml")
    items = doc.data.get("remedy", [])
    problems = doc.unknown_keys(doc.data, ("remedy",), (), "remedies.toml")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        # `[remedy]` or `remedy = "..."` would otherwise load as no remedies at all
        problems.append(f"{doc.where('remedy')}: remedy must be an array of tables: write "
                        "each one under [[remedy]]")
        items = []
    out = []
    for i, item in enumerate(items):
        problems += doc.unknown_keys(item, KEYS, ("remedy", i), "[[remedy]]")
        where = doc.where("remedy", i)
        if item.get("invariant") not in INVARIANTS:
            problems.append(f"{where}: invariant {item.get('invariant')!r}: one of "
                            f"{', '.join(INVARIANTS)}")
            continue
        sig = item.get("signature")
        sig = [sig] if isinstance(sig, str) else sig
        if not sig or not all(isinstance(s, str) and s.strip() for s in sig):
            problems.append(f"{where}: signature: the findings it removes, e.g. "
                            "[\"VIP never moved off *\"]")
            continue
        missing = [k for k in ("change", "see", "costs") if not str(item.get(k, "")).strip()]
        if missing:
            problems.append(f"{where}: {', '.join(missing)} missing: say what the change is, "
                            "where, and what it costs")
            continue
        out.append(Remedy(bundle, item["invariant"], tuple(sig), " ".join(item["change"].split()),
                          " ".join(item["see"].split()), " ".join(item["costs"].split()),
                          item.get("fault"), item.get("network"), where))
    if problems:
        raise ConfigError("\n".join(problems))
    return out


def shipped(root: Path = BUNDLES_DIR) -> list[Remedy]:
    """Every shipped bundle's remedies."""
    return [r for f in sorted(root.glob("*/remedies.toml")) for r in load(f, f.parent.name)]


def for_results(results: list[dict[str, Any]],
                remedies: list[Remedy] | None = None) -> list[dict[str, Any]]:
    """Per violated verdict of every result: the matching remedies of other bundles, each with
    its bundle's outcome on the same test in these results (or how to get one)."""
    remedies = shipped() if remedies is None else remedies
    by_test = {(str(r.get("bundle", "")).split("@")[0], r.get("test")): r.get("outcome")
               for r in results}
    out = []
    for r in results:
        bundle = str(r.get("bundle", "")).split("@")[0]
        for v in r.get("verdicts") or []:
            if v.get("status") != "FAIL":
                continue
            for rem in remedies:
                if rem.bundle == bundle or not rem.matches(v["invariant"],
                                                           v.get("signature") or [],
                                                           r.get("fault"),
                                                           r.get("network") or "lan"):
                    continue
                theirs = by_test.get((rem.bundle, r.get("test")))
                out.append({"bundle": r.get("bundle"), "test": r.get("test"),
                            "invariant": v["invariant"], "remedy": rem.to_dict(),
                            "their_outcome": theirs,
                            "see_it": None if theirs else
                            f"vipchaos run --config {rem.bundle} --faults {r.get('fault')}"})
    return out


def lines(found: list[dict[str, Any]]) -> list[str]:
    """The remedies as the terminal prints them."""
    out = []
    for f in found:
        rem = f["remedy"]
        seen = (f"{rem['bundle']} on the same test: {f['their_outcome']}" if f["their_outcome"]
                else f"see it: {f['see_it']}")
        out.append(f"remedy for {f['bundle']}/{f['test']} ({f['invariant']}): {rem['change']} "
                   f"[{rem['bundle']}: {rem['see']}; {seen}; costs: {rem['costs']}]")
    return out

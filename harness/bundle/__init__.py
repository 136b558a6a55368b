"""Config bundles: the operator's pair, as files, mapped onto the lab.

See :mod:`harness.bundle.layout` for the file layout, :mod:`harness.bundle.addresses` for the
address map, :mod:`harness.bundle.accounts` and :mod:`harness.bundle.risks` for accounts and
accepted risks, :mod:`harness.bundle.lint` for the checks that need no container.
"""

from harness.bundle.accounts import Statement
from harness.bundle.layout import SourceFile
from harness.bundle.loader import (
    BUNDLES_DIR,
    bundle_names,
    load_bundle,
    relocate,
    resolve,
    with_topology,
)
from harness.bundle.model import MIGRATION_MARGIN_S, Bundle, RenderedNode
from harness.bundle.refs import NETWORKS, parse_ref, with_network, with_platform
from harness.bundle.topology import NodeSpec, Topology, parse_topology

__all__ = ["BUNDLES_DIR", "MIGRATION_MARGIN_S", "NETWORKS", "Bundle", "NodeSpec",
           "RenderedNode", "SourceFile", "Statement", "Topology", "bundle_names", "load_bundle",
           "parse_ref", "parse_topology", "relocate", "resolve", "with_network",
           "with_platform", "with_topology"]

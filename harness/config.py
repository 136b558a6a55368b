"""Config bundles: the thing under test (kept as the stable import path).

The implementation lives in :mod:`harness.bundle`; this module re-exports its public names so
``from harness.config import load_bundle, relocate, Bundle, NodeSpec, Topology, BUNDLES_DIR,
bundle_names`` keeps working.
"""

from harness.bundle import (
    BUNDLES_DIR,
    MIGRATION_MARGIN_S,
    Bundle,
    NodeSpec,
    RenderedNode,
    SourceFile,
    Statement,
    Topology,
    bundle_names,
    load_bundle,
    parse_topology,
    relocate,
    resolve,
    with_topology,
)
from harness.bundle.layout import SCRIPTS_DIR

__all__ = ["BUNDLES_DIR", "MIGRATION_MARGIN_S", "SCRIPTS_DIR", "Bundle", "NodeSpec",
           "RenderedNode", "SourceFile", "Statement", "Topology", "bundle_names", "load_bundle",
           "parse_topology", "relocate", "resolve", "with_topology"]

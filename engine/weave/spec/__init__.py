"""The spec language: loading with positions, JSON Schemas, typed models and semantic checks."""

from weave.spec.loader import LoadResult, discover, load_project, load_sources, snapshot_documents
from weave.spec.model import Consumer, Event, Integration, Location, Owner, Project, Spec, System

__all__ = [
    "Consumer",
    "Event",
    "Integration",
    "LoadResult",
    "Location",
    "Owner",
    "Project",
    "Spec",
    "System",
    "discover",
    "load_project",
    "load_sources",
    "snapshot_documents",
]

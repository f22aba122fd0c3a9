"""A local stand-in for the national portal's API, for tests and demos (see server.py)."""

from steward.publishing.standin.server import Fault, FaultKind, RefusalRule, StandInPortal

__all__ = ["Fault", "FaultKind", "RefusalRule", "StandInPortal"]

"""Phase transitions: where a metric's series changes, and where metrics agree.

Only NumPy is imported here, so importing the package stays cheap.
"""

from phaseviz.transitions.agreement import IDENTICAL_METRICS, agreement
from phaseviz.transitions.detectors import DETECTORS, detect_transitions, detector_names
from phaseviz.transitions.transition import Agreement, Transition

__all__ = [
    "DETECTORS",
    "IDENTICAL_METRICS",
    "Agreement",
    "Transition",
    "agreement",
    "detect_transitions",
    "detector_names",
]

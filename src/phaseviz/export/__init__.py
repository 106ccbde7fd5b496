"""Plain-data exports of computed values and transitions: CSV and JSON.

This package is part of the headless core: it imports neither a view nor a
plotting library, so scripts and other tools can write the same files the
report writes.
"""

from phaseviz.export.metrics import (
    read_metrics_csv,
    write_metrics_csv,
    write_metrics_json,
)
from phaseviz.export.transitions import (
    AGREEMENT_FIELDS,
    TRANSITION_FIELDS,
    AgreementRow,
    TransitionRow,
    detect_run_transitions,
    write_agreement_csv,
    write_transitions_csv,
)

__all__ = [
    "AGREEMENT_FIELDS",
    "TRANSITION_FIELDS",
    "AgreementRow",
    "TransitionRow",
    "detect_run_transitions",
    "read_metrics_csv",
    "write_agreement_csv",
    "write_metrics_csv",
    "write_metrics_json",
    "write_transitions_csv",
]

"""The long-form metrics table: one row per run, checkpoint, metric (and layer).

The columns are ``run,checkpoint,step,metric,value``, and ``layer`` after
them when per-layer values are asked for. Values are written so that
reading them back gives the same floats; NaN is ``nan`` in CSV and null in
JSON.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from phaseviz.export._text import format_float, json_float, text_destination
from phaseviz.results import LAYER_RECORD_FIELDS, RECORD_FIELDS, RunResults, Value


def write_metrics_csv(
    results: Sequence[RunResults], dest: Path | TextIO, per_layer: bool = False
) -> None:
    """Write every value of ``results`` as a long-form CSV table.

    Args:
        results: The runs, written one after the other.
        dest: A file path (overwritten) or an open text stream.
        per_layer: Add a ``layer`` column and one row per layer value; the
            whole-model rows have an empty ``layer``.

    Example:
        >>> write_metrics_csv([results], Path("metrics.csv"))  # doctest: +SKIP
    """
    fields = LAYER_RECORD_FIELDS if per_layer else RECORD_FIELDS
    with text_destination(dest) as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(fields)
        for record in _records(results, per_layer):
            row = [
                record.run,
                record.checkpoint,
                str(record.step),
                record.metric,
                format_float(record.value),
            ]
            if per_layer:
                row.append(record.layer or "")
            writer.writerow(row)


def read_metrics_csv(path: Path | TextIO) -> list[Value]:
    """Read a table written by :func:`write_metrics_csv` back into values.

    Args:
        path: The CSV file, or an open text stream.

    Raises:
        ValueError: The header is not a metrics table's, naming the columns
            found.
    """
    if isinstance(path, Path):
        with path.open(encoding="utf-8", newline="") as stream:
            return _read_rows(stream, str(path))
    return _read_rows(path, "the stream")


def write_metrics_json(
    results: Sequence[RunResults], dest: Path | TextIO, per_layer: bool = False
) -> None:
    """Write every value of ``results`` as a JSON list of objects.

    Each object has the keys ``run``, ``checkpoint``, ``step``, ``metric``,
    ``value`` (and ``layer`` with ``per_layer``, null for whole-model
    values). NaN is written as null and an infinite value as ``"inf"`` or
    ``"-inf"``, since JSON has neither.

    Args:
        results: The runs, written one after the other.
        dest: A file path (overwritten) or an open text stream.
        per_layer: Also write one object per layer value.
    """
    objects = []
    for record in _records(results, per_layer):
        item: dict[str, object] = {
            "run": record.run,
            "checkpoint": record.checkpoint,
            "step": record.step,
            "metric": record.metric,
            "value": json_float(record.value),
        }
        if per_layer:
            item["layer"] = record.layer
        objects.append(item)

    with text_destination(dest) as stream:
        json.dump(objects, stream, indent=1, allow_nan=False)
        stream.write("\n")


def _records(results: Sequence[RunResults], per_layer: bool) -> Iterator[Value]:
    for run_results in results:
        yield from run_results.records(per_layer=per_layer)


def _read_rows(stream: TextIO, source: str) -> list[Value]:
    reader = csv.reader(stream)
    header = tuple(next(reader, ()))
    if header not in (RECORD_FIELDS, LAYER_RECORD_FIELDS):
        raise ValueError(
            f"{source} is not a phaseviz metrics table: its header is "
            f"{','.join(header) or '(empty)'}, expected {','.join(RECORD_FIELDS)}"
        )

    values = []
    for row in reader:
        layer = row[5] if len(row) > 5 and row[5] else None
        values.append(Value(row[0], row[1], int(row[2]), row[3], float(row[4]), layer))
    return values

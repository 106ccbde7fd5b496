from __future__ import annotations

from pathlib import Path

import pytest

from scale_helpers import WIDE, save_run


@pytest.fixture(params=["safetensors", "torch"])
def mapped_run(request, tmp_path: Path) -> Path:
    """A run in a format phaseviz memory-maps, its largest tensors 8 MB.

    Large enough that the kernel's granularity of mapping pages (a whole
    page-cache folio, up to 2 MB, on recent kernels) stays small beside it.
    """
    return save_run(tmp_path / request.param, request.param, (0, 1, 2), WIDE)

"""Choosing the device metrics are computed on."""

from __future__ import annotations

import logging

import torch

from phaseviz.checkpoints.errors import PhasevizError

logger = logging.getLogger(__name__)


class DeviceError(PhasevizError):
    """The requested device does not exist on this machine."""

    exit_code = 2


def resolve_device(spec: str) -> tuple[torch.device, str | None]:
    """Turn ``--device`` into a torch device, falling back to the CPU.

    ``cuda`` (the default) and ``cuda:N`` fall back to the CPU with a notice
    when CUDA is not available, so the same command works on a laptop and a
    GPU box.

    Args:
        spec: ``cuda``, ``cuda:N``, ``cpu`` or another torch device string.

    Returns:
        The device, and the notice to show the user once (or None).

    Raises:
        DeviceError: The string is no device, or names a GPU that is absent.
    """
    device = parse_device(spec)
    if device.type != "cuda":
        return device, None
    if not torch.cuda.is_available():
        notice = f"CUDA is not available here; computing on the CPU instead of {spec}"
        logger.warning(notice)
        return torch.device("cpu"), notice

    count = torch.cuda.device_count()
    if device.index is not None and device.index >= count:
        raise DeviceError(
            f"--device {spec}: this machine has {count} GPU(s), cuda:0 to "
            f"cuda:{count - 1}"
        )
    return device, None


def parse_device(spec: str) -> torch.device:
    """``--device`` as a torch device, without asking whether it is here.

    Raises:
        DeviceError: The string is no device.
    """
    try:
        return torch.device(spec)
    except (RuntimeError, ValueError) as error:
        raise DeviceError(
            f"--device {spec!r} is not a device: use cuda, cuda:N or cpu"
        ) from error

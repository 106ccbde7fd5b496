"""Checkpoint files written by the libraries that really write them."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import save_file


class Payload:
    """Unpickling this runs ``touch`` on a file: a stand-in for an attack."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.target}",))


def tiny_state_dict(seed: int = 0, prefix: str = "") -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {
        f"{prefix}fc1.weight": torch.randn(4, 3, generator=generator),
        f"{prefix}fc1.bias": torch.randn(4, generator=generator),
        f"{prefix}fc2.weight": torch.randn(2, 4, generator=generator),
        f"{prefix}fc2.bias": torch.randn(2, generator=generator),
    }


class Writer:
    """Writes checkpoints of each format into one run folder."""

    state_dict = staticmethod(tiny_state_dict)

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def torch(self, name: str, data: Any, **save_args: Any) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(data, path, **save_args)
        return path

    def lightning(self, name: str, step: int, epoch: int, seed: int = 0) -> Path:
        return self.torch(
            name,
            {
                "epoch": epoch,
                "global_step": step,
                "pytorch-lightning_version": "2.4.0",
                "state_dict": tiny_state_dict(seed, prefix="model."),
                "loops": {"fit_loop": {"epoch_progress": {"total": {"ready": epoch}}}},
                "callbacks": {
                    "ModelCheckpoint{'monitor': 'val_loss'}": {
                        "best_model_score": torch.tensor(0.25),
                    }
                },
                "optimizer_states": [
                    {
                        "state": {0: {"exp_avg": torch.zeros(4, 3)}},
                        "param_groups": [{"lr": 0.001}],
                    }
                ],
                "lr_schedulers": [{"last_epoch": epoch}],
                "hyper_parameters": {"in_features": 3, "hidden": 4, "out_features": 2},
            },
        )

    def safetensors(
        self,
        name: str,
        tensors: dict[str, torch.Tensor],
        metadata: dict[str, str] | None = None,
    ) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        save_file(tensors, str(path), metadata=metadata)
        return path

    def trainer_folder(
        self,
        name: str,
        step: int | None,
        *,
        shards: int = 0,
        seed: int = 0,
        bin_file: bool = False,
    ) -> Path:
        """A Hugging Face Trainer ``checkpoint-N/`` folder."""
        folder = self.root / name
        folder.mkdir(parents=True)
        tensors = tiny_state_dict(seed)
        if bin_file:
            torch.save(tensors, folder / "pytorch_model.bin")
        elif shards:
            self._shards(folder, tensors, shards)
        else:
            save_file(
                tensors, str(folder / "model.safetensors"), metadata={"format": "pt"}
            )

        torch.save({"param_groups": []}, folder / "optimizer.pt")
        torch.save({"python": 1}, folder / "rng_state.pth")
        (folder / "training_args.bin").write_bytes(b"not a checkpoint")
        (folder / "config.json").write_text(json.dumps({"hidden": 4}))
        if step is not None:
            (folder / "trainer_state.json").write_text(
                json.dumps(
                    {
                        "global_step": step,
                        "epoch": step / 100,
                        "log_history": [
                            {"step": step // 2, "loss": 9.0},
                            {
                                "step": step,
                                "loss": 0.5,
                                "learning_rate": 1e-4,
                                "epoch": 1.0,
                            },
                            {"step": step, "eval_loss": 0.75, "eval_runtime": 2.0},
                        ],
                    }
                )
            )
        return folder

    @staticmethod
    def _shards(folder: Path, tensors: dict[str, torch.Tensor], count: int) -> None:
        names = list(tensors)
        weight_map = {}
        for index in range(count):
            shard = f"model-{index + 1:05d}-of-{count:05d}.safetensors"
            part = {n: tensors[n] for n in names[index::count]}
            save_file(part, str(folder / shard), metadata={"format": "pt"})
            weight_map.update(dict.fromkeys(part, shard))
        index_file = folder / "model.safetensors.index.json"
        index_file.write_text(
            json.dumps({"metadata": {"total_size": 0}, "weight_map": weight_map})
        )

    def malicious(self, name: str, target: Path, *, legacy: bool = False) -> Path:
        """A checkpoint whose unpickling would create ``target``."""
        data = {"state_dict": tiny_state_dict(), "payload": Payload(target)}
        return self.torch(name, data, _use_new_zipfile_serialization=not legacy)

    def malicious_pickle(self, name: str, target: Path) -> Path:
        """A bare pickle (not torch's format) that would create ``target``."""
        path = self.root / name
        path.write_bytes(pickle.dumps(Payload(target), protocol=2))
        return path


@pytest.fixture
def ckpt_writer(tmp_path: Path) -> Writer:
    """A writer of checkpoints into ``tmp_path / "run"``."""
    return Writer(tmp_path / "run")

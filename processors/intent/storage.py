"""The on-disk form of an intent model: three files, none of them pickle.

- ``metadata.json``: format version, labels, parameters, calibration and thresholds, metrics,
  ``trained_at``, ``data_sha256``.
- ``vocabulary.json``: the feature terms in column order.
- ``arrays.npz``: ``idf``, ``weights`` (labels x features, float32) and ``bias``, read with
  ``allow_pickle=False`` so loading a model file can never execute code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from processors.intent.calibration import ScoreCalibration
from processors.intent.params import IntentParams

__all__ = ["FORMAT_VERSION", "StoredModel", "load_model_files", "save_model_files"]

FORMAT_VERSION = 1
METADATA_FILE = "metadata.json"
VOCABULARY_FILE = "vocabulary.json"
ARRAYS_FILE = "arrays.npz"


@dataclass(frozen=True, slots=True)
class StoredModel:
    """Everything read back from a model directory."""

    labels: tuple[str, ...]
    vocabulary: list[str]
    idf: npt.NDArray[np.float32]
    weights: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float32]
    calibration: ScoreCalibration
    params: IntentParams
    metadata: dict[str, Any]


def save_model_files(
    directory: Path,
    *,
    labels: tuple[str, ...],
    vocabulary: list[str],
    idf: npt.NDArray[np.float32],
    weights: npt.NDArray[np.float32],
    bias: npt.NDArray[np.float32],
    calibration: ScoreCalibration,
    params: IntentParams,
    metadata: dict[str, Any],
) -> None:
    """Write a model directory (created if missing; existing model files are replaced)."""
    directory.mkdir(parents=True, exist_ok=True)
    document = {
        "format_version": FORMAT_VERSION,
        "model": "char n-gram TF-IDF + one-vs-rest linear SVM, Platt-calibrated",
        "labels": list(labels),
        "params": params.to_dict(),
        "calibration": calibration.to_dict(),
        **metadata,
    }
    (directory / METADATA_FILE).write_text(
        json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    (directory / VOCABULARY_FILE).write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")
    with (directory / ARRAYS_FILE).open("wb") as handle:
        np.savez_compressed(
            handle,
            idf=idf.astype(np.float32),
            weights=np.ascontiguousarray(weights, dtype=np.float32),
            bias=bias.astype(np.float32),
        )


def load_model_files(directory: Path) -> StoredModel:
    """Read a model directory written by :func:`save_model_files`."""
    document = json.loads((directory / METADATA_FILE).read_text(encoding="utf-8"))
    if document.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{directory}: unsupported intent model format {document.get('format_version')!r}")
    vocabulary = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
    with np.load(directory / ARRAYS_FILE, allow_pickle=False) as arrays:
        idf, weights, bias = arrays["idf"], arrays["weights"], arrays["bias"]
    reserved = {"format_version", "model", "labels", "params", "calibration"}
    return StoredModel(
        labels=tuple(document["labels"]),
        vocabulary=list(vocabulary),
        idf=idf,
        weights=weights,
        bias=bias,
        calibration=ScoreCalibration(**document["calibration"]),
        # Models saved before the noise filter, its relabelling or description copies were trained without them.
        params=IntentParams(
            **{
                "noise_rank_cutoffs": (),
                "noise_relabel_min_probability": None,
                "label_description_copies": 1,
                **document["params"],
            }
        ),
        metadata={key: value for key, value in document.items() if key not in reserved},
    )

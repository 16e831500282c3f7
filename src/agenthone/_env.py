"""Process-wide defaults that keep agenthone offline and quiet.

Imported first by the package: every library we drive (MLflow, Hugging Face, Optuna, papermill)
reads these variables when it is imported, so they are set before any of them is.
A user who sets one of them explicitly keeps their value.
"""

from __future__ import annotations

import os
import warnings

OFFLINE_DEFAULTS: dict[str, str] = {
    "DO_NOT_TRACK": "true",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "ANONYMIZED_TELEMETRY": "false",
    "WANDB_DISABLED": "true",
    "WANDB_MODE": "disabled",
}


def apply_offline_defaults() -> None:
    """Set the offline/telemetry-off variables that the user has not set."""
    for key, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(key, value)
    # DuckDB's DataFrame export trips a pandas 3 deprecation that users cannot act on
    warnings.filterwarnings("ignore", message="The inplace keyword in DataFrame.drop", category=Warning)

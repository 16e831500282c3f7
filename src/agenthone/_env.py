"""Process-wide defaults that keep agenthone offline and quiet.

Applied by the faces only, for what they run: the ``hone`` command, ``Workbench.open()`` and the report
kernel (``import agenthone`` leaves the process alone). The libraries we drive (MLflow, Hugging Face,
Optuna, papermill) read these variables when first imported, so the faces set them before that.
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
    # deprecations raised inside DuckDB's, Ibis's, MLflow's and transformers' own code under pandas 3 /
    # DuckDB 2 / SQLAlchemy 2: users cannot act on them
    for message in (
        "The inplace keyword in DataFrame.drop",
        "The 'future.infer_string' option is deprecated",
        r"fetch_arrow_table\(\) is deprecated",
        "The ``noload`` loader strategy is deprecated",
        "For backward compatibility, 'str' dtypes are included by select_dtypes",
        "`is_gradient_checkpointing` is deprecated",
    ):
        warnings.filterwarnings("ignore", message=message, category=Warning)

"""Fine-tuning datasets: build from logs, clean, split, report quality, export, validate, estimate cost.

Build a dataset version from a declarative spec and read it back::

    from agenthone.datasets import DatasetSpec, build_dataset, load

    spec = DatasetSpec(name="support", sources=("edits", "conversations"), categories=("customer_service",))
    ds = build_dataset(spec)            # data/datasets/support/v1/ + an MLflow run
    ds.examples("train")[0]["messages"]
    ds.export_path("openai-chat", "train")
    load("support@v1").quality().figures()

Check any fine-tuning file before uploading it::

    from agenthone.datasets import validate_file
    report = validate_file("train.jsonl", format="openai-chat", model="gpt-4o-mini")
    report.ok, report.errors, report.cost_usd
"""

from agenthone.datasets._build import InsufficientDataError, build_dataset
from agenthone.datasets._catalog import (
    Dataset,
    DatasetCatalog,
    DatasetError,
    DatasetNotFoundError,
    latest_dataset,
    list_datasets,
    load,
)
from agenthone.datasets._dedup import NearDuplicates, exact_duplicate_keys, find_near_duplicates
from agenthone.datasets._example import Example, ExampleSource
from agenthone.datasets._export import EXPORT_EXTENSIONS
from agenthone.datasets._pii import DEFAULT_PII_ENTITIES, PiiRedactor
from agenthone.datasets._prices import ModelInfo, model_info, price_table
from agenthone.datasets._quality import QUALITY_FORMULA, QualityReport
from agenthone.datasets._spec import EXPORT_FORMATS, SOURCES, DatasetSpec, SpecError
from agenthone.datasets._split import SPLITS, assign_splits, find_leaks
from agenthone.datasets._tokens import EncodingUnavailableError, TokenCounter, ensure_encodings, get_encoding
from agenthone.datasets._validate import (
    VALIDATION_FORMATS,
    Distribution,
    ValidationError,
    ValidationReport,
    default_epochs,
    validate_examples,
    validate_file,
)

__all__ = [
    "DEFAULT_PII_ENTITIES",
    "EXPORT_EXTENSIONS",
    "EXPORT_FORMATS",
    "QUALITY_FORMULA",
    "SOURCES",
    "SPLITS",
    "VALIDATION_FORMATS",
    "Dataset",
    "DatasetCatalog",
    "DatasetError",
    "DatasetNotFoundError",
    "DatasetSpec",
    "Distribution",
    "EncodingUnavailableError",
    "Example",
    "ExampleSource",
    "InsufficientDataError",
    "ModelInfo",
    "NearDuplicates",
    "PiiRedactor",
    "QualityReport",
    "SpecError",
    "TokenCounter",
    "ValidationError",
    "ValidationReport",
    "assign_splits",
    "build_dataset",
    "default_epochs",
    "ensure_encodings",
    "exact_duplicate_keys",
    "find_leaks",
    "find_near_duplicates",
    "get_encoding",
    "latest_dataset",
    "list_datasets",
    "load",
    "model_info",
    "price_table",
    "validate_examples",
    "validate_file",
]

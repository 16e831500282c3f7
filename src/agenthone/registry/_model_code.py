"""Models-from-code entry point of registered versions: MLflow copies this file into each version."""

import mlflow.models

from agenthone.registry._pyfunc import HoneChatModel

mlflow.models.set_model(HoneChatModel())

"""The model registry (MLflow): versions from jobs, aliases, deployments to agents, archive, load.

    from agenthone.registry import register, deploy, load
    v = register("ftjob-20261101-120000-ab12", alias="champion", store=wb.store, settings=wb.settings)
    deploy("product-copywriter", "copy@champion", store=wb.store, settings=wb.settings)
    load("copy@champion").generate([[{"role": "user", "content": "Describe the red kettle"}]])

Every version also loads with ``mlflow.pyfunc.load_model("models:/copy@champion")``.
"""

from agenthone.registry._registry import (
    DEPLOYMENTS_DDL,
    Deployment,
    ModelVersionInfo,
    RegisteredChatModel,
    Registry,
    RegistryError,
    archive,
    comparison_defaults,
    current_deployment,
    deploy,
    deployments,
    list_versions,
    load,
    load_info,
    parse_model_ref,
    register,
    remove_alias,
    set_alias,
    tag_evaluation,
)

__all__ = [
    "DEPLOYMENTS_DDL",
    "Deployment",
    "ModelVersionInfo",
    "RegisteredChatModel",
    "Registry",
    "RegistryError",
    "archive",
    "comparison_defaults",
    "current_deployment",
    "deploy",
    "deployments",
    "list_versions",
    "load",
    "load_info",
    "parse_model_ref",
    "register",
    "remove_alias",
    "set_alias",
    "tag_evaluation",
]

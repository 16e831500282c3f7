"""Providers a team adds without editing agenthone: registered in the ``agenthone.providers`` entry-point group."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from agenthone import Workbench
from agenthone.providers import (
    ENTRY_POINT_GROUP,
    ChatProvider,
    FineTuner,
    NotSupportedError,
    available_providers,
    get_fine_tuner,
)
from tests.providers.stub_server import Stub, wire_workspace
from tests.training.copy_task import write_dataset

PLUGIN = '''
from agenthone.providers import ChatProvider, OpenAIProvider


class AcmeProvider(OpenAIProvider):
    """An in-house OpenAI-compatible fine-tuning service."""

    name = "acme"


class EchoModel:
    def __init__(self, model):
        self.name = f"echo:{model}"

    def generate(self, prompts, *, max_new_tokens=256, temperature=0.0):
        return [str(p[-1]["content"]) for p in prompts]


class EchoProvider(ChatProvider):
    """Generates by repeating the last message: a chat provider only."""

    name = "echo"

    def __init__(self, *, prefix=""):
        self.prefix = prefix

    def chat_model(self, model):
        return EchoModel(model)
'''


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A package installed the way pip leaves one: a module and its dist-info with entry points."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "acme_hone.py").write_text(PLUGIN, encoding="utf-8")
    info = site / "acme_hone-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-hone\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(
        textwrap.dedent(
            f"""
            [{ENTRY_POINT_GROUP}]
            acme = acme_hone:AcmeProvider
            echo = acme_hone:EchoProvider
            """
        ),
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(site))
    yield site


def test_a_registered_provider_is_found_by_name(plugin: Path) -> None:
    names = available_providers()
    assert {"local", "openai", "anthropic", "acme", "echo"} <= set(names)


def test_a_registered_fine_tuner_runs_jobs_like_a_shipped_one(plugin: Path, stub: Stub, workspace: Path) -> None:
    wire_workspace(workspace, stub.url, extra_toml=f'[providers.acme]\nbase_url = "{stub.url}/v1"\nmax_retries = 1\n')
    with Workbench.open(workspace) as wb:
        write_dataset(wb.settings.data_dir, "copy", n=40)
        tuner = wb.fine_tuner("acme")
        assert isinstance(tuner, FineTuner) and isinstance(tuner, ChatProvider)
        assert tuner.base_url == f"{stub.url}/v1"  # configured from hone.toml's [providers.acme]
        job = wb.jobs.watch(wb.jobs.submit("copy", provider="acme").job_id, interval=0.01)
        assert job.provider == "acme" and job.status == "succeeded"
        assert stub.state.calls("POST", "/v1/fine_tuning/jobs")


def test_a_chat_only_provider_generates_and_refuses_to_fine_tune(plugin: Path, workspace: Path) -> None:
    with Workbench.open(workspace) as wb:
        write_dataset(wb.settings.data_dir, "copy", n=20)
        echo = wb.chat_provider("echo", prefix=">")
        assert echo.generate("any", [[{"role": "user", "content": "hello"}]]) == ["hello"]
        with pytest.raises(NotSupportedError, match="the echo provider cannot fine-tune"):
            get_fine_tuner("echo", settings=wb.settings)
        result = wb.evaluate("echo:any", "copy", split="test", log_to_mlflow=False)
        assert result.model == "echo:any" and len(result.examples) == 3


def test_an_unknown_or_broken_provider_is_one_clear_error(plugin: Path, workspace: Path) -> None:
    from agenthone.errors import ConfigError

    with Workbench.open(workspace) as wb:
        with pytest.raises(ConfigError, match=r"unknown provider 'nope' \(known: acme, anthropic, echo, local, openai"):
            wb.provider("nope")
        with pytest.raises(ConfigError, match=r"\[providers.echo\]: .*unexpected keyword argument 'colour'"):
            wb.provider("echo", colour="red")

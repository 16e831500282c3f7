"""PII redaction: typed placeholders, secrets, no model download, clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from agenthone.datasets import PiiRedactor
from agenthone.errors import ConfigError
from tests.datasets.test_tokens import NO_NETWORK


@pytest.fixture(scope="module")
def redactor() -> PiiRedactor:
    return PiiRedactor()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mail lena_fischer@web.de today", "Mail <EMAIL> today"),
        ("Call +49 153 51551281 or 702.374.8834", "Call <PHONE> or <PHONE>"),
        ("Card 5513-9296-7940-0233 expires", "Card <CREDIT_CARD> expires"),
        ("Server 44.194.38.223 is down", "Server <IP_ADDRESS> is down"),
        ("IBAN FR84 2118 1307 23TQ BHWR KTFB Q32 please", "IBAN <IBAN> please"),
        ("SSN 121-74-4082 on file", "SSN <US_SSN> on file"),
        ("See https://lark-crm.com/contacts?name=Bruno+Rahman&dob=1965-12-08 now", "See <URL> now"),
        ("key sk-UV19APvnSeK6FUAWEDGmKHRrvEUmPztiIiNaRsqtzGgmmRqX ok", "key <SECRET> ok"),
        ("aws AKIAHEB2YLHZIY3FV1ZK and ghp_ATA67psneN2TFySGxUCgKRK0N3EBznl2uiBZ", "aws <SECRET> and <SECRET>"),
        ("Authorization: Bearer abcDEF123456ghiJKL789", "Authorization: Bearer <SECRET>"),
        ("password: hunter2Secret99", "password: <SECRET>"),
        ("edit setup.cfg, token: expired, order 1042", "edit setup.cfg, token: expired, order 1042"),
    ],
)
def test_typed_placeholders(redactor: PiiRedactor, text: str, expected: str) -> None:
    assert redactor.redact_text(text)[0] == expected


def test_hits_counted_by_type(redactor: PiiRedactor) -> None:
    result = redactor.redact(["a@b.io and c@d.io", None, "call +1-503-657-7237", "nothing here"])
    assert result.texts[1] is None and result.texts[3] == "nothing here"
    assert dict(result.hits) == {"EMAIL": 2, "PHONE": 1}


def test_entities_are_configurable() -> None:
    only_email = PiiRedactor(entities=("EMAIL",), secrets=False)
    assert only_email.redact_text("a@b.io +1-503-657-7237 sk-UV19APvnSeK6FUAWEDGmKHRrvEUmPztiIi")[0] == (
        "<EMAIL> +1-503-657-7237 sk-UV19APvnSeK6FUAWEDGmKHRrvEUmPztiIi"
    )


def test_errors_for_unknown_entities_and_missing_models() -> None:
    with pytest.raises(ConfigError, match="unknown PII entity 'PASSPORT'"):
        PiiRedactor(entities=("PASSPORT",))
    with pytest.raises(ConfigError, match="PERSON needs a spaCy NER model"):
        PiiRedactor(entities=("PERSON",))
    with pytest.raises(
        ConfigError, match="spaCy model 'xx_not_installed_model' is not installed; agenthone never downloads"
    ):
        PiiRedactor(entities=("PERSON",), nlp_model="xx_not_installed_model").redact_text("Ann lives in 1 Main St")


def test_runs_offline_without_any_spacy_model() -> None:
    script = NO_NETWORK + textwrap.dedent(
        """
        import sys
        from agenthone.datasets import PiiRedactor
        print(PiiRedactor().redact_text("write to ann@example.org from 10.0.0.1")[0])
        print(any(name.startswith("en_core_web") for name in sys.modules))
        """
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["write to <EMAIL> from <IP_ADDRESS>", "False"]

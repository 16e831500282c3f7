"""Batch redaction: the same results as text by text, whether in this process or spread over workers."""

from __future__ import annotations

import pytest

from agenthone.datasets import PiiRedactor, _pii

TEXTS = [
    "Mail lena_fischer@web.de today",
    "Call +49 153 51551281 or 702.374.8834",
    "Card 5513-9296-7940-0233 expires",
    "Server 44.194.38.223 is down",
    "SSN 121-74-4082 on file",
    "key sk-UV19APvnSeK6FUAWEDGmKHRrvEUmPztiIiNaRsqtzGgmmRqX ok",
    "Authorization: Bearer abcDEF123456ghiJKL789",
    "password: hunter2Secret99",
    "PASSWORD = 'Zq8xLm2Np4Rs7Tv'",
    "the api key rotation is due, token budget is 4000",  # keywords alone: nothing to redact
    "edit setup.cfg, token: expired, order 1042",
    "plain prose without anything",
    "",
]


@pytest.fixture(scope="module")
def redactor() -> PiiRedactor:
    return PiiRedactor()


def test_batch_in_process_equals_text_by_text(redactor: PiiRedactor) -> None:
    expected = [redactor.redact_text(t) for t in TEXTS]
    assert redactor.redact_batch(TEXTS * 2, processes=1) == expected * 2
    result = redactor.redact([*TEXTS, None])
    assert result.texts == [e[0] for e in expected] + [None]
    assert sum(result.hits.values()) == sum(len(e[1]) for e in expected)


def test_batch_over_worker_processes_equals_text_by_text(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [f"{t} #{i}" for i in range(4) for t in TEXTS]
    expected = [PiiRedactor().redact_text(t) for t in texts]
    monkeypatch.setattr(_pii, "_PARALLEL_MIN", 8)
    fresh = PiiRedactor()
    assert _pii._worker_count(2, len(texts)) == 2
    assert fresh.redact_batch(texts, processes=2) == expected
    assert not fresh._cache  # worker results are not kept in the parent


def test_secret_prefilter_is_no_looser_than_the_patterns(redactor: PiiRedactor) -> None:
    # what the tightened prefilter skips, Presidio would not have flagged
    for text in ("the api key rotation is due", "token budget 4000", "secret sauce", "the bearer-bond"):
        assert not _pii._MAYBE_SECRET.search(text)
        assert redactor.redact_text(text) == (text, ())

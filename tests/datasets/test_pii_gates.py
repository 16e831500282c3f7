"""The gated redaction path finds exactly what running every recognizer finds, on real texts.

The batch path asks each recognizer's gate first and runs only the recognizers whose gate matches (most
texts none at all); these tests compare it, text by text, with Presidio running every configured
recognizer on every text (email, card, IP, IBAN, SSN and secrets without their gates), on the public
DeFacto articles and summaries and the BFCL questions and tool schemas, as they are and with PII planted
in them, and the fast form of each gate with its regex.
"""

from __future__ import annotations

import json
import random

import pytest

from agenthone.datasets import PiiRedactor, _pii
from tests.conftest import shared_data

PLANTED = [
    "lena_fischer@web.de",
    "+49 153 51551281",
    "702.374.8834",
    "(415) 555-0132",
    "5513-9296-7940-0233",
    "44.194.38.223",
    "2001:db8::8a2e:370:7334",
    "::ffff:192.0.2.128",
    "64:ff9b::203.0.113.7",
    "10.0.0.1/24",
    "fe80::1%eth0",
    "DE89 3704 0044 0532 0130 00",
    "121-74-4082",
    "https://example.org/a?b=1",
    "www.example.co.uk",
    "sk-UV19APvnSeK6FUAWEDGmKHRrvEUmPztiIiNaRsqtzGgmmRqX",
    "AKIAIOSFODNN7EXAMPLE",
    "Authorization: Bearer abcDEF123456ghiJKL789",
    "password: hunter2Secret99",
    "API_KEY='Zq8xLm2Np4Rs7Tv9'",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN",
    "xoxb-1234567890-abcdefghij",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1234\n-----END RSA PRIVATE KEY-----",
    "ASIAY34FZKBOKMUTVV7A",
    "Token = ſk-UV19APvnSeK6FUAWEDGmKH",  # non-ASCII: the case-insensitive search itself decides
    "KEY: Ωmega77Ωmega77Ωmega77",
]


def _real_texts() -> list[str]:
    texts: list[str] = []
    for name in ("val.jsonl", "train.jsonl"):
        with shared_data("defacto", name).open(encoding="utf-8") as fh:
            lines = fh.readlines()
        for line in lines:
            record = json.loads(line)
            texts.append(record["article"])
            texts.append(record["candidate"])
            summary = (record.get("feedback") or {}).get("summary")
            if summary:
                texts.append(summary)
    with shared_data("bfcl", "BFCL_v4_live_simple.json").open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            texts.extend(m["content"] for turn in record["question"] for m in turn if m.get("content"))
            texts.append(json.dumps(record["function"]))
    return texts


@pytest.fixture(scope="module")
def texts() -> list[str]:
    real = _real_texts()
    rng = random.Random(0)
    planted = []
    for text in rng.sample(real, 300):  # PII put in the middle of real sentences
        words = text.split(" ")
        at = rng.randrange(len(words) + 1)
        planted.append(" ".join([*words[:at], rng.choice(PLANTED), *words[at:]]))
    return real + planted + PLANTED


def test_gates_answer_as_their_regexes(texts: list[str]) -> None:
    entities = list(_pii.DEFAULT_PII_ENTITIES)
    # each alternative of the secret gate alone, in both cases, and near misses
    alone = [f"{c} {w} {c}" for w in ("sk-", "AKIA", "asia", "ghs_", "GitHub_PAT_", "xoxp-", "Bearer\t", "-----begin")
             for c in ("x", "É")]  # fmt: skip
    alone += ["pwd:", "Passwd =", "TOKEN'  :", 'secret"=', "key   :", "key    :", "gh_", "ghx_", "github-pat_"]
    alone += ["http://localhost:8080/x", "a::b", "f:e", "Ab12", "x1.2", "a.bc", "www.", "1.x", "a@b", "a @b"]
    for text in [*alone, *texts]:
        expected = [name for name in entities if _pii._GATES[name].search(text)]
        if _pii._MAYBE_SECRET.search(text):
            expected.append("SECRET")
        assert _pii._gate_hits(text, entities, True) == expected, text[:200]


@pytest.mark.xdist_group("pii-gates")
def test_gated_batch_finds_what_every_recognizer_finds(texts: list[str]) -> None:
    redactor = PiiRedactor()
    batch = redactor.redact_batch(texts, processes=1)
    # every recognizer on every text, and without its gate but for phone and URL: their gates are part of
    # what they find (they keep libphonenumber from calling years and scores such as "1690" and "164-8"
    # phone numbers, and Presidio from calling "this...it" a URL)
    ungated = [*(e for e in _pii.DEFAULT_PII_ENTITIES if e not in ("PHONE", "URL")), "SECRET"]
    full = [redactor._redact_every_recognizer(text, ungated=ungated) for text in texts]
    assert batch == full
    found = [kinds for _, kinds in full if kinds]
    assert len(found) >= 300  # the comparison covers real findings, of every kind
    assert {kind for kinds in found for kind in kinds} == {*_pii.DEFAULT_PII_ENTITIES, "SECRET"}
    skipped = sum(1 for text in texts if not _pii._gate_hits(text, _pii.DEFAULT_PII_ENTITIES, True))
    assert skipped > len(texts) // 4  # and the gates do skip texts


def test_gates_answer_as_their_regexes_on_random_strings() -> None:
    rng = random.Random(3)
    alphabet = [*"0123456789aAfFzZwWkKsS.:@-_/ \t'\"=+()É٣", "www.", "://", "::", "sk-", "gh", "key", "pwd"]
    entities = list(_pii.DEFAULT_PII_ENTITIES)
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        expected = [name for name in entities if _pii._GATES[name].search(text)]
        if _pii._MAYBE_SECRET.search(text):
            expected.append("SECRET")
        assert _pii._gate_hits(text, entities, True) == expected, text

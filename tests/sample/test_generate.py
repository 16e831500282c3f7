"""The sample generator: deterministic, valid for the store, and every planted effect really there."""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import pytest

from agenthone.records import CATEGORIES
from agenthone.sample import DEFAULT_END, SCALES, SampleManifest, generate_sample
from agenthone.store import Store


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleManifest:
    return generate_sample(tmp_path_factory.mktemp("sample") / "seed0", seed=0, scale="small")


@pytest.fixture(scope="module")
def truth(sample: SampleManifest) -> dict[str, Any]:
    return sample.load_ground_truth()


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="module")
def edits(sample: SampleManifest) -> list[dict[str, Any]]:
    return _read(sample.edits)


@pytest.fixture(scope="module")
def runs(sample: SampleManifest) -> list[dict[str, Any]]:
    return _read(sample.runs)


@pytest.fixture(scope="module")
def conversations(sample: SampleManifest) -> list[dict[str, Any]]:
    return _read(sample.conversations)


def _words(text: str) -> list[str]:
    return text.lower().split()


def _shingles(text: str, k: int = 5) -> set[tuple[str, ...]]:
    words = _words(text)
    if len(words) < k:
        return {tuple(words)}
    return {tuple(words[i : i + k]) for i in range(len(words) - k + 1)}


def _jaccard(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> float:
    return len(a & b) / len(a | b)


def _chat_text(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m["content"] for m in messages if isinstance(m.get("content"), str))


def _field_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(
            m["content"] if isinstance(m, dict) and isinstance(m.get("content"), str) else "" for m in value
        )
    return json.dumps(value, ensure_ascii=False)


# -- determinism ---------------------------------------------------------------------------------


def test_same_seed_gives_identical_files_and_another_seed_differs(sample: SampleManifest, tmp_path: Path) -> None:
    again = generate_sample(tmp_path / "again", seed=0, scale="small", end=DEFAULT_END)
    for name in ("runs", "edits", "conversations", "malformed", "ground_truth"):
        assert getattr(again, name).read_bytes() == getattr(sample, name).read_bytes(), name
    other = generate_sample(tmp_path / "other", seed=1, scale="small")
    for name in ("runs", "edits", "conversations", "malformed"):
        assert getattr(other, name).read_bytes() != getattr(sample, name).read_bytes(), name


def test_progress_is_reported(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    generate_sample(tmp_path / "p", seed=3, progress=lambda stage, done, total: seen.append((stage, done, total)))
    stages = {s for s, _, _ in seen}
    assert {"runs", "edits", "conversations"} <= stages
    assert all(0 <= done <= total for _, done, total in seen)
    assert ("runs", SCALES["small"]["runs"], SCALES["small"]["runs"]) in seen


# -- validity and volume -------------------------------------------------------------------------


def test_every_record_is_accepted_by_the_store(sample: SampleManifest, tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        for kind, path, n in (
            ("run", sample.runs, sample.counts["runs"]),
            ("edit", sample.edits, sample.counts["edits"]),
            ("conversation", sample.conversations, sample.counts["conversations"]),
        ):
            report = store.ingest(path, kind)
            assert (report.accepted, report.duplicate, report.conflict, report.rejected) == (n, 0, 0, 0), kind
        assert store.counts() == {
            "runs": sample.counts["runs"],
            "edits": sample.counts["edits"],
            "conversations": sample.counts["conversations"],
        }


def test_counts_agents_and_shapes(
    truth: dict[str, Any], runs: list[dict[str, Any]], edits: list[dict[str, Any]], conversations: list[dict[str, Any]]
) -> None:
    for kind, records in (("runs", runs), ("edits", edits), ("conversations", conversations)):
        target = SCALES["small"][kind]
        assert 0.9 * target <= len(records) <= 1.1 * target
        assert truth["counts"][kind] == len(records)
        assert len({r["id"] for r in records}) == len(records)
        assert all(r["timestamp"].endswith("Z") for r in records)
        assert truth["start"] <= min(r["timestamp"] for r in records)
        assert max(r["timestamp"] for r in records) <= truth["end"]
    assert runs[0]["id"] == "run-0000001" and edits[0]["id"] == "edit-000001" and conversations[0]["id"] == "conv-00001"
    # 90 whole days ending with DEFAULT_END: 4 August to 1 November inclusive
    assert truth["start"] == "2026-08-04T00:00:00Z" and truth["end"] == "2026-11-01T23:59:59Z"

    agents = truth["agents"]
    assert 18 <= len(agents) <= 22
    per_category = Counter(a["category"] for a in agents)
    assert set(per_category) == set(CATEGORIES)
    assert all(2 <= n <= 4 for n in per_category.values())
    assert {r["agent_name"] for r in runs} == {a["agent_name"] for a in agents}
    for a in agents:
        assert 2 <= len(a["task_types"]) <= 5 and 2 <= len(a["intent_types"]) <= 5 and 1 <= len(a["models"]) <= 3

    # runs: plausible numbers
    success = sum(r["success"] for r in runs) / len(runs)
    assert 0.8 <= success <= 0.95
    ok = [r["score"] for r in runs if r["success"]]
    bad = [r["score"] for r in runs if not r["success"]]
    assert sum(ok) / len(ok) > sum(bad) / len(bad) + 0.3
    latencies = sorted(r["latency_ms"] for r in runs)
    assert 900 <= latencies[len(latencies) // 2] <= 3000
    assert latencies[int(len(latencies) * 0.99)] > 3 * latencies[len(latencies) // 2]
    assert 0.17 <= sum("user_feedback" in r for r in runs) / len(runs) <= 0.23
    assert max(Counter(r["session_id"] for r in runs).values()) >= 4
    assert any("region" in r for r in runs) and any("metadata" in r for r in runs)
    weekday = Counter(r["timestamp"][:10] for r in runs)
    import datetime as dt

    by_dow: dict[int, list[int]] = defaultdict(list)
    for day, n in weekday.items():
        by_dow[dt.date.fromisoformat(day).weekday()].append(n)
    mean = {d: sum(v) / len(v) for d, v in by_dow.items()}
    assert mean[6] < 0.7 * mean[2] and mean[5] < 0.7 * mean[2]

    # edits: prompts as text and as chat messages; conversations: tool calls, ratings, tags
    assert any(isinstance(e["prompt"], str) for e in edits) and any(isinstance(e["prompt"], list) for e in edits)
    assert 0.2 <= sum("run_id" in e for e in edits) / len(edits) <= 0.6
    run_ids = {r["id"] for r in runs}
    assert all(e["run_id"] in run_ids for e in edits if "run_id" in e)
    assert all(2 <= len(c["messages"]) <= 10 for c in conversations)
    with_tools = [c for c in conversations if any("tool_calls" in m for m in c["messages"])]
    assert 0.25 <= len(with_tools) / len(conversations) <= 0.45
    for c in with_tools:
        assert c.get("tools")
        calls = [tc["id"] for m in c["messages"] for tc in m.get("tool_calls", [])]
        answered = [m["tool_call_id"] for m in c["messages"] if m["role"] == "tool"]
        assert calls == answered
        for m in c["messages"]:
            for tc in m.get("tool_calls", []):
                assert m["content"] is None and tc["type"] == "function"
                assert isinstance(json.loads(tc["function"]["arguments"]), dict)
    assert any("rating" in c for c in conversations) and any("tags" in c for c in conversations)


def test_linked_runs_carry_the_suggestion(runs: list[dict[str, Any]], edits: list[dict[str, Any]]) -> None:
    by_id = {r["id"]: r for r in runs}
    linked = [e for e in edits if "run_id" in e]
    for e in linked:
        run = by_id[e["run_id"]]
        assert run["agent_name"] == e["agent_name"] and run["output"] == e["ai_output"] and run["input"] == e["prompt"]
        assert run["model"] == e["model"] and run["prompt_version"] == e["prompt_version"]
        assert run["timestamp"] <= e["timestamp"]


# -- planted effects -----------------------------------------------------------------------------


def _mine(edits: list[dict[str, Any]], agent: str) -> list[dict[str, Any]]:
    return [e for e in edits if e["agent_name"] == agent]


def _deleted_runs(ai: str, final: str) -> list[str]:
    a, b = ai.split(), final.split()
    out = []
    for tag, i1, i2, _, _ in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("delete", "replace") and i2 - i1 >= 2:
            out.append(" ".join(a[i1:i2]))
    return out


def test_filler_phrase(truth: dict[str, Any], edits: list[dict[str, Any]]) -> None:
    effect = truth["effects"]["filler_phrase"]
    phrase = effect["phrase"]
    assert len(phrase.split()) >= 3
    mine = _mine(edits, effect["agent"])
    assert len(mine) >= 2 * len(edits) / len(truth["agents"])
    assert all(e["ai_output"].startswith(phrase) for e in mine)
    gone = sum(phrase not in e["final_output"] for e in mine) / len(mine)
    assert gone >= 0.7 and effect["deleted_share"] == pytest.approx(gone, abs=1e-3)
    assert all(phrase not in e["ai_output"] for e in edits if e["agent_name"] != effect["agent"])
    # the phrase is this agent's most often deleted word sequence, by far
    deleted = Counter(run for e in mine for run in _deleted_runs(e["ai_output"], e["final_output"]))
    (top, top_n), (_, second_n) = deleted.most_common(2)
    assert phrase in top and top_n >= 5 * second_n


def test_omission(truth: dict[str, Any], edits: list[dict[str, Any]]) -> None:
    effect = truth["effects"]["omission"]
    phrase = effect["phrase"]
    mine = _mine(edits, effect["agent"])
    assert all(phrase not in e["ai_output"] for e in edits)
    added = sum(e["final_output"].endswith(phrase) for e in mine) / len(mine)
    assert added >= 0.65 and effect["added_share"] == pytest.approx(added, abs=1e-3)
    assert all(phrase not in e["final_output"] for e in edits if e["agent_name"] != effect["agent"])


def _accepted(e: dict[str, Any]) -> bool:
    return bool(e.get("accepted", " ".join(e["ai_output"].split()) == " ".join(e["final_output"].split())))


def _rates(records: list[dict[str, Any]], since: str, ok: Any) -> tuple[float, float, int]:
    before = [ok(r) for r in records if r["timestamp"] < since]
    after = [ok(r) for r in records if r["timestamp"] >= since]
    return sum(before) / len(before), sum(after) / len(after), len(after)


def test_regression_and_healthy_stability(
    truth: dict[str, Any], edits: list[dict[str, Any]], runs: list[dict[str, Any]]
) -> None:
    effect = truth["effects"]["regression"]
    since = effect["since"]
    assert since == "2026-10-26T00:00:00Z"
    before, after, _ = _rates(_mine(edits, effect["agent"]), since, _accepted)
    assert before - after >= 0.15
    assert (effect["acceptance_before"], effect["acceptance_after"]) == (
        pytest.approx(before, abs=1e-3),
        pytest.approx(after, abs=1e-3),
    )
    s_before, s_after, _ = _rates(
        [r for r in runs if r["agent_name"] == effect["agent"]], since, lambda r: r["success"]
    )
    assert s_before - s_after >= 0.15
    assert effect["success_before"] == pytest.approx(s_before, abs=1e-3)

    healthy = [a["agent_name"] for a in truth["agents"] if a["healthy"]]
    assert len(healthy) == len(truth["agents"]) - 4
    for name in healthy:
        b, a, n = _rates(_mine(edits, name), since, _accepted)
        assert 0.78 <= b <= 0.95, name
        # rates move in steps of 1/n; within 8 points (or half a step when the week holds few edits)
        assert abs(a - b) <= max(0.08, 0.5 / n + 0.01), (name, b, a, n)
        b, a, n = _rates([r for r in runs if r["agent_name"] == name], since, lambda r: r["success"])
        assert 0.8 <= b <= 0.95 and abs(a - b) <= 0.08, (name, b, a)
    pooled_b, pooled_a, _ = _rates([e for e in edits if e["agent_name"] in healthy], since, _accepted)
    assert abs(pooled_a - pooled_b) <= 0.04


_INFORMAL = re.compile(r"!|\b(you|you'll|you're|it's|don't|super|totally|really|wow|hey|seriously|honestly)\b", re.I)


def test_tone_shift(truth: dict[str, Any], edits: list[dict[str, Any]]) -> None:
    effect = truth["effects"]["tone_shift"]
    mine = _mine(edits, effect["agent"])
    ai_words = sum(len(e["ai_output"].split()) for e in mine) / len(mine)
    final_words = sum(len(e["final_output"].split()) for e in mine) / len(mine)
    assert final_words < 0.8 * ai_words
    ai_informal = sum(len(_INFORMAL.findall(e["ai_output"])) / len(e["ai_output"].split()) for e in mine)
    final_informal = sum(len(_INFORMAL.findall(e["final_output"])) / len(e["final_output"].split()) for e in mine)
    assert final_informal < 0.6 * ai_informal
    shifted = [
        e for e in mine if len(e["final_output"].split()) < len(e["ai_output"].split()) and "!" not in e["final_output"]
    ]
    assert 0.6 <= len(shifted) / len(mine) <= 0.8 and effect["share"] == pytest.approx(
        len(shifted) / len(mine), abs=0.02
    )


def test_effect_agents_are_distinct(truth: dict[str, Any]) -> None:
    effects = truth["effects"]
    carriers = [effects[k]["agent"] for k in ("filler_phrase", "omission", "regression", "tone_shift")]
    assert len(set(carriers)) == 4
    names = {a["agent_name"]: a for a in truth["agents"]}
    assert all(not names[c]["healthy"] for c in carriers)


def test_duplicate_clusters(truth: dict[str, Any], conversations: list[dict[str, Any]]) -> None:
    dups = truth["effects"]["duplicates"]
    by_id = {c["id"]: c for c in conversations}
    assert len(dups["exact"]) >= 30 and len(dups["near"]) >= 30
    seen: set[str] = set()
    for cluster in dups["exact"]:
        assert 2 <= len(cluster) <= 4 and not seen & set(cluster)
        seen |= set(cluster)
        first = by_id[cluster[0]]
        assert len(_words(_chat_text(first["messages"]))) >= 60
        for cid in cluster[1:]:
            assert by_id[cid]["messages"] == first["messages"] and by_id[cid]["timestamp"] >= first["timestamp"]
    for cluster in dups["near"]:
        assert 2 <= len(cluster) <= 4 and not seen & set(cluster)
        seen |= set(cluster)
        texts = [_chat_text(by_id[cid]["messages"]) for cid in cluster]
        assert len(set(texts)) == len(texts)
        shingles = [_shingles(t) for t in texts]
        for i in range(len(texts)):
            for j in range(i + 1, len(texts)):
                assert _jaccard(shingles[i], shingles[j]) >= 0.85
        original = by_id[cluster[0]]["messages"]
        for cid in cluster[1:]:
            changed = [k for k, (m1, m2) in enumerate(zip(original, by_id[cid]["messages"], strict=True)) if m1 != m2]
            assert len(changed) == 1
            a, b = original[changed[0]]["content"].split(), by_id[cid]["messages"][changed[0]]["content"].split()
            assert len(a) == len(b) and 1 <= sum(x != y for x, y in zip(a, b, strict=True)) <= 2


def test_unrelated_conversations_share_few_shingles(truth: dict[str, Any], conversations: list[dict[str, Any]]) -> None:
    cluster_of: dict[str, int] = {}
    dups = truth["effects"]["duplicates"]
    for k, cluster in enumerate(dups["exact"] + dups["near"]):
        for cid in cluster:
            cluster_of[cid] = k
    shingles = [_shingles(_chat_text(c["messages"])) for c in conversations]
    rnd = random.Random(7)

    def unrelated(i: int, j: int) -> bool:
        ci, cj = cluster_of.get(conversations[i]["id"]), cluster_of.get(conversations[j]["id"])
        return ci is None or ci != cj

    pairs: list[tuple[int, int]] = []
    while len(pairs) < 500:
        i, j = rnd.sample(range(len(conversations)), 2)
        if unrelated(i, j):
            pairs.append((i, j))
    scores = [_jaccard(shingles[i], shingles[j]) for i, j in pairs]
    assert sum(scores) / len(scores) < 0.2
    assert sum(s > 0.5 for s in scores) / len(scores) < 0.01
    # the same holds for two chats of the same agent, and for two suggestions of the same agent
    by_agent: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(conversations):
        by_agent[c["agent_name"]].append(i)
    same = []
    for members in by_agent.values():
        for _ in range(25):
            i, j = rnd.sample(members, 2)
            if unrelated(i, j):
                same.append(_jaccard(shingles[i], shingles[j]))
    assert sum(same) / len(same) < 0.1 and max(same) < 0.5


def test_unrelated_edits_share_few_shingles(edits: list[dict[str, Any]]) -> None:
    rnd = random.Random(11)
    by_agent: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in edits:
        by_agent[e["agent_name"]].append(e)
    scores = []
    for members in by_agent.values():
        for _ in range(25):
            a, b = rnd.sample(members, 2)
            scores.append(_jaccard(_shingles(a["ai_output"]), _shingles(b["ai_output"])))
    assert sum(scores) / len(scores) < 0.1 and max(scores) < 0.5


def _luhn(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(reversed(digits)))
    return total % 10 == 0


def _iban_ok(iban: str) -> bool:
    s = iban.replace(" ", "")
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def test_planted_pii(
    truth: dict[str, Any], runs: list[dict[str, Any]], edits: list[dict[str, Any]], conversations: list[dict[str, Any]]
) -> None:
    pii = truth["effects"]["pii"]
    records = {
        "run": {r["id"]: r for r in runs},
        "edit": {e["id"]: e for e in edits},
        "conversation": {c["id"]: c for c in conversations},
    }
    assert {p["type"] for p in pii} == {
        "EMAIL",
        "PHONE",
        "CREDIT_CARD",
        "US_SSN",
        "IP_ADDRESS",
        "IBAN",
        "URL",
        "SECRET",
    }
    for p in pii:
        rec = records[p["kind"]][p["id"]]
        field = {"run": "input", "edit": "prompt", "conversation": "messages"}[p["kind"]]
        assert p["field"] == field
        if p["kind"] == "conversation":
            text = "\n".join(m["content"] for m in rec["messages"] if m["role"] == "user")
        else:
            text = _field_text(rec[field])
        assert p["value"] in text, p
        value = p["value"]
        if p["type"] == "CREDIT_CARD":
            assert len(re.sub(r"\D", "", value)) == 16 and _luhn(value)
        elif p["type"] == "US_SSN":
            area, group, serial = value.split("-")
            assert area not in ("000", "666") and not area.startswith("9") and group != "00" and serial != "0000"
        elif p["type"] == "IBAN":
            assert _iban_ok(value)
        elif p["type"] == "IP_ADDRESS":
            assert all(0 <= int(x) <= 255 for x in value.split("."))
        elif p["type"] == "SECRET":
            assert re.fullmatch(r"sk-[A-Za-z0-9]{48}|AKIA[A-Z0-9]{16}|ghp_[A-Za-z0-9]{36}", value)
    own_runs = {p["id"] for p in pii if p["kind"] == "run"}
    assert 0.015 <= len(own_runs) / len(runs) <= 0.04
    assert 0.03 <= len({p["id"] for p in pii if p["kind"] == "edit"}) / len(edits) <= 0.07
    assert 0.03 <= len({p["id"] for p in pii if p["kind"] == "conversation"}) / len(conversations) <= 0.07
    # nothing that looks like an e-mail address or a card number appears outside the planted values
    planted = {p["value"] for p in pii}
    emails = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
    for e in edits:
        for m in emails.findall(_field_text(e["prompt"]) + " " + e["ai_output"]):
            assert any(m in v or v in m for v in planted), m


# -- malformed file ------------------------------------------------------------------------------


def test_malformed_file_is_classified_as_the_ground_truth_says(
    sample: SampleManifest, truth: dict[str, Any], tmp_path: Path
) -> None:
    expected = truth["effects"]["malformed"]
    raw = sample.malformed.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    assert raw.count(b"\n") == len(expected["lines"])
    kinds = Counter(line["expected"] for line in expected["lines"])
    assert kinds["blank"] >= 2 and kinds["duplicate"] >= 1 and kinds["conflict"] >= 1 and kinds["rejected"] >= 12
    assert 45 <= kinds["accepted"] <= 60
    with Store(tmp_path / "m.duckdb") as store:
        report = store.ingest(sample.malformed, "run")
        got = {
            "accepted": report.accepted,
            "duplicate": report.duplicate,
            "conflict": report.conflict,
            "rejected": report.rejected,
        }
        assert got == expected["counts"]
        quarantine = [json.loads(line) for line in store.quarantine.read_text(encoding="utf-8").splitlines()]
    reasons = {q["line"]: q["reason"] for q in quarantine}
    for line in expected["lines"]:
        if line["expected"] == "rejected":
            want = line.get("problem") or f"'{line['field']}'"
            assert want in reasons[line["line"]], (line, reasons.get(line["line"]))
        elif line["expected"] == "conflict":
            assert reasons[line["line"]].startswith("conflict")
        else:
            assert line["line"] not in reasons, line
    problems = " | ".join(reasons.values())
    for needle in (
        "invalid JSON",
        "invalid UTF-8",
        "expected a JSON object",
        "missing required field 'timestamp'",
        "missing required field 'agent_name'",
        "'score'",
        "'success'",
        "'tokens_in'",
        "'latency_ms'",
        "'timestamp'",
    ):
        assert needle in problems, needle


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale"):
        generate_sample(tmp_path, scale="huge")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="days"):
        generate_sample(tmp_path, days=5)

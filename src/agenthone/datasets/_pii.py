"""PII and secret redaction with Microsoft Presidio's pattern recognizers, fully offline.

Presidio's ``AnalyzerEngine`` normally loads (and downloads) a large spaCy NER model. Here it runs with
no NLP model at all: the pattern recognizers (email, phone, credit card, IP, IBAN, US SSN, URL) need
none, and agenthone adds recognizers for secrets (OpenAI/Anthropic ``sk-`` keys, AWS ``AKIA`` key ids,
GitHub tokens, bearer tokens, private keys and high-entropy values assigned to ``key``/``token``/
``secret``/``password``). NER entities (PERSON, LOCATION, ...) are available only when the user names a
spaCy model that is already installed; nothing is ever downloaded. Presidio's email validation uses
tldextract, which fetches the public suffix list from the network by default: it is replaced by the
suffix list snapshot tldextract ships.

Each hit is replaced by a typed placeholder such as ``<EMAIL>``; overlapping hits are resolved by
Presidio's anonymizer (the higher score wins).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from agenthone.errors import ConfigError

__all__ = ["DEFAULT_PII_ENTITIES", "PII_ENTITIES", "PiiRedactor", "RedactionResult"]

PII_ENTITIES: dict[str, str] = {
    "EMAIL": "EMAIL_ADDRESS",
    "PHONE": "PHONE_NUMBER",
    "CREDIT_CARD": "CREDIT_CARD",
    "IP_ADDRESS": "IP_ADDRESS",
    "IBAN": "IBAN_CODE",
    "US_SSN": "US_SSN",
    "URL": "URL",
}
"""agenthone's pattern entity names -> Presidio's."""

DEFAULT_PII_ENTITIES: tuple[str, ...] = tuple(PII_ENTITIES)

NER_ENTITIES: dict[str, str] = {
    "PERSON": "PERSON",
    "LOCATION": "LOCATION",
    "ORGANIZATION": "ORGANIZATION",
    "NRP": "NRP",
    "DATE_TIME": "DATE_TIME",
}
"""Entities that need a spaCy NER model (``nlp_model``)."""

_FROM_PRESIDIO = {v: k for k, v in {**PII_ENTITIES, **NER_ENTITIES}.items()}

# Each recognizer runs only on texts its entity could be in (a recognizer whose gate does not match a text
# finds nothing in it, so these gates change no result; phone and URL matching are slow).
_GATES: dict[str, re.Pattern[str]] = {
    "EMAIL": re.compile(r"\w@\w"),
    "PHONE": re.compile(r"(?:\d\D{0,3}){7}"),
    "CREDIT_CARD": re.compile(r"(?:\d[ -]?){12}"),
    # IPv4, alone or inside IPv6, is a dotted quad of 1-3 digit groups; the other IPv6 forms have '::' or h:h
    "IP_ADDRESS": re.compile(r"\d\.\d{1,3}\.\d{1,3}\.\d|[0-9A-Fa-f]:[0-9A-Fa-f]|::"),
    # Presidio's IBAN pattern: two letters, two digits, then at least two groups of four letters or digits
    "IBAN": re.compile(r"[^\W\d_]{2}\d{2}(?:[ -]?\w{4}){2}"),
    "US_SSN": re.compile(r"\d{3}[- .]?\d{2}[- .]?\d{4}"),
    "URL": re.compile(r"://|www\.|[A-Za-z0-9]\.[A-Za-z]{2}"),
}
_MAYBE_SECRET = re.compile(
    r"sk-|AKIA|ASIA|gh[pousr]_|github_pat_|xox[abpr]-|bearer\s|-----BEGIN"
    r"|(?:key|token|secret|passw(?:or)?d|pwd)[\"']?\s{0,3}[:=]",
    re.I,
)
"""What each secret pattern needs (Presidio matches them ignoring case): a keyword alone, common in agent
texts, is not enough; the assigned-secret pattern needs it followed by ``:`` or ``=``."""

# The same gates, asked faster: each search below starts at a literal character (which Python's regex
# engine finds with a fast scan) and a gate's regex runs only where a cheap necessary condition holds.
# ``_gate_hits`` answers exactly what the gates answer (tests compare both on real texts).
_DIGIT = re.compile(r"\d")
_SEVEN_DIGITS = re.compile(r"\d(?:\D{0,3}\d){6}")  # (?:\d\D{0,3}){7}
_DOTTED_QUAD = re.compile(r"\.(?<=\d\.)\d{1,3}\.\d{1,3}\.\d")  # \d\.\d{1,3}\.\d{1,3}\.\d
_HEX_COLON_HEX = re.compile(r":(?<=[0-9A-Fa-f]:)[0-9A-Fa-f]")  # [0-9A-Fa-f]:[0-9A-Fa-f]
_IBAN_START = re.compile(r"\d(?<=[^\W\d_]{2}\d)\d(?:[ -]?\w{4}){2}")  # the IBAN gate
_HOST_DOT = re.compile(r"\.(?<=[A-Za-z0-9]\.)[A-Za-z]{2}")  # [A-Za-z0-9]\.[A-Za-z]{2}
_MAYBE_SECRET_LOWER = re.compile(_MAYBE_SECRET.pattern.replace("AKIA|ASIA", "akia|asia").replace("BEGIN", "begin"))
_SECRET_LITERALS = ("sk-", "akia", "asia", "github_pat_", "xox", "bearer", "-----begin")
_SECRET_KEYWORDS = ("key", "token", "secret", "passw", "pwd")


def _maybe_secret(text: str) -> bool:
    """``_MAYBE_SECRET.search(text)``. For ASCII text, ignoring case is exactly lower-casing both sides, so
    the lower-cased text is searched, and only when it holds the literals some alternative needs."""
    if not text.isascii():
        return _MAYBE_SECRET.search(text) is not None
    low = text.lower()
    if (
        any(literal in low for literal in _SECRET_LITERALS)
        or ("gh" in low and "_" in low)
        or (("=" in low or ":" in low) and any(keyword in low for keyword in _SECRET_KEYWORDS))
    ):
        return _MAYBE_SECRET_LOWER.search(low) is not None
    return False


def _gate_hits(text: str, entities: Sequence[str], secrets: bool) -> list[str]:
    """agenthone's names of the ``entities`` (and ``SECRET``) whose recognizers' gates match ``text``."""
    hits: set[str] = set()
    if "@" in text and _GATES["EMAIL"].search(text):
        hits.add("EMAIL")
    if "://" in text or "www." in text or ("." in text and _HOST_DOT.search(text)):
        hits.add("URL")
    if ":" in text and ("::" in text or _HEX_COLON_HEX.search(text)):
        hits.add("IP_ADDRESS")
    if _DIGIT.search(text):
        if _SEVEN_DIGITS.search(text):  # 12 card digits or 9 SSN digits imply 7 digits this close
            hits.add("PHONE")
            if _GATES["CREDIT_CARD"].search(text):
                hits.add("CREDIT_CARD")
            if _GATES["US_SSN"].search(text):
                hits.add("US_SSN")
        if _DOTTED_QUAD.search(text):
            hits.add("IP_ADDRESS")
        if _IBAN_START.search(text):
            hits.add("IBAN")
    out = [name for name in entities if name in hits or name in NER_ENTITIES]
    if secrets and _maybe_secret(text):
        out.append("SECRET")
    return out


SECRET_PATTERNS: tuple[tuple[str, str, float], ...] = (
    ("api key (sk-)", r"\bsk-(?:ant-|proj-|svcacct-|live-|test-)?[A-Za-z0-9_\-]{20,}", 0.9),
    ("aws access key id", r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b", 0.9),
    ("github token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})", 0.9),
    ("slack token", r"\bxox[abpr]-[A-Za-z0-9-]{10,}", 0.9),
    ("bearer token", r"(?i)(?<=bearer\s)[A-Za-z0-9_\-.=+/]{16,}", 0.8),
    ("private key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----", 0.9),
    (
        "assigned secret",
        r"(?i)(?<=(?:key|token|secret|password|passwd|pwd)[\"']?\s{0,3}[:=]\s{0,3}[\"']?)[A-Za-z0-9_\-.+/=]{12,}",
        0.6,
    ),
)
"""(name, regex, score) of the secret recognizers; all report the entity SECRET."""


def _entropy(text: str) -> float:
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


@dataclass
class RedactionResult:
    """Redacted texts and how many hits of each type were replaced."""

    texts: list[str | None]
    hits: Counter[str] = field(default_factory=Counter)


def _import_presidio(*, torch: bool = False) -> None:
    """Import Presidio without its optional Hugging Face engine (it would pull in transformers and
    torch, seconds of import time, for recognizers agenthone never uses) and, unless ``torch`` (a spaCy
    model is asked for, which may run on it), without torch: spaCy's thinc imports it when it can, which
    costs about 180 MB of memory and two seconds that pattern recognizers never use. thinc then runs
    without torch in this process (a torch-based spaCy pipeline needs ``nlp_model`` set from the first
    redactor on)."""
    import sys

    if "presidio_analyzer" in sys.modules:
        return
    names = ("transformers",) if torch else ("transformers", "torch")
    blocked = [name for name in names if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import presidio_analyzer  # noqa: F401
        import presidio_anonymizer  # noqa: F401
    finally:
        for name in blocked:
            if sys.modules.get(name, "") is None:
                del sys.modules[name]


@cache
def _offline_tld_extractor() -> Any:
    import tldextract

    # the bundled public-suffix snapshot only: no fetch, no cache folder
    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


def _recognizers(
    entities: Sequence[str], secrets: bool, *, torch: bool = False, ungated: Collection[str] = ()
) -> list[Any]:
    """The recognizers of ``entities`` (and secrets), each behind its gate but those named in ``ungated``."""
    _import_presidio(torch=torch)
    from presidio_analyzer import Pattern, PatternRecognizer
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        UrlRecognizer,
        UsSsnRecognizer,
    )

    class OfflineEmailRecognizer(EmailRecognizer):  # type: ignore[misc]
        def validate_result(self, pattern_text: str) -> bool:
            return bool(_offline_tld_extractor()(pattern_text).fqdn)

    class SecretRecognizer(PatternRecognizer):  # type: ignore[misc]
        """API keys, tokens and passwords; keyword-assigned values must look random (entropy)."""

        def validate_result(self, pattern_text: str) -> bool | None:
            if len(pattern_text) >= 24 and any(c.isdigit() for c in pattern_text) and _entropy(pattern_text) >= 3.0:
                return True
            return None

        def invalidate_result(self, pattern_text: str) -> bool:
            # "key: value" prose ("token: expired") is not a secret: require digits or mixed case
            has_digit = any(c.isdigit() for c in pattern_text)
            mixed = any(c.isupper() for c in pattern_text) and any(c.islower() for c in pattern_text)
            return not (has_digit or mixed) or _entropy(pattern_text) < 2.5

    class InternationalPhoneRecognizer(PatternRecognizer):  # type: ignore[misc]
        """+CC numbers in any grouping, which libphonenumber's strict matching can miss."""

        def validate_result(self, pattern_text: str) -> bool | None:
            return None if 8 <= sum(c.isdigit() for c in pattern_text) <= 15 else False

    class WholeWordUrlRecognizer(UrlRecognizer):  # type: ignore[misc]
        """URLs that end at a word boundary: Presidio alone turns ``setup.cfg`` into a ``setup.cf`` URL."""

        def analyze(self, text: str, *args: Any, **kwargs: Any) -> Any:
            results = super().analyze(text, *args, **kwargs) or []
            return [r for r in results if r.end >= len(text) or not (text[r.end].isalnum() or text[r.end] == "_")]

    def gated(cls: type, gate: re.Pattern[str], name: str) -> type:
        if name in ungated:
            return cls

        class Gated(cls):  # type: ignore[misc,valid-type]
            def analyze(self, text: str, *args: Any, **kwargs: Any) -> Any:
                return super().analyze(text, *args, **kwargs) if gate.search(text) else []

        Gated.__name__ = cls.__name__
        return Gated

    builders = {
        "EMAIL": OfflineEmailRecognizer,
        "PHONE": PhoneRecognizer,
        "CREDIT_CARD": CreditCardRecognizer,
        "IP_ADDRESS": IpRecognizer,
        "IBAN": IbanRecognizer,
        "US_SSN": UsSsnRecognizer,
        "URL": WholeWordUrlRecognizer,
    }
    found = [gated(builders[name], _GATES[name], name)() for name in entities if name in builders]
    if "PHONE" in entities:
        phone = gated(InternationalPhoneRecognizer, _GATES["PHONE"], "PHONE")
        pattern = Pattern("international phone", r"(?<![\w+])\+\d{1,3}(?:[ .\-]?\(?\d{1,5}\)?){2,6}(?![\w-])", 0.4)
        found.append(
            phone(supported_entity="PHONE_NUMBER", name="InternationalPhoneRecognizer", patterns=[pattern], context=[])
        )
    if secrets:
        found.append(
            gated(SecretRecognizer, _MAYBE_SECRET, "SECRET")(
                supported_entity="SECRET",
                name="SecretRecognizer",
                patterns=[Pattern(name, regex, score) for name, regex, score in SECRET_PATTERNS],
                context=[],
            )
        )
    return found


def _no_nlp_engine() -> Any:
    from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine

    class NoNlpEngine(NlpEngine):  # type: ignore[misc]
        """Pattern recognizers only: no tokens, no entities, no model to load."""

        def load(self) -> None:
            return None

        def is_loaded(self) -> bool:
            return True

        def process_text(self, text: str, language: str) -> Any:
            no_tokens: Any = []
            return NlpArtifacts(
                entities=[], tokens=no_tokens, tokens_indices=[], lemmas=[], nlp_engine=self, language=language
            )

        def process_batch(
            self, texts: Iterable[str], language: str, batch_size: int = 1, n_process: int = 1, **kwargs: Any
        ) -> Any:
            for text in texts:
                yield text, self.process_text(text, language)

        def is_stopword(self, word: str, language: str) -> bool:
            return False

        def is_punct(self, word: str, language: str) -> bool:
            return False

        def get_supported_entities(self) -> list[str]:
            return []

        def get_supported_languages(self) -> list[str]:
            return ["en"]

    return NoNlpEngine()


def _spacy_engine(model: str) -> Any:
    from pathlib import Path

    import spacy

    if not (spacy.util.is_package(model) or Path(model).exists()):
        raise ConfigError(
            f"spaCy model {model!r} is not installed; agenthone never downloads models: install it "
            "(pip install <model wheel>) or leave nlp_model unset to use pattern recognizers only"
        )
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    return SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}])


class PiiRedactor:
    """Replace PII and secrets in text by typed placeholders (``<EMAIL>``, ``<SECRET>``, ...).

    ``entities`` are agenthone's names (:data:`PII_ENTITIES`; NER names such as PERSON need
    ``nlp_model``, the name or path of an installed spaCy model). Texts with no character that any
    recognizer could match skip Presidio, and each distinct text is analysed once.
    """

    def __init__(
        self,
        *,
        entities: Sequence[str] = DEFAULT_PII_ENTITIES,
        secrets: bool = True,
        nlp_model: str | None = None,
        score_threshold: float = 0.3,
    ) -> None:
        unknown = [e for e in entities if e not in PII_ENTITIES and e not in NER_ENTITIES]
        if unknown:
            known = ", ".join([*PII_ENTITIES, *NER_ENTITIES])
            raise ConfigError(f"unknown PII entity {unknown[0]!r}; known: {known}")
        ner = [e for e in entities if e in NER_ENTITIES]
        if ner and not nlp_model:
            raise ConfigError(f"PII entity {ner[0]} needs a spaCy NER model: set nlp_model to an installed model")
        self.entities = tuple(entities)
        self.secrets = secrets
        self.nlp_model = nlp_model
        self.score_threshold = score_threshold
        self._analyzer: Any = None
        self._references: dict[frozenset[str], Any] = {}
        self._anonymizer: Any = None
        self._operators: dict[str, Any] = {}
        self._presidio_entities = [PII_ENTITIES.get(e) or NER_ENTITIES[e] for e in self.entities]
        if secrets:
            self._presidio_entities.append("SECRET")
        self._cache: dict[str, tuple[str, tuple[str, ...]]] = {}

    def _engines(self) -> tuple[Any, Any]:
        if self._analyzer is None:
            import logging

            _import_presidio(torch=bool(self.nlp_model))
            from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
            from presidio_anonymizer import AnonymizerEngine
            from presidio_anonymizer.entities import OperatorConfig

            logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
            registry = RecognizerRegistry(supported_languages=["en"])
            for recognizer in _recognizers(self.entities, self.secrets, torch=bool(self.nlp_model)):
                registry.add_recognizer(recognizer)
            if self.nlp_model:
                nlp_engine = _spacy_engine(self.nlp_model)
                from presidio_analyzer.predefined_recognizers import SpacyRecognizer

                registry.add_recognizer(SpacyRecognizer(supported_entities=list(NER_ENTITIES.values())))
            else:
                nlp_engine = _no_nlp_engine()
            self._analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])
            self._anonymizer = AnonymizerEngine()
            self._operators = {
                presidio: OperatorConfig("replace", {"new_value": f"<{_FROM_PRESIDIO.get(presidio, presidio)}>"})
                for presidio in self._presidio_entities
            }
        return self._analyzer, self._anonymizer

    def _entities_for(self, text: str) -> list[str]:
        """Presidio's names of the entities whose recognizers could find something in ``text``."""
        if self.nlp_model:
            return self._presidio_entities
        return [PII_ENTITIES.get(e, e) for e in _gate_hits(text, self.entities, self.secrets)]

    def redact_text(self, text: str) -> tuple[str, tuple[str, ...]]:
        """The redacted text and the types of the hits replaced in it.

        Only the recognizers whose gate matches the text run (often none: the text is returned as is); the
        others would find nothing, so the result is what running every recognizer gives.
        """
        if not text:
            return text, ()
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        entities = self._entities_for(text)
        out = self._analyze(text, entities) if entities else (text, ())
        if entities and len(self._cache) < 200_000:
            self._cache[text] = out
        return out

    def _analyze(self, text: str, entities: list[str]) -> tuple[str, tuple[str, ...]]:
        analyzer, anonymizer = self._engines()
        results = analyzer.analyze(text=text, language="en", entities=entities, score_threshold=self.score_threshold)
        if not results:
            return text, ()
        anonymized = anonymizer.anonymize(text=text, analyzer_results=results, operators=self._operators)
        kinds = tuple(_FROM_PRESIDIO.get(item.entity_type, item.entity_type) for item in anonymized.items)
        return anonymized.text, kinds

    def _redact_every_recognizer(self, text: str, *, ungated: Collection[str] = ()) -> tuple[str, tuple[str, ...]]:
        """What every configured recognizer finds in ``text``, with no gate asked first, and the recognizers
        named in ``ungated`` without their gates either (the reference for tests)."""
        if not text:
            return text, ()
        key = frozenset(ungated)
        if key not in self._references:
            from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

            self._engines()
            registry = RecognizerRegistry(supported_languages=["en"])
            for recognizer in _recognizers(self.entities, self.secrets, torch=bool(self.nlp_model), ungated=key):
                registry.add_recognizer(recognizer)
            self._references[key] = AnalyzerEngine(
                registry=registry, nlp_engine=self._analyzer.nlp_engine, supported_languages=["en"]
            )
        results = self._references[key].analyze(
            text=text, language="en", entities=self._presidio_entities, score_threshold=self.score_threshold
        )
        if not results:
            return text, ()
        anonymized = self._anonymizer.anonymize(text=text, analyzer_results=results, operators=self._operators)
        return anonymized.text, tuple(_FROM_PRESIDIO.get(i.entity_type, i.entity_type) for i in anonymized.items)

    def redact(self, texts: Iterable[str | None], *, processes: int | None = 1) -> RedactionResult:
        """Redact many texts (None stays None); ``hits`` counts replacements by type.

        ``processes`` as in :meth:`redact_batch` (default: this process only).
        """
        items = list(texts)
        present = [text for text in items if text is not None]
        done = iter(self.redact_batch(present, processes=processes))
        result = RedactionResult(texts=[])
        for text in items:
            if text is None:
                result.texts.append(None)
                continue
            redacted, kinds = next(done)
            result.texts.append(redacted)
            result.hits.update(kinds)
        return result

    def redact_batch(self, texts: Sequence[str], *, processes: int | None = None) -> list[tuple[str, tuple[str, ...]]]:
        """:meth:`redact_text` of each text, the same results, faster on many texts.

        Each distinct text is looked at once; texts no recognizer's gate matches are returned as they are,
        and when many are left (``_PARALLEL_MIN``) their analysis is spread over ``processes`` worker
        processes (default: the CPUs this process may use, at most 8; 1 keeps it in this process).
        """
        out: dict[str, tuple[str, tuple[str, ...]]] = {}
        todo: list[tuple[str, list[str]]] = []
        for text in texts:
            if text in out:
                continue
            cached = self._cache.get(text) if text else None
            if cached is not None:
                out[text] = cached
                continue
            entities = self._entities_for(text) if text else []
            out[text] = (text, ())
            if entities:
                todo.append((text, entities))
        workers = _worker_count(processes, len(todo))
        if workers <= 1:
            for text, entities in todo:
                out[text] = self._analyze(text, entities)
                if len(self._cache) < 200_000:
                    self._cache[text] = out[text]
        else:
            import gc
            import multiprocessing

            size = max(64, math.ceil(len(todo) / (workers * 8)))
            batches = [todo[i : i + size] for i in range(0, len(todo), size)]
            config = (self.entities, self.secrets, self.nlp_model, self.score_threshold)
            # fork: the workers need nothing re-imported, and the calling script needs no __main__ guard;
            # the caller's objects are frozen first, so the workers' garbage collector leaves their pages
            # shared (it would otherwise write to every object and copy all the caller's memory)
            context = multiprocessing.get_context("fork")
            gc.freeze()
            try:
                with context.Pool(workers, initializer=_worker_init, initargs=(config,)) as pool:
                    for batch, outs in zip(batches, pool.imap(_worker_redact, batches), strict=True):
                        out.update(zip((text for text, _ in batch), outs, strict=True))
            finally:
                gc.unfreeze()
        return [out[text] for text in texts]


_PARALLEL_MIN = 2000
"""Fewer texts to analyse than this stay in the calling process (starting workers costs seconds)."""


def _worker_count(processes: int | None, n: int) -> int:
    import os

    if n < _PARALLEL_MIN or not hasattr(os, "fork"):
        return 1
    if processes is None:
        available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        processes = min(8, available)
    return max(1, min(processes, n // (_PARALLEL_MIN // 2)))


_WORKER: PiiRedactor | None = None


def _worker_init(config: tuple[Sequence[str], bool, str | None, float]) -> None:
    global _WORKER
    entities, secrets, nlp_model, threshold = config
    _WORKER = PiiRedactor(entities=entities, secrets=secrets, nlp_model=nlp_model, score_threshold=threshold)


def _worker_redact(batch: list[tuple[str, list[str]]]) -> list[tuple[str, tuple[str, ...]]]:
    assert _WORKER is not None
    return [_WORKER._analyze(text, entities) for text, entities in batch]

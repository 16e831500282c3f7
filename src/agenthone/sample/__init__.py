"""Sample agent logs with known effects planted in them, for demos, tests and benchmarks.

``generate_sample`` writes runs, edits and conversations of about twenty agents over ninety days, a
run log full of defects for ingestion tests, and ``ground_truth.json``: which agent carries which
effect and how strong it came out, the duplicate clusters, every planted PII value, the verdict the
store should reach on each malformed line, and the two planted online experiments (a prompt A/B test
with a known acceptance lift and an A/A test) with their arms' rates.
"""

from agenthone.sample._generate import DEFAULT_END, SCALES, SampleManifest, generate_sample

__all__ = ["DEFAULT_END", "SCALES", "SampleManifest", "generate_sample"]

"""Learning from human edits of AI output, offline (no model downloads).

- :func:`diff`: the word-level diff of an edit (difflib opcodes over :func:`agenthone.text.word_tokens`),
  renderable in a terminal (Rich) or a notebook (HTML), and sentence by sentence (:func:`sentences`);
- :func:`deletion_patterns` / :func:`addition_patterns`: the word n-grams people remove from or add to an
  agent's outputs, with their share of the agent's edits, examples and a recommendation;
- :func:`tone_shift`: how edits change length, formality, sentiment and readability, with CIs and tests;
- :func:`improvement_opportunities`: all of the above as one ranked list per agent.
"""

from agenthone.analytics._diff import EditDiff, diff, load_edit, sentences, show_edit, split_sentences
from agenthone.analytics._insights import (
    addition_patterns,
    deletion_patterns,
    edit_patterns,
    edits_frame,
    improvement_opportunities,
    tone_shift,
)
from agenthone.analytics._patterns import mine_patterns, split_edits
from agenthone.analytics._tone import text_measures, tone_changes

__all__ = [
    "EditDiff",
    "addition_patterns",
    "deletion_patterns",
    "diff",
    "edit_patterns",
    "edits_frame",
    "improvement_opportunities",
    "load_edit",
    "mine_patterns",
    "sentences",
    "show_edit",
    "split_edits",
    "split_sentences",
    "text_measures",
    "tone_changes",
    "tone_shift",
]

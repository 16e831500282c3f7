"""Composing requests, answers and system prompts for one agent from its domain's templates."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from agenthone.sample._domains import CHATTY_OPENERS, POLICIES, Domain
from agenthone.sample._grammar import Template, compile_template, render, to_formal
from agenthone.sample._vocab import SLOTS

__all__ = ["FILLER_PHRASE", "Sentence", "Writer"]

FILLER_PHRASE = "Let me analyze this."
"""The opening the filler-phrase agent puts in front of everything it writes."""

_DETAILS = tuple(
    compile_template(t)
    for t in (
        "[Keep it|Make it|Please keep it] [short|brief|under {count}0 words|to one paragraph]",
        "[This is|It is] for [the {weekday} review|a customer in {city}|{owner} on the {team} team|the {month} update]",
        "[Use|Follow] [our usual format|the house style|the template from last time][ and mention {date}|]",
        "[Deadline|Due]: [end of day|{weekday}|{date}][, thanks|; ping me if blocked|]",
        "[Context|Background]: [this came up in|raised during] [a {team} team call|the {project} review|"
        "a ticket from {city}]",
        "[Priority|Urgency] is [high|normal|low][ because {owner} asked|; no rush|]",
    )
)


@dataclass(frozen=True)
class Sentence:
    """A rendered sentence and the template it came from (so a person's edit can reword it)."""

    template: Template
    text: str
    """rendered text, possibly with casual/formal marks"""


_SPACE_PUNCT = re.compile(r" +([.,;:!?])")
_AN = re.compile(r"\b([Aa]) (?=[aeioAEIO](?!ne[\s-]))")


def _finish(text: str, mark: str = ".") -> str:
    """Sentence case, "an" before vowels, and a closing mark."""
    text = text.strip()
    if "a " in text or "A " in text:
        text = _AN.sub(r"\1n ", text)
    if " ." in text or " ," in text or " ;" in text:
        text = _SPACE_PUNCT.sub(r"\1", text)
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".?!:»›\x02\x04":
        text += mark
    return text


class Writer:
    """Writes the texts of one agent; ``casual`` keeps casual-register marks for the tone-shift agent."""

    def __init__(self, domain: Domain, agent_name: str, rnd: random.Random) -> None:
        self.domain = domain
        self.agent_name = agent_name
        self.rnd = rnd

    def context(self) -> dict[str, str]:
        """The slots that stay fixed across one record."""
        rnd = self.rnd
        ctx = {"agent": self.agent_name}
        for name in self.domain.fixed:
            source = SLOTS[name]
            ctx[name] = source(rnd) if callable(source) else source[int(rnd.random() * len(source))]
        return ctx

    def say(self, template: Template, ctx: dict[str, str]) -> str:
        return render(template, ctx, self.rnd, SLOTS)

    def _one(self, bank: tuple[Template, ...], ctx: dict[str, str]) -> Sentence:
        t = bank[int(self.rnd.random() * len(bank))]
        return Sentence(t, _finish(self.say(t, ctx)))

    def request(self, ctx: dict[str, str], *, detail: float = 0.35) -> str:
        """What a user asks the agent (a run's input, an edit's instruction, a chat's first message)."""
        rnd = self.rnd
        t = self.domain.requests[int(rnd.random() * len(self.domain.requests))]
        text = self.say(t, ctx).strip()
        question = "?" not in text and text.split(" ", 1)[0] in _QUESTION_WORDS
        text = _finish(text, "?" if question else ".")
        if rnd.random() < detail:
            text += " " + _finish(self.say(_DETAILS[int(rnd.random() * len(_DETAILS))], ctx))
        return to_formal(text)

    def followup(self, ctx: dict[str, str]) -> str:
        return to_formal(self._one(self.domain.followups, ctx).text)

    def answer(self, ctx: dict[str, str], body: int, *, closer: float = 0.4) -> list[Sentence]:
        """An opener, ``body`` distinct body sentences and sometimes a closer (marks kept)."""
        rnd = self.rnd
        out = [self._one(self.domain.openers, ctx)]
        bank = self.domain.body
        picks = [i for i in rnd.sample(range(len(bank)), min(body + 1, len(bank))) if bank[i] is not out[0].template]
        for i in picks[:body]:
            out.append(Sentence(bank[i], _finish(self.say(bank[i], ctx))))
        if rnd.random() < closer and self.domain.closers:
            out.append(self._one(self.domain.closers, ctx))
        return out

    def casual_extras(self, ctx: dict[str, str]) -> tuple[Sentence, Sentence | None]:
        """A chatty opener and maybe one more casual-only line (both vanish in the formal register)."""
        rnd = self.rnd
        opener = self._one(CHATTY_OPENERS, ctx)
        extra = self._one(self.domain.casual, ctx) if self.domain.casual and rnd.random() < 0.7 else None
        return opener, extra

    def reword(self, sentence: Sentence, ctx: dict[str, str]) -> Sentence:
        """The same sentence said another way (a fresh draw of the same template)."""
        return Sentence(sentence.template, _finish(self.say(sentence.template, ctx)))

    def failure(self, ctx: dict[str, str]) -> str:
        rnd = self.rnd
        if self.domain.failures and rnd.random() < 0.6:
            return to_formal(self._one(self.domain.failures, ctx).text)
        return to_formal(_finish(self.say(_GENERIC_FAILURES[int(rnd.random() * len(_GENERIC_FAILURES))], ctx)))

    def system_prompt(self, ctx: dict[str, str]) -> str:
        rnd = self.rnd
        parts = [_finish(self.say(self.domain.personas[int(rnd.random() * len(self.domain.personas))], ctx))]
        for i in rnd.sample(range(len(POLICIES)), rnd.randint(1, 3)):
            parts.append(_finish(self.say(POLICIES[i], ctx)))
        return to_formal(" ".join(parts))


_QUESTION_WORDS = frozenset(
    [
        "Is",
        "Are",
        "Was",
        "Were",
        "Why",
        "How",
        "What",
        "Which",
        "Where",
        "When",
        "Who",
        "Can",
        "Could",
        "Does",
        "Do",
        "Did",
        "Will",
        "Would",
        "Should",
        "Any",
    ]
)

_GENERIC_FAILURES = tuple(
    compile_template(t)
    for t in (
        "Error: [upstream model call|the provider request|the completion request] [timed out|was cancelled] "
        "after {seconds}[ (attempt {count} of 3)|; no output produced|]",
        "Error: [rate limit exceeded|429 Too Many Requests|quota exhausted for this key]; "
        "[retry after {count} s|request dropped|the job will retry later]",
        "[The response was cut off|Output truncated] at the token limit[ before the answer was complete|"
        "; partial text discarded|]",
        "[Refused|Declined]: the request [lacked|was missing] [the required context|an input file|a product id]",
    )
)

"""Print the README's record-schema section, generated from agenthone.records.

python scripts/schema_markdown.py            # print it
python scripts/schema_markdown.py --write    # replace the section in README.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from agenthone.records import KINDS

START, END = "<!-- schema:start -->", "<!-- schema:end -->"

TYPE_TEXT = {
    "id": "string (numbers accepted)",
    "text": "string",
    "content": "text or any JSON",
    "timestamp": "ISO 8601 (naive = UTC)",
    "bool": 'true/false (also "true", 1/0, "yes"/"no")',
    "unit": "number in [0, 1]",
    "nonneg": "number ≥ 0",
    "count": "integer ≥ 0",
    "number": "number",
    "object": "JSON object",
    "array": "JSON array",
    "messages": "OpenAI chat messages",
    "tags": 'list of strings, or "a, b"',
}


def render() -> str:
    parts = [START]
    for kind in KINDS.values():
        parts.append(f"\n#### `{kind.name}` → table `{kind.table}`\n\n{kind.description}\n")
        parts.append("| field | type | required | meaning |\n|---|---|---|---|")
        for f in kind.fields:
            parts.append(f"| `{f.name}` | {TYPE_TEXT[f.type]} | {'yes' if f.required else ''} | {f.description} |")
        parts.append(f"\n```json\n{json.dumps(kind.example, ensure_ascii=False)}\n```")
    parts.append(END)
    return "\n".join(parts)


def main() -> None:
    block = render()
    if "--write" not in sys.argv:
        print(block)
        return
    readme = Path(__file__).resolve().parents[1] / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(head + block + tail, encoding="utf-8")


if __name__ == "__main__":
    main()

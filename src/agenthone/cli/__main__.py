"""``python -m agenthone.cli``: the same as the ``hone`` command."""

from agenthone.cli import main

main()

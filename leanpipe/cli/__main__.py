"""`python -m leanpipe.cli ...`: the same as the `leanpipe` command."""

from . import console

console()

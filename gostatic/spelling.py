"""A "did you mean" hint for a name the user misspelt: a strategy, a key, a package."""

from __future__ import annotations

from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A "; did you mean 'x'?" hint for ``word``, or "" when nothing is close."""
    import difflib  # only on the way to an error message

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""

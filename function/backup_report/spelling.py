""""Did you mean": the nearest of the accepted words to a misspelled one (a setting, a payload key, a region).

Standard-library difflib (`get_close_matches`, Ratcliff/Obershelp similarity from 0 to 1): `INSTANCE_TAG` is
0.96 of `INSTANCE_TAGS`, `SLACK_WEBHOOK_URL` 0.87 of `SLACK_WEBHOOK`, `cn-hangzou` 0.95 of `cn-hangzhou`.
"""
from __future__ import annotations

import difflib
from typing import Iterable

CUTOFF = 0.6  # difflib's default: close enough to name as a guess where the word is known to be wrong


def nearest(word: str, choices: Iterable[str], cutoff: float = CUTOFF) -> str:
    """The choice most like `word` (compared case-blind; returned as the choice is spelled), or "" when none
    is at least `cutoff` alike or `word` is one of them."""
    spelled = {c.casefold(): c for c in choices}
    if word.casefold() in spelled:
        return ""
    found = difflib.get_close_matches(word.casefold(), list(spelled), n=1, cutoff=cutoff)
    return spelled[found[0]] if found else ""


def did_you_mean(word: str, choices: Iterable[str], cutoff: float = CUTOFF, quoted: bool = False) -> str:
    """" (did you mean X?)" for the nearest choice (`quoted`: as repr, like a payload key), or ""."""
    found = nearest(word, choices, cutoff)
    return f" (did you mean {found!r}?)" if found and quoted else f" (did you mean {found}?)" if found else ""

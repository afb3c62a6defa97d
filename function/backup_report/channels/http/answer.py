"""What a post comes to: the service's Answer, a channel's Refusal of it, and the two ways a post fails
without an answer (NotSent: it certainly did not leave; Unknown: it may have been delivered)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

MAX_ANSWER_BYTES = 64 * 1024  # every real answer is a few bytes: "ok", {"errcode":0,"errmsg":"ok"}


@dataclass(frozen=True)
class Answer:
    """What the service answered: status, headers (lower-case names), and at most MAX_ANSWER_BYTES of body."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    truncated: bool = False  # the body was longer (after decompression) or could not be decompressed


@dataclass(frozen=True)
class Refusal:
    """A channel's reading of an answer that is not success.

    `retry`: the service certainly did not take the message and trying again may help.
    `wait`: seconds the service asked for (Slack's Retry-After); when they do not fit the budget,
    the channel gives up at once with `error`, which says so.
    """

    error: str
    retry: bool = False
    wait: float | None = None


class NotSent(Exception):
    """The request certainly did not reach the service: retrying cannot post twice."""


class Unknown(Exception):
    """The request was sent and no complete answer came: it may have been delivered."""

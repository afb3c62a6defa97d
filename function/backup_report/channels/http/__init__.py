"""One post to a webhook, by idea: `answer` (what a post comes to), `transport` (the post itself and its
whole deadline), `causes` (whether a failed post left), `retries` (the retry rule)."""
from .answer import MAX_ANSWER_BYTES, Answer, NotSent, Refusal, Unknown
from .retries import Retries
from .transport import CHUNK_BYTES, JSON, Transport

__all__ = ["Answer", "CHUNK_BYTES", "JSON", "MAX_ANSWER_BYTES", "NotSent", "Refusal", "Retries", "Transport", "Unknown"]

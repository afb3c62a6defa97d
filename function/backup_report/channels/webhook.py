"""What the webhook channels share: the shell each channel module specialises (WebhookChannel), and the
pieces of reading an answer (its words, a redirect, a status that is not 200, JSON, the integer 0), the
errcode/errmsg convention of DingTalk's and WeCom's robots whole."""
from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Callable, ClassVar, Iterable

from ..model import Delivery
from ..redact import secrets_of
from .base import body_bytes, clean, service_words
from .http import Answer, Refusal

if TYPE_CHECKING:
    from ..digest import Digest
    from ..settings import Settings
    from .http import Transport


class WebhookChannel(ABC):
    """A channel that posts its message to a webhook: the shell every channel module specialises.

    A channel's class names what differs: its `name` (its module's NAME, the Delivery's channel), the
    Settings fields it is built from (`webhook_setting`; `secret_setting`, `mention_setting` when it has
    them), `render` (the digest as its message, within its limits) and `read` (its answer: None when
    accepted, else a Refusal), both its module's functions; and, when it signs, `url` (called for each
    attempt: DingTalk's signed URL carries a fresh timestamp) or `body` (once a post: Feishu signs the
    body). The rest is here: the constructor, the secrets scrubbed from what the service says (the
    webhook and its token-shaped parts, the signing secret), the send through the Transport, and
    `from_settings` (what the registry calls: `channels.base.configured`).
    """

    name: str
    webhook_setting: ClassVar[str]
    secret_setting: ClassVar[str] = ""
    mention_setting: ClassVar[str] = ""

    def __init__(self, webhook: str, transport: "Transport", secret: str = "", mention: tuple[str, ...] = (),
                 clock: Callable[[], float] = time.time):
        self._webhook, self._secret, self._mention = webhook, secret, mention
        self._transport, self._clock = transport, clock
        self._secrets = tuple(secrets_of([webhook, secret]))

    @classmethod
    def from_settings(cls, settings: "Settings", transport: "Transport") -> "WebhookChannel | None":
        """The channel as `settings` give it, or None when its webhook is not set."""
        webhook = getattr(settings, cls.webhook_setting)
        if not webhook:
            return None
        return cls(webhook, transport, secret=getattr(settings, cls.secret_setting) if cls.secret_setting else "",
                   mention=getattr(settings, cls.mention_setting) if cls.mention_setting else ())

    @abstractmethod
    def render(self, dg: "Digest") -> dict:
        """The digest dressed for the channel: a JSON-ready dict within its limits."""

    @abstractmethod
    def read(self, answer: Answer) -> Refusal | None:
        """None when the service accepted the message; else what it said, scrubbed of the channel's secrets."""

    def url(self) -> str:
        """Where one attempt posts (called for each attempt)."""
        return self._webhook

    def body(self, message: dict) -> bytes:
        """What a post sends, the same for each of its attempts."""
        return body_bytes(message)

    def send(self, message: dict) -> Delivery:
        """Posts `message` through the Transport under its retry rule; never raises."""
        return self._transport.deliver(self.name, self.url, self.body(message), self.read)


# --- reading an answer ---------------------------------------------------------------------------------

UNKNOWN_CODE = ("refused", False)  # (meaning, retry?) of a code a channel's table does not name


def words_of(answer: Answer, secrets: Iterable[str]) -> str:
    """The answer's body as service_words (one clean line, scrubbed of `secrets`), "" for none."""
    return service_words(answer.body, secrets) if answer.body else ""


def quoted(words: str) -> str:
    """`: words` after a status, or nothing when the service said nothing."""
    return f": {words}" if words else ""


def aside(label: str, words: str) -> str:
    """` (label: words)` after a meaning, or nothing when the service said nothing."""
    return f" ({label}: {words})" if words else ""


def json_of(body: bytes) -> object:
    """The body as JSON, or None when it is not: not JSON, 1e400-digit numbers, nesting past the parser's depth."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def is_zero(code: object) -> bool:
    """Whether a service's code is the integer 0, its success: `0.9`, `false`, `"0"` are not."""
    return type(code) is int and code == 0  # noqa: E721 - bool is an int subclass, and False is not success


def redirected(answer: Answer, why: str) -> Refusal:
    """A 3xx, never followed (http/transport.py): a failure that says `why`."""
    return Refusal(f"HTTP {answer.status}: {why}")


def http_refusal(answer: Answer, said: str) -> Refusal:
    """An answer that is not HTTP 200 (nor a redirect): its status and what the service `said`; 429 and
    5xx may be retried (the service did not take the message)."""
    return Refusal(f"HTTP {answer.status}{said}", retry=answer.status == 429 or answer.status >= 500)


def errcode_answer(answer: Answer, service: str, secrets: Iterable[str], redirect: str,
                   meaning: Callable[[int, str], tuple[str, bool]]) -> Refusal | None:
    """None for an answer in the errcode/errmsg convention that DingTalk robots and WeCom group robots
    share that accepts the message: HTTP 200 JSON with `errcode` the integer 0. Else a Refusal: a 3xx
    says `redirect`; 429 and 5xx may be retried; a non-zero errcode says `service`, the code and
    `meaning(code, errmsg)`'s meaning, and is retried when it says so. errmsg as service_words (one
    line, scrubbed of `secrets`). Never raises."""
    words = words_of(answer, secrets)
    if 300 <= answer.status < 400:
        return redirected(answer, redirect)
    if answer.status != 200:
        return http_refusal(answer, quoted(words))
    parsed = json_of(answer.body)
    if not isinstance(parsed, dict) or "errcode" not in parsed:
        return Refusal(f"HTTP 200 with an answer that is not {service}'s JSON" + quoted(words))
    code = parsed["errcode"]
    errmsg = service_words(parsed.get("errmsg", ""), secrets)
    if type(code) is not int:  # noqa: E721 - bool is an int subclass, and False is not success
        return Refusal(f"HTTP 200 with errcode {clean(json.dumps(code), 40)}, not the integer 0: not accepted"
                       + aside("errmsg", errmsg))
    if code == 0:
        return None
    said, retry = meaning(code, errmsg)
    return Refusal(f"{service} errcode {code}: {said}{aside('errmsg', errmsg)}", retry=retry)

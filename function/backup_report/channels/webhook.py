"""What the webhook channels share: the shell each channel module specialises (WebhookChannel), and
reading an answer in the errcode/errmsg convention."""
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

    name: ClassVar[str]
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


def errcode_answer(answer: Answer, service: str, secrets: Iterable[str], redirect: str) -> Refusal | tuple[int, str]:
    """An answer in the errcode/errmsg convention that DingTalk robots and WeCom group robots share:
    a Refusal for anything but HTTP 200 JSON with an integer `errcode` (a 3xx says `redirect`; 429 and
    5xx may be retried), else (errcode, errmsg as service_words: one line, scrubbed of `secrets`).
    Never raises."""
    words = service_words(answer.body, secrets) if answer.body else ""
    if 300 <= answer.status < 400:
        return Refusal(f"HTTP {answer.status}: {redirect}")
    if answer.status != 200:
        return Refusal(f"HTTP {answer.status}" + (f": {words}" if words else ""),
                       retry=answer.status == 429 or answer.status >= 500)
    try:
        parsed = json.loads(answer.body)
    except (ValueError, RecursionError):  # not JSON, 1e400-digit numbers, nesting past the parser's depth
        parsed = None
    if not isinstance(parsed, dict) or "errcode" not in parsed:
        return Refusal(f"HTTP 200 with an answer that is not {service}'s JSON" + (f": {words}" if words else ""))
    code = parsed["errcode"]
    errmsg = service_words(parsed.get("errmsg", ""), secrets)
    if type(code) is not int:  # noqa: E721 - bool is an int subclass, and False is not success
        return Refusal(f"HTTP 200 with errcode {clean(json.dumps(code), 40)}, not the integer 0: not accepted"
                       + (f" (errmsg: {errmsg})" if errmsg else ""))
    return code, errmsg

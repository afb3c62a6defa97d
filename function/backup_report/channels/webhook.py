"""What the webhook channels share: reading an answer in the errcode/errmsg convention."""
from __future__ import annotations

import json
from typing import Iterable

from .base import clean, service_words
from .http import Answer, Refusal


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

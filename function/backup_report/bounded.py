"""Outside text made safe to keep where it is read: every string an API answers is cut to a documented
length and made valid Unicode before it costs memory, CPU in the channels' fitting, or the result's
UTF-8 encoding.

The lengths, with their sources:
- NAME: InstanceName is 2-80 characters (alibabacloud_r_kvstore20150101/models/_create_instance_request.py,
  instance_name): 128 cuts no real name.
- TAG: tag keys and values are at most 128 characters (TagResources,
  https://www.alibabacloud.com/help/en/redis/developer-reference/api-r-kvstore-2015-01-01-tagresources-redis),
  at most 20 tags a resource (the same reference: "You can add up to 20 tags to each instance").
- ID: instance, node, backup and job IDs are short ASCII (r-bp1zxszhcgatnx****, 1162****): 128 cuts none.
- WORD: statuses, types and modes are single words: 64.
- MESSAGE: an API error's Message, kept to 300 characters (it is shown, one line, in a verdict).
"""
from __future__ import annotations

NAME = 128
TAG = 128
MAX_TAGS = 20
ID = 128
WORD = 64
MESSAGE = 300


def text(value: object, limit: int) -> str:
    """`value` as a string of at most `limit` characters (cut ones end in "…"), lone surrogates (which no
    UTF-8 can carry: the result's JSON would not encode) replaced by U+FFFD."""
    out = str(value)
    if len(out) > limit:
        out = out[:limit - 1] + "…"
    return out.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def utf8(serialised: str) -> str:
    """A JSON text (or any text) that encodes as UTF-8: lone surrogates replaced by U+FFFD."""
    return serialised.encode("utf-16", "surrogatepass").decode("utf-16", "replace")

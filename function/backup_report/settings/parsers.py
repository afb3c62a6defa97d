"""How each setting's text is read: one parser per accepted form, raising ValueError with that form.

A parser takes the value's text (stripped, non-empty) and returns the typed value; its ValueError's
message is the accepted form, which `load_settings` puts after "NAME='value' is invalid: ".
"""
from __future__ import annotations

import re
from typing import Callable
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .. import addresses

MAX_TAGS = 5  # DescribeInstances takes Tag.1 … Tag.5
REGION_ID = re.compile(r"^[a-z]{2,}(-[a-z0-9]+){1,3}$")
MOBILE = re.compile(r"^\+?[0-9][0-9-]{4,19}$")
# DingTalk refuses a body over 20,000 bytes (render_dingtalk.MAX_BODY_BYTES keeps it under 19,000).
# A mobile costs at most 46 bytes there (20 characters, once in atMobiles and once as @mobile in the
# text), so 100 of them take at most 4,600 bytes and leave over 14,000 for the message itself.
MAX_AT_MOBILES = 100
# WeCom userids: 1-64 bytes of letters, digits and _-@., starting with a letter or digit (WeCom's
# create-member API, 创建成员, https://developer.work.weixin.qq.com/document/path/90195). 20 of them
# take at most 1,360 bytes of the 4,096-byte markdown content (channels.wecom.MENTIONS_BYTES).
USERID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
MAX_MENTION_USERIDS = 20
# Feishu open_ids: "ou_" and letters and digits (Feishu's user identities, 用户身份概述: an open_id is a user's
# ID within one app, prefixed ou_, e.g. ou_7d8a6e6df7621556ce0d21922b676706ccs,
# https://open.feishu.cn/document/home/user-identity-introduction/open-id), the form a custom bot's card
# @-mentions (`<at id=ou_…></at>`). 20 take at most ~1,700 bytes of the card's 20 KB.
OPEN_ID = re.compile(r"^ou_[0-9a-zA-Z]{8,64}$")
MAX_FEISHU_MENTIONS = 20
# Tag keys and values: at most 128 characters each (Alibaba Cloud's tag rules, e.g. TagResources:
# https://www.alibabacloud.com/help/en/redis/developer-reference/api-r-kvstore-2015-01-01-tagresources-redis
# and the Tag service's "a tag key can be up to 128 characters"; the SDK's DescribeInstancesRequestTag
# carries them as plain strings).
MAX_TAG_CHARS = 128
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # controls, and lone surrogates (no UTF-8 carries them)
# Alibaba Cloud's tag rule, as each service's Tag model states it: a key "cannot start with aliyun or acs:, and
# cannot contain http:// or https://", a value "cannot contain http:// or https://" (e.g. the R-KVStore-family
# SDKs' TagResources Tag.N.Key; https://alibabacloud.com/help/en/emr/emr-on-ecs/developer-reference/api-emr-2021-03-20-struct-tag).
# So no instance carries such a tag: a URL here is a webhook pasted into the wrong setting.
TAG_URL = re.compile(r"https?://", re.IGNORECASE)
TAG_URL_RULE = "a tag key or value holds no http:// or https:// (Alibaba Cloud's tag rule), so no instance carries"
# Slack's mention forms (https://api.slack.com/reference/surfaces/formatting, "Mentioning users",
# "Mentioning groups", "Special mentions"): <@U…>/<@W…> a user, <!subteam^S…> a user group, <!here>,
# <!channel>, <!everyone>. Handles like @team do not notify from a webhook.
SLACK_MENTION_FORM = re.compile(r"<@[UW][A-Z0-9]{2,20}>|<!subteam\^S[A-Z0-9]{2,20}>|<!(?:here|channel|everyone)>")


def parse_tags(text: str) -> tuple[tuple[str, str | None], ...]:
    pairs: list[tuple[str, str | None]] = []
    for item in text.split(","):
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not key:
            raise ValueError("each pair needs a key: key=value[,key=value…], or key alone to match any value")
        if sep and not value:
            raise ValueError(f"tag {key!r} has '=' but no value: write {key}=value, or {key} to match any value")
        if len(key) > MAX_TAG_CHARS or len(value) > MAX_TAG_CHARS:
            raise ValueError(f"tag keys and values are at most {MAX_TAG_CHARS} characters")
        if TAG_URL.search(key) or TAG_URL.search(value):
            raise ValueError(f"{TAG_URL_RULE} this one: key=value[,key=value…]")
        if CONTROL.search(key) or CONTROL.search(value):
            raise ValueError("tag keys and values hold no control characters (NUL, tab, newline, …) or lone "
                             "surrogates")
        if any(k == key for k, _ in pairs):
            raise ValueError(f"tag key {key!r} appears twice")
        pairs.append((key, value if sep else None))
    if len(pairs) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} key=value pairs (DescribeInstances filters on 5 tags)")
    return tuple(pairs)


def parse_tag_key(text: str) -> str:
    if TAG_URL.search(text):
        raise ValueError(f"{TAG_URL_RULE} this key: one tag key, like team")
    if len(text) > MAX_TAG_CHARS or CONTROL.search(text) or "=" in text or "," in text:
        raise ValueError(f"one tag key, like team: at most {MAX_TAG_CHARS} characters, no '=', ',' "
                         "or control characters")
    return text


def parse_slack_mention(text: str) -> tuple[str, ...]:
    mentions = tuple(text.replace(",", " ").split())
    bad = [m for m in mentions if not SLACK_MENTION_FORM.fullmatch(m)]
    if bad:
        raise ValueError(f"{', '.join(repr(m) for m in bad[:3])}: Slack mentions like <!here>, <!channel>, "
                         "<@U0123ABCD> (a user's ID) or <!subteam^S0123ABCD> (a user group's ID), "
                         "separated by spaces or commas")
    if len(mentions) > 20:
        raise ValueError("at most 20 mentions")
    return tuple(dict.fromkeys(mentions))


# Alibaba Cloud has about 30 public regions and a few industry-cloud ones ("Regions and zones",
# https://www.alibabacloud.com/help/en/doc-detail/189254.htm; ApsaraDB for Redis is offered in fewer): a list
# longer than this is not a list of real regions, and each one costs calls and a line of the message.
MAX_REGIONS = 40


def parse_regions(text: str) -> tuple[str, ...]:
    regions = tuple(dict.fromkeys(r.strip() for r in text.split(",") if r.strip()))
    bad = [r for r in regions if not REGION_ID.match(r)]
    if bad or not regions:
        shown = ", ".join(b[:40] + _region_guess(b[:40]) for b in bad[:5]) + \
            (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise ValueError(f"{shown or 'nothing'}: region IDs look like cn-hangzhou, ap-southeast-1")
    if len(regions) > MAX_REGIONS:
        raise ValueError(f"{len(regions)} regions; at most {MAX_REGIONS} (Alibaba Cloud has about 30)")
    return regions


def _region_guess(text: str) -> str:
    """" (did you mean cn-hangzhou?)" for a region ID typed in capitals, with underscores or spaces, else "".
    Which IDs exist only DescribeRegions knows: regions.reconcile suggests among those it lists."""
    guess = re.sub(r"[_\s]+", "-", text.strip().lower())
    return f" (did you mean {guess}?)" if REGION_ID.match(guess) else ""


def int_in(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not re.fullmatch(r"[0-9]{1,9}", text) or not low <= int(text) <= high:
            raise ValueError(f"a whole number from {low} to {high}")
        return int(text)
    return parse


def number_in(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not low <= value <= high:  # also refuses nan
            raise ValueError(f"a number from {low:g} to {high:g}")
        return value
    return parse


def one_of(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in choices:
            raise ValueError("one of " + ", ".join(choices))
        return text
    return parse


def on_off(text: str) -> bool:
    """`on` or `off`, read as True or False."""
    return one_of("on", "off")(text) == "on"


def parse_dingtalk_webhook(text: str) -> str:
    parts = addresses.parse_url(text, "https://oapi.dingtalk.com/robot/send?access_token=…")
    if not parse_qs(parts.query).get("access_token", [""])[0]:
        raise ValueError("the robot URL needs its access_token: https://oapi.dingtalk.com/robot/send?access_token=…")
    return text


def parse_slack_webhook(text: str) -> str:
    parts = addresses.parse_url(text, "https://hooks.slack.com/services/T…/B…/…")
    if not parts.path.strip("/"):
        raise ValueError("the incoming-webhook URL has a path: https://hooks.slack.com/services/T…/B…/…")
    return text


def parse_heartbeat_url(text: str) -> str:
    # A healthchecks.io ping URL is https://hc-ping.com/<uuid> or …/<ping-key>/<slug>
    # (https://healthchecks.io/docs/http_api/); Cronitor's is https://cronitor.link/p/<api-key>/<monitor>
    # (https://cronitor.io/docs/telemetry-api). The run appends /start and /fail (or Cronitor's ?state=).
    parts = addresses.parse_url(text, "https://hc-ping.com/<uuid>")
    if not parts.path.strip("/"):
        raise ValueError("the check's ping URL has a path: https://hc-ping.com/<uuid>")
    return text


def parse_feishu_webhook(text: str) -> str:
    # The custom bot's address: /open-apis/bot/v2/hook/<token> on open.feishu.cn or, for Lark,
    # open.larksuite.com (Feishu's custom-bot guide; channels/feishu.py).
    example = "https://open.feishu.cn/open-apis/bot/v2/hook/… (Lark: https://open.larksuite.com/open-apis/bot/v2/hook/…)"
    parts = addresses.parse_url(text, example)
    prefix, _, token = parts.path.partition("/open-apis/bot/v2/hook/")
    if prefix or not token or "/" in token or parts.query:
        raise ValueError(f"the custom bot's webhook URL ends in its token: {example}")
    return text


def parse_wecom_webhook(text: str) -> str:
    example = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"
    parts = addresses.parse_url(text, example)
    if parts.path != "/cgi-bin/webhook/send" or not parse_qs(parts.query).get("key", [""])[0]:
        raise ValueError(f"the group robot's webhook URL needs its key: {example}")
    return text


def parse_feishu_secret(text: str) -> str:
    if len(text) < 8 or any(c.isspace() or not c.isprintable() for c in text):
        raise ValueError("the bot's signing secret (签名校验) as Feishu shows it: one word, no spaces")
    return text


def _listed(text: str, form: re.Pattern) -> tuple[tuple[str, ...], str]:
    """A comma-separated list, each item once in its order, and the items not of `form` as an error shows them
    ("" when all are): at most five, each cut at 64 characters."""
    items = tuple(dict.fromkeys(u.strip() for u in text.split(",") if u.strip()))
    bad = [u for u in items if not form.match(u)]
    shown = ", ".join(repr(u[:64]) for u in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
    return items, shown


def parse_userids(text: str) -> tuple[str, ...]:
    userids, shown = _listed(text, USERID)
    if shown:
        raise ValueError(f"{shown}: comma-separated WeCom userids (the member's account, 帐号: letters, digits "
                         "and _-@., up to 64) like zhangsan,li.si; a markdown message cannot @ a mobile number")
    if len(userids) > MAX_MENTION_USERIDS:
        raise ValueError(f"{len(userids)} userids; at most {MAX_MENTION_USERIDS}: each costs up to 68 bytes of "
                         "WeCom's 4,096-byte markdown, and 20 leave room for the report itself")
    return userids


def parse_feishu_mention(text: str) -> tuple[str, ...]:
    ids, shown = _listed(text, OPEN_ID)
    if ids == ("all",):
        return ids
    if shown:
        raise ValueError(f"{shown}: all (everyone in the group, if its owner allows @all), or comma-separated "
                         "Feishu open_ids like ou_7d8a6e6df7621556ce0d21922b676706cc")
    if len(ids) > MAX_FEISHU_MENTIONS:
        raise ValueError(f"{len(ids)} open_ids; at most {MAX_FEISHU_MENTIONS}")
    return ids


def parse_dingtalk_secret(text: str) -> str:
    if not text.startswith("SEC") or len(text) < 8 or any(c.isspace() for c in text):
        raise ValueError("the robot's signing secret as DingTalk shows it, starting with SEC")
    return text


def parse_mobiles(text: str) -> tuple[str, ...]:
    mobiles = tuple(m.strip() for m in text.split(",") if m.strip())
    bad = [m for m in mobiles if not MOBILE.match(m)]
    if bad:
        shown = ", ".join(repr(m) for m in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise ValueError(f"{shown}: comma-separated mobile numbers like 13800000000,+86-13900000000")
    if len(mobiles) > MAX_AT_MOBILES:
        raise ValueError(f"{len(mobiles)} mobiles; at most {MAX_AT_MOBILES}: each costs up to 46 bytes of the "
                         "20,000-byte DingTalk message, and 100 leave room for the report itself")
    return mobiles


def parse_timezone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("an IANA time zone name like UTC or Asia/Shanghai") from None
    return text


def parse_bucket(text: str) -> str:
    # https://www.alibabacloud.com/help/en/oss/user-guide/bucket-naming-conventions
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", text):
        raise ValueError("an OSS bucket name: 3-63 lowercase letters, digits and hyphens, starting and "
                         "ending with a letter or digit, like my-audit-bucket")
    return text


def parse_prefix(text: str) -> str:
    # Object names: UTF-8, 1-1023 bytes, not starting with / or \
    # (https://www.alibabacloud.com/help/en/oss/user-guide/object-naming-conventions).
    if text.startswith(("/", "\\")) or not text.endswith("/") or CONTROL.search(text) or "\\" in text \
            or len(text.encode()) > 900 or "//" in text:
        raise ValueError("a folder of the bucket ending in '/', not starting with '/', like redis-backup-report/ "
                         "(no control characters, backslashes or empty parts)")
    return text


def parse_oss_endpoint(text: str) -> str:
    try:
        addresses.endpoint_url(text, "oss-cn-hangzhou-internal.aliyuncs.com")
    except ValueError as exc:
        raise ValueError(f"an OSS endpoint like oss-cn-hangzhou-internal.aliyuncs.com (https) or "
                         f"http://127.0.0.1:9000 (a loopback test server only): {exc}") from None
    return text


def parse_link_host(text: str) -> str:
    """REPORT_LINK_HOST: a custom domain bound to the archive bucket (OSS console: the bucket's Domain Names;
    https://www.alibabacloud.com/help/en/oss/user-guide/map-custom-domain-names-5), the host name alone; OSS's own
    domains (*.aliyuncs.com) are refused: they serve the page as a download (archive/oss.py). Lower-cased; ASCII
    only, checked before lower-casing (str.lower makes a Kelvin sign U+212A a plain 'k': another host than typed);
    an internationalized name in its xn-- (Punycode) form, as DNS and the OSS console's CNAME record take it."""
    host = text.lower() if text.isascii() else ""
    if not _domain_name(host) or ("." + host).endswith(".aliyuncs.com"):
        raise ValueError("a custom domain bound to the archive bucket, the host name alone, like reports.example.com "
                         "(no scheme, port, path or trailing dot; an internationalized name in its xn-- form; not an "
                         "OSS *.aliyuncs.com domain, which serves the page as a download)")
    return host


def _domain_name(host: str) -> bool:
    """A host name as addresses.check_host takes one (RFC 1123 labels, 253 characters at most) that is a domain:
    at least two labels, no trailing dot, no IP address (the top-level label has a letter)."""
    try:
        addresses.check_host(host)
    except ValueError:
        return False
    labels = host.split(".")
    return len(labels) >= 2 and all(labels) and re.search(r"[a-z]", labels[-1]) is not None


def parse_api_quotas(text: str) -> tuple[tuple[str, int, float], ...]:
    """API_QUOTAS: `Action=calls/seconds[,…]`, each an R-KVStore operation's quota in a region as Quota
    Center shows it ("200/60"), e.g. DescribeBackups=1000/60. Returns (action, calls, seconds) triples."""
    from ..cloud.pacing import ACTIONS

    quotas: dict[str, tuple[int, float]] = {}
    for item in (i.strip() for i in text.split(",") if i.strip()):
        action, _, figure = item.partition("=")
        calls, _, seconds = figure.strip().partition("/")
        if action.strip() not in ACTIONS or not re.fullmatch(r"[0-9]{1,6}", calls.strip()) \
                or not re.fullmatch(r"[0-9]{1,5}(\.[0-9]{1,3})?", seconds.strip()) or int(calls) < 1 \
                or float(seconds) <= 0:
            raise ValueError(f"{item[:60]!r}: Action=calls/seconds, comma-separated, like DescribeBackups=1000/60; "
                             f"actions: {', '.join(ACTIONS)}")
        quotas[action.strip()] = (int(calls), float(seconds))
    if not quotas:
        raise ValueError("Action=calls/seconds, comma-separated, like DescribeBackups=1000/60")
    return tuple((a, c, s) for a, (c, s) in quotas.items())


RESOURCE_DIRECTORY = "resource-directory"
# Alibaba Cloud account IDs are digits: 16 in every published example (ListAccounts' `AccountId`
# "181761095690****", https://help.aliyun.com/document_detail/160016.htm; RAM ARNs
# `acs:ram::<account_id>:role/<role_name>`, the STS SDK's models/_assume_role_request.py). 10–20 are accepted, so
# a typo is refused here rather than spent on an AssumeRole, and an older, shorter ID still reads.
ACCOUNT_ID = re.compile(r"[0-9]{10,20}")
# A Resource Directory holds up to 1,000 members unless raised in Quota Center; one run reads them one after
# another, and each costs an AssumeRole and a listing per region.
MAX_ACCOUNTS = 1000


def parse_accounts(text: str) -> tuple[str, ...]:
    """ACCOUNTS: account IDs (digits) and/or `resource-directory`, comma-separated, each once, in order."""
    accounts = tuple(dict.fromkeys(a.strip() for a in text.split(",") if a.strip()))
    bad = [a for a in accounts if a != RESOURCE_DIRECTORY and not ACCOUNT_ID.fullmatch(a)]
    if bad or not accounts:
        shown = ", ".join(repr(b[:24]) for b in bad[:5]) or "nothing"
        raise ValueError(f"{shown}: comma-separated account IDs (digits, like 1234567890123456) and/or "
                         f"{RESOURCE_DIRECTORY} (every member of the Resource Directory)")
    if len(accounts) > MAX_ACCOUNTS:
        raise ValueError(f"{len(accounts)} accounts; at most {MAX_ACCOUNTS}")
    return accounts


def parse_role_name(text: str) -> str:
    """ACCOUNT_ROLE_NAME: a RAM role name. RAM's rule: 1 to 64 characters, letters, digits, periods and
    hyphens (CreateRole's RoleName, https://alibabacloud.com/help/en/resource-management/resource-group/
    developer-reference/api-resourcemanager-2020-03-31-createrole-rg)."""
    if not re.fullmatch(r"[A-Za-z0-9.-]{1,64}", text):
        raise ValueError("a RAM role name, like redis-backup-reader: 1 to 64 letters, digits, periods and hyphens")
    return text


def endpoint_like(example: str) -> Callable[[str], str]:
    """A parser of `host[:port]` without a scheme, its error naming `example` (the scheme is KVSTORE_PROTOCOL)."""
    def parse(text: str) -> str:
        accepted = (f"host[:port] without a scheme, like {example} or 127.0.0.1:8080 (the scheme is "
                    "KVSTORE_PROTOCOL; ports 1–65535)")
        if "://" in text:
            raise ValueError(accepted)
        try:
            addresses.parse_host_port(text)
        except ValueError as exc:
            raise ValueError(f"{accepted}: {exc}") from None
        return text
    return parse


parse_endpoint = endpoint_like("r-kvstore-vpc.cn-hangzhou.aliyuncs.com")


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday()'s order
MAX_RESTORE_SAMPLE = 5  # restore tests a week: each is a pay-as-you-go instance for a while


def parse_restore_test(text: str) -> tuple[int, ...]:
    """RESTORE_TEST: `off`, `daily`, or the weekdays a restore test may start (`sat`, `mon,thu`), in TIMEZONE.
    The weekday numbers (0 Monday … 6 Sunday); () when off."""
    word = text.strip().lower()
    if word == "off":
        return ()
    if word == "daily":
        return tuple(range(7))
    days = [d.strip().lower()[:3] for d in word.split(",") if d.strip()]
    if not days or any(d not in WEEKDAYS for d in days):
        raise ValueError("off, daily, or the weekdays a restore test may start, comma-separated: mon,tue,wed,thu,"
                         "fri,sat,sun (e.g. sat)")
    return tuple(sorted({WEEKDAYS.index(d) for d in days}))


def parse_restore_sample(text: str) -> tuple[str, object]:
    """RESTORE_TEST_SAMPLE: `rotation:N` (N instances a week, 1-5, each in turn) or `tag:key=value` (the
    watched instances carrying that tag, at most 5 a week). ("rotation", N) or ("tag", (key, value))."""
    kind, _, rest = text.strip().partition(":")
    kind, rest = kind.strip().lower(), rest.strip()
    if kind == "rotation" and rest.isdigit() and 1 <= int(rest) <= MAX_RESTORE_SAMPLE:
        return ("rotation", int(rest))
    if kind == "tag" and rest:
        ((key, value),) = parse_tags(rest) if "," not in rest else ((None, None),)
        if key and value:
            return ("tag", (key, value))
    raise ValueError(f"rotation:N (N instances a week in turn, 1-{MAX_RESTORE_SAMPLE}) or tag:key=value (the watched "
                     f"instances with that tag, at most {MAX_RESTORE_SAMPLE} a week)")

"""The deliver stage: the digest posted to every configured channel at once, each post within its own whole
deadline, every retry and wait over a second before FC's (channels/http.py), so one hung or drip-feeding
channel never costs another its post; a channel's failure, whatever its kind (its rendering included), is
its own Delivery."""
from __future__ import annotations

import logging
from dataclasses import replace

from . import digest, redact
from .channels.base import Channel, configured
from .channels.http import Transport
from .model import Delivery
from .settings import Settings

log = logging.getLogger("backup_report")
SKIPPED = "nothing needs attention (NOTIFY_ON=failure)"
PAYLOAD_CHANNEL_NO_LINK = ("the report page is linked only in the channels the function's environment sets: "
                           "its link carries the function's STS token")


def deliver(dg: digest.Digest, settings: Settings, transport: Transport, dry_run: bool = False) -> list[Delivery]:
    """One Delivery per configured channel (registry order). `dry_run`: each channel's rendered message in its
    Delivery, nothing posted."""
    channels = configured(settings, transport)
    if settings.notify_on == "failure" and not dg.needs_post:
        return [Delivery(channel.name, True, skipped=SKIPPED) for channel in channels]
    if dry_run:
        return [Delivery(channel.name, True, skipped="dry run: not posted",
                         message=channel.render(for_channel(channel, dg, settings))) for channel in channels]
    return post_all([(channel, for_channel(channel, dg, settings)) for channel in channels])


def post_all(posts: list[tuple[Channel, digest.Digest]]) -> list[Delivery]:
    """Each (channel, digest) posted at once; the Deliveries in the same order."""
    with redact.Pool(max_workers=max(1, len(posts)), thread_name_prefix="post") as pool:
        return list(pool.map(lambda pair: post(*pair), posts))


def for_channel(channel: Channel, dg: digest.Digest, settings: Settings) -> digest.Digest:
    """The digest as `channel` may see it: a channel whose webhook came from the event's payload gets no
    page link, which carries the role's STS token (docs/security.md, "Who decides what")."""
    if not dg.link or f"{channel.name.upper()}_WEBHOOK" not in settings.from_payload:
        return dg
    return replace(dg, link="", notes=dg.notes + (PAYLOAD_CHANNEL_NO_LINK,))


def post(channel: Channel, dg: digest.Digest) -> Delivery:
    """`dg` rendered and posted to `channel`; never raises."""
    try:
        message = channel.render(dg)
    except Exception as exc:  # noqa: BLE001 - a rendering bug costs this channel only, and says so
        log.exception("rendering for %s failed", channel.name)
        return Delivery(channel.name, False, error=f"the message could not be rendered ({type(exc).__name__})")
    return channel.send(message)

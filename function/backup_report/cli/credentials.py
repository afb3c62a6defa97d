"""The credentials every command signs with: the sandbox's keys, or the default Alibaba Cloud chain's."""
from __future__ import annotations

import contextlib
import logging
from typing import Iterator

from ..invocation import Credentials
from .shared import UsageError


def credentials(sb) -> tuple[Credentials, str]:
    """(Credentials, where they came from: "the sandbox's" or "from the default chain (<provider>)"):
    the sandbox's keys, or the default Alibaba Cloud credential chain's. Raises UsageError (exit 2)
    when the chain finds none, or an empty AccessKey."""
    if sb is not None:
        c = sb.credentials
        return Credentials(c.access_key_id, c.access_key_secret, c.security_token or ""), "the sandbox's"
    try:
        from alibabacloud_credentials.client import Client

        # The chain logs each provider's failure with its traceback (logger "credentials",
        # alibabacloud_credentials/provider/refreshable.py): the one-line message below says it all.
        with _quiet("credentials", "alibabacloud_credentials"):
            found = Client().get_credential()
    except Exception as error:  # CredentialException: every provider in the chain failed
        logging.getLogger("backup_report.cli").info("credential chain: %s", error)
        raise UsageError(
            "no Alibaba Cloud credentials found. Set ALIBABA_CLOUD_ACCESS_KEY_ID and "
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET (plus ALIBABA_CLOUD_SECURITY_TOKEN for an STS token), or run "
            "`aliyun configure` (a profile in ~/.aliyun/config.json; ALIBABA_CLOUD_PROFILE picks one). "
            "-v shows what the chain tried.") from None
    if not found.access_key_id or not found.access_key_secret:
        raise UsageError("the credential chain returned an empty AccessKey")
    return (Credentials(found.access_key_id, found.access_key_secret, found.security_token or ""),
            f"from the default chain ({found.provider_name or found.type})")


@contextlib.contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """Nothing from these loggers while the block runs (their levels are restored after)."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)

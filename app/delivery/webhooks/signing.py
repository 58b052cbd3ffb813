"""Standard Webhooks signatures (https://www.standardwebhooks.com/, "Signature scheme").

`webhook-signature` is `v1,` + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")), the key being the base64
bytes after `whsec_`; while a secret is rotated, one signature per secret, separated by spaces. The HMAC itself
is the `standardwebhooks` package's, the one receivers verify with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from standardwebhooks import Webhook


def signature(secrets: Sequence[str], msg_id: str, timestamp: int, body: str) -> str:
    at = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    return " ".join(Webhook(secret).sign(msg_id=msg_id, timestamp=at, data=body) for secret in secrets)


def headers(secrets: Sequence[str], msg_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three headers of a delivery, and its media type."""
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secrets, msg_id, timestamp, body),
    }

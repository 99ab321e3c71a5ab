"""The signature of a webhook to an agency system: HMAC-SHA256 over timestamp and body.

The receiver recomputes it with the shared secret; the timestamp is inside the signed text so
an old, captured request cannot be replayed later with a fresh timestamp.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Defense-Signature"
TIMESTAMP_HEADER = "X-Defense-Timestamp"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>." + body)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: int, body: bytes, signature: str) -> bool:
    """Constant-time check of a received signature."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)

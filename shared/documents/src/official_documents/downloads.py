"""Download names: a Chinese file name in `filename*` (RFC 6266 with RFC 5987/8187 encoding) and
an ASCII `filename` for clients that read only that."""

from __future__ import annotations

import re
from urllib.parse import quote

# What may stand unquoted in a quoted-string fallback: printable ASCII without the quote, the
# backslash (RFC 6266 recommends against escapes) and the path separators.
_UNSAFE_ASCII = re.compile(r'[^\x20-\x7e]|["\\/]')
# RFC 5987 attr-char: the rest is percent-encoded.
_ATTR_CHARS = "!#$&+-.^_`|~"


def content_disposition(filename: str, ascii_fallback: str, *, inline: bool = False) -> str:
    """`attachment; filename="<ascii>"; filename*=UTF-8''<percent-encoded UTF-8>`."""
    fallback = _UNSAFE_ASCII.sub("_", ascii_fallback) or "download"
    encoded = quote(filename.replace("/", "_").replace("\\", "_"), safe=_ATTR_CHARS)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"

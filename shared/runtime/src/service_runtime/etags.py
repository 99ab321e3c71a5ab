"""``ETag`` and ``If-Match``: concurrent edits of one resource, one mechanism for every service
(RFC 9110 §8.8.3, §13.1.1).

The ETag of a resource is a strong validator: a hash of its JSON representation, the one its
``GET`` answers (so it changes exactly when what a client sees changes). The ``GET`` and every
``PATCH``/``PUT`` of the resource send it in the ``ETag`` header (the write: the new state's).

A ``PATCH``/``PUT`` with ``If-Match: "<etag>"`` (or a list of them, or ``*``) is applied only if
the resource's ETag is still one of them, judged on the row locked for the write, so two
clients that read the same state cannot both write over it: the second gets a 412 and reads
again. ``If-Match`` is optional: without it a write applies to whatever the state is (last
writer wins), as for the clients written before it existed; send it whenever a user edited
what they read. A weak tag (``W/"…"``) never matches (strong comparison).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Response
from pydantic import BaseModel

from service_runtime.errors import PreconditionFailed

IF_MATCH_DESCRIPTION = (
    "The resource's `ETag` as last read: the write applies only if it is still current "
    "(else 412: read again). Optional; without it the write applies to the current state."
)


def etag_of(representation: Any) -> str:
    """The strong ETag of a representation (a pydantic model or JSON-able data)."""
    data = (
        representation.model_dump(mode="json")
        if isinstance(representation, BaseModel)
        else representation
    )
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return f'"{hashlib.sha256(text.encode()).hexdigest()[:32]}"'


def parse_if_match(value: str) -> list[str]:
    """The entity tags of an ``If-Match`` value (``*`` alone, or a comma-separated list)."""
    tags = []
    for part in value.split(","):
        tag = part.strip()
        if tag:
            tags.append(tag)
    return tags


@dataclass
class Preconditions:
    """The request's ``If-Match``, and the response whose ``ETag`` it sets."""

    if_match: list[str] | None
    response: Response

    def check(self, current: Any) -> None:
        """Raises 412 unless ``If-Match`` is absent or names ``current``'s ETag (``*``: any
        existing resource; ``current`` None: there is none)."""
        if self.if_match is None:
            return
        if "*" in self.if_match and current is not None:
            return
        if current is None or etag_of(current) not in self.if_match:
            raise PreconditionFailed(
                "the resource changed since it was read (If-Match does not name its current "
                "ETag): read it again and reapply the change",
                field="If-Match",
                where="header",
            )

    def tag(self, representation: Any) -> None:
        """Sends ``representation``'s ETag with the response."""
        tag(self.response, representation)


def tag(response: Response, representation: Any) -> None:
    response.headers["ETag"] = etag_of(representation)


async def preconditions(
    response: Response,
    if_match: Annotated[
        str | None,
        Header(alias="If-Match", max_length=2000, description=IF_MATCH_DESCRIPTION),
    ] = None,
) -> Preconditions:
    return Preconditions(
        if_match=parse_if_match(if_match) if if_match is not None else None, response=response
    )


IfMatch = Annotated[Preconditions, Depends(preconditions)]
"""A ``PATCH``/``PUT`` route's ``If-Match`` precondition."""

PRECONDITION_RESPONSES: dict[int | str, dict[str, object]] = {
    412: {"description": "`If-Match` names an ETag that is no longer current: read again"},
}

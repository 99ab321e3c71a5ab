"""Documents (DOCX, XLSX) passed through from an API with the user's token, never stored."""

from __future__ import annotations

from starlette.responses import Response

from console.web import Visit

PASSED_HEADERS = ("content-type", "content-disposition")


async def proxy_download(
    current: Visit, service: str, path: str, params: dict[str, str] | None = None
) -> Response:
    upstream = await current.api.request(service, "GET", path, params=params)
    response = Response(
        upstream.content,
        headers={k: v for k, v in upstream.headers.items() if k.lower() in PASSED_HEADERS},
    )
    return current.finish(response)

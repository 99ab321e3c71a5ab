"""The documentation pages load nothing from another host: their scripts, styles and icon are
the runtime's own files, served by the service itself."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest

from procuratorate.service import create_app

# Every URL an HTML page makes the browser load: src, href and spec-url attributes, url strings.
URLS = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url:\s*["']([^"']+)["']""")


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # The pages need no running service: an app never started serves them.
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://api.internal") as client:
        yield client


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_a_docs_page_references_no_external_host(
    client: httpx.AsyncClient, page: str
) -> None:
    response = await client.get(page)
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    urls = [one or other for one, other in URLS.findall(response.text)]
    assert "/openapi.json" in urls
    assert any(url.endswith(".js") for url in urls), urls
    for url in urls:
        assert not urlsplit(url).netloc, f"{page} loads {url} from another host"
        assert not url.startswith("//"), url
        if url.startswith("/docs/assets/"):
            asset = await client.get(url)
            assert asset.status_code == 200 and len(asset.content) > 0, url
            assert "no-store" not in asset.headers.get("cache-control", ""), url

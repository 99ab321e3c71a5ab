"""DOCX → PDF with LibreOffice headless (Debian's `libreoffice-writer-nogui`), for documents
printed and sealed as they are. LibreOffice is optional: without it a service still serves the
DOCX and says plainly that the PDF is unavailable.

One conversion at a time per process, on a private LibreOffice profile (two instances on one
profile refuse to start), with the standard's font names mapped to installed CJK fonts through
a fontconfig file of our own (`fonts.conf` next to this module) that includes the system's."""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

FONTCONFIG = Path(__file__).with_name("fonts.conf")
CONVERSION_TIMEOUT_SECONDS = 120.0


class PdfUnavailable(RuntimeError):
    """No LibreOffice on this machine, or the conversion failed."""


def find_office(configured: str | None = None) -> str | None:
    """The LibreOffice executable: the configured one, else `soffice`/`libreoffice` on PATH."""
    if configured:
        return configured if Path(configured).is_file() else shutil.which(configured)
    return shutil.which("soffice") or shutil.which("libreoffice")


@functools.cache
def converter() -> PdfConverter:
    """The process's converter (one LibreOffice profile, one conversion at a time)."""
    return PdfConverter()


class PdfConverter:
    def __init__(self, office: str | None = None) -> None:
        self.office = find_office(office)
        self._lock = asyncio.Lock()
        self._profile = Path(tempfile.mkdtemp(prefix="office-profile-"))

    @property
    def available(self) -> bool:
        return self.office is not None

    async def to_pdf(self, document: bytes, suffix: str = ".docx") -> bytes:
        """One document (DOCX, or XLSX with suffix `.xlsx`) as PDF."""
        return (await self.to_pdfs({f"document{suffix}": document}))[f"document{suffix}"]

    async def to_pdfs(self, documents: Mapping[str, bytes]) -> dict[str, bytes]:
        """Several documents in one LibreOffice run (its start-up is most of the time), by
        file name (the suffix says the format)."""
        if self.office is None:
            raise PdfUnavailable("LibreOffice is not installed on this server")
        async with self._lock:
            with tempfile.TemporaryDirectory(prefix="office-convert-") as work:
                sources = []
                for name, content in documents.items():
                    source = Path(work) / Path(name).name
                    source.write_bytes(content)
                    sources.append(source)
                env = {**os.environ, "FONTCONFIG_FILE": str(FONTCONFIG), "HOME": work}
                process = await asyncio.create_subprocess_exec(
                    self.office,
                    f"-env:UserInstallation={self._profile.as_uri()}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    work,
                    *map(str, sources),
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                    env=env,
                )
                try:
                    _, stderr = await asyncio.wait_for(
                        process.communicate(), CONVERSION_TIMEOUT_SECONDS
                    )
                except TimeoutError as error:
                    process.kill()
                    await process.wait()
                    raise PdfUnavailable("LibreOffice did not finish the conversion") from error
                converted = {}
                for name, source in zip(documents, sources, strict=True):
                    target = source.with_suffix(".pdf")
                    if process.returncode != 0 or not target.is_file():
                        detail = stderr.decode(errors="replace").strip()[:300]
                        raise PdfUnavailable(
                            f"LibreOffice could not convert the document: {detail}"
                        )
                    converted[name] = target.read_bytes()
                return converted

"""The Dockerfile cannot be built here (no Docker engine), so what the services need from the
image is checked by reading it: the documents' PDF needs LibreOffice (Writer for the letters
and replies, Calc for the ledger workbooks) and the CJK fonts the standard's font names fall
back to (``official_documents/fonts.conf``)."""

from __future__ import annotations

import re

from tests.infrastructure import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _installed_packages() -> set[str]:
    """The Debian packages the image's `apt-get install` lines name."""
    text = DOCKERFILE.replace("\\\n", " ")
    packages: set[str] = set()
    for command in re.findall(r"apt-get install ([^&\n]*)", text):
        packages |= {word for word in command.split() if not word.startswith("-")}
    return packages


def test_the_image_has_libreoffice_and_the_cjk_fonts_for_the_documents_pdf() -> None:
    packages = _installed_packages()
    assert {"libreoffice-writer-nogui", "libreoffice-calc-nogui"} <= packages
    assert "fonts-noto-cjk" in packages
    fonts = (ROOT / "shared/documents/src/official_documents/fonts.conf").read_text()
    assert "Noto Serif CJK SC" in fonts and "Noto Sans CJK SC" in fonts


def test_the_packages_are_installed_before_the_image_drops_to_its_user() -> None:
    """apt needs root; the services run as the unprivileged `app` user."""
    install = DOCKERFILE.index("apt-get install")
    assert install < DOCKERFILE.index("USER app")
    assert "--no-install-recommends" in DOCKERFILE
    assert "rm -rf /var/lib/apt/lists/*" in DOCKERFILE

"""Runs ``python -m service_runtime.security.audit verify`` on a service's database, as an
operator would."""

from __future__ import annotations

import asyncio
import sys


async def verify_audit_cli(database_url: str) -> tuple[int, str]:
    """Exit code and output of the verify command (``database_url`` in any driver form)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service_runtime.security.audit",
        "verify",
        "--database-url",
        database_url.replace("+asyncpg", ""),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()

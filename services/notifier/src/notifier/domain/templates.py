"""Message templates (通知模板): Chinese text with placeholders, rendered in a sandbox.

Operators edit templates over REST without a release, so a template is untrusted input: it is
rendered by Jinja2's :class:`SandboxedEnvironment` (no attribute access to internals, no
imports), with undefined names an error rather than silently empty text.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from legal_calendar import LEGAL_TIMEZONE


def cn_date(value: object) -> str:
    """`2026-03-02` → 2026年3月2日; an instant → 2026年3月2日 15:00 (Asia/Shanghai)."""
    if isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
        except ValueError:
            return text
    if isinstance(value, datetime):
        local = value.astimezone(LEGAL_TIMEZONE) if value.tzinfo else value
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_ENV.filters["cn_date"] = cn_date


class TemplateProblem(ValueError):
    """A template does not compile or does not render with the given context."""

    def __init__(self, part: str, message: str) -> None:
        super().__init__(f"{part}: {message}")
        self.part = part
        self.message = message


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


@functools.lru_cache(maxsize=512)
def _compiled(source: str) -> Template:
    """Compiling costs far more than rendering, and a handful of templates serve every event;
    an edited template is new text, so it compiles anew."""
    return _ENV.from_string(source)


def render(subject: str, body: str, context: Mapping[str, Any]) -> Message:
    """Render a template's subject and body; raises :class:`TemplateProblem` naming the part."""
    rendered: dict[str, str] = {}
    for part, source in (("subject", subject), ("body", body)):
        try:
            rendered[part] = _compiled(source).render(**context).strip()
        except TemplateError as error:  # includes SecurityError and UndefinedError
            raise TemplateProblem(part, str(error.message or error)) from error
    return Message(subject=rendered["subject"], body=rendered["body"])


def sample_context() -> dict[str, Any]:
    """A context with every name the notifier provides, to check an edited template."""
    return {
        "case": {
            "transfer_number": "津公河(刑)移诉字〔2026〕15号",
            "procuratorate_unit": "天津市河东区人民检察院",
            "district": "河东区",
        },
        "suspect_name": "张某",
        "recipient_name": "陈律师",
        "event_type": "LawyerAssigned",
        "event": _SampleEvent(),
    }


class _SampleEvent(dict[str, Any]):
    """Any payload field reads as a placeholder: the check is of syntax and safety, not of
    which fields one event type has."""

    def __missing__(self, key: str) -> str:
        return f"<{key}>"

    def __getattr__(self, key: str) -> str:
        return self[key]

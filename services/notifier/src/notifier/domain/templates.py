"""Message templates (通知模板): Chinese text with placeholders, rendered in a sandbox.

Operators edit templates over REST without a release, so a template is untrusted input: it is
rendered by Jinja2's :class:`SandboxedEnvironment` (no attribute access to internals, no
imports), with undefined names an error rather than silently empty text. The sandbox alone
keeps a template from the process's internals, not from its time and memory (``{{ 10**5000 }}``,
two nested loops of 99,999, ``'x' * 10**9``), so :class:`LimitedSandbox` adds limits
(:class:`RenderLimits`): arithmetic stays within 18 digits, text and lists built within the
output limit, every loop, call and operator draws on one budget of steps and one deadline per
render, only filters and string methods that cannot be made to allocate at will are offered,
and the output is cut off at its limit. Anything a template does wrong is a
:class:`TemplateProblem`: a 400 when the template is saved, the next template when a message is
composed — never a 500 or a hung delivery.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, nodes
from jinja2.filters import FILTERS
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment, SecurityError

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


@dataclass(frozen=True)
class RenderLimits:
    max_output_chars: int = 100_000
    """Also the largest text or list a template may build."""
    max_steps: int = 20_000
    """Loop iterations, calls and operators, together, in one render."""
    max_seconds: float = 0.5
    max_compile_seconds: float = 10.0
    """Compiling, apart from running: bounded by the template's length, not by what it does."""
    max_number: int = 10**18


LIMITS = RenderLimits()


class _Budget:
    def __init__(self, limits: RenderLimits) -> None:
        self.limits = limits
        self.steps_left = limits.max_steps
        self.deadline = time.monotonic() + limits.max_seconds

    def step(self) -> None:
        self.steps_left -= 1
        if self.steps_left < 0:
            raise SecurityError(f"the template takes more than {self.limits.max_steps} steps")
        if time.monotonic() > self.deadline:
            raise SecurityError(f"the template takes longer than {self.limits.max_seconds} s")


_BUDGET: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)


def _budget() -> _Budget:
    budget = _BUDGET.get()
    if budget is None:  # rendered outside render(): the default limits still hold
        budget = _Budget(LIMITS)
        _BUDGET.set(budget)
    return budget


def _sized(value: Any) -> Any:
    limits = _budget().limits
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) > limits.max_number:
        raise SecurityError("a number in the template is too large")
    if isinstance(value, str | list | tuple | dict | set) and len(value) > limits.max_output_chars:
        raise SecurityError("a value built by the template is too large")
    return value


def _counted(values: Iterable[Any]) -> Iterator[Any]:
    budget = _budget()
    for value in values:
        budget.step()
        yield value


def _range(*args: int) -> Iterator[int]:
    return _counted(range(*args))


def _replace(text: Any, old: str, new: str, count: int | None = None) -> str:
    text, old, new = str(text), str(old), str(new)
    growth = (len(text) + 1) * len(new) if old == "" else text.count(old) * len(new)
    if len(text) + growth > _budget().limits.max_output_chars:
        raise SecurityError("the replacement makes the text too large")
    return text.replace(old, new, -1 if count is None else count)


# Filters that cannot be made to allocate or loop at will (no width, count or size argument
# beyond what the budget bounds); `replace` is checked first.
SAFE_FILTERS = frozenset(
    {
        "abs", "attr", "capitalize", "count", "d", "default", "dictsort", "e", "escape",
        "first", "float", "forceescape", "groupby", "int", "items", "join", "last", "length",
        "list", "lower", "map", "max", "min", "reject", "rejectattr", "reverse", "round", "safe",
        "select", "selectattr", "sort", "string", "striptags", "sum", "title", "tojson", "trim",
        "truncate", "unique", "upper", "urlencode", "wordcount",
    }
)  # fmt: skip
SAFE_STR_METHODS = frozenset(
    {
        "capitalize", "casefold", "endswith", "isalnum", "isalpha", "isdigit", "islower",
        "isspace", "istitle", "isupper", "lower", "lstrip", "rstrip", "split", "splitlines",
        "startswith", "strip", "swapcase", "title", "upper",
    }
)  # fmt: skip
_ARITHMETIC = frozenset({"+", "-", "*", "/", "//", "%", "**"})


class LimitedSandbox(SandboxedEnvironment):
    """Jinja2's sandbox with limits on what a render may cost (see the module's text)."""

    intercepted_binops = _ARITHMETIC  # also stops them being folded at compile time
    intercepted_unops = frozenset({"-", "+"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = _range
        self.filters = {name: FILTERS[name] for name in SAFE_FILTERS}
        self.filters["replace"] = _replace
        self.filters["_counted"] = _counted

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Every ``for`` loop iterates through the step budget, whatever it loops over."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, "_counted", [], [], None, None)
        return tree

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _budget().step()
        limits = _budget().limits
        if operator == "**" and isinstance(right, int | float) and abs(right) > 64:
            raise SecurityError("an exponent in the template is too large")
        if operator == "%" and isinstance(left, str):
            raise SecurityError("%-formatting is not available in templates")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int):
                    if len(seq) * times > limits.max_output_chars:
                        raise SecurityError("a value built by the template is too large")
        if operator == "+" and isinstance(left, str | list | tuple):
            if len(left) + len(right) > limits.max_output_chars:
                raise SecurityError("a value built by the template is too large")
        return _sized(super().call_binop(context, operator, left, right))

    def call_unop(self, context: Context, operator: str, arg: Any) -> Any:
        _budget().step()
        return _sized(super().call_unop(context, operator, arg))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _budget().step()
        target = getattr(__obj, "__wrapped__", __obj)  # str.format comes wrapped by the sandbox
        owner = getattr(target, "__self__", None)
        if isinstance(owner, str) and getattr(target, "__name__", "") not in SAFE_STR_METHODS:
            raise SecurityError(f"str.{getattr(target, '__name__', '?')} is not available")
        return _sized(super().call(__context, __obj, *args, **kwargs))


_ENV = LimitedSandbox(undefined=StrictUndefined, autoescape=False)
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


def render(
    subject: str, body: str, context: Mapping[str, Any], limits: RenderLimits = LIMITS
) -> Message:
    """Render a template's subject and body; raises :class:`TemplateProblem` naming the part."""
    rendered: dict[str, str] = {}
    for part, source in (("subject", subject), ("body", body)):
        # Compiled on a budget of its own: the render's deadline bounds what the template does
        # when it runs. Compiling text of bounded length (a saved template has at most 20,000
        # characters) can absorb a full garbage collection, which on a loaded machine alone
        # outlasted the render's deadline; whatever the compiler evaluates early (constant
        # folding) still draws on steps and sizes, within the longer compile deadline.
        token = _BUDGET.set(_Budget(replace(limits, max_seconds=limits.max_compile_seconds)))
        try:
            template = _compiled(source)
            _BUDGET.set(_Budget(limits))
            rendered[part] = _render_limited(template, context, limits).strip()
        except TemplateError as error:  # includes SecurityError and UndefinedError
            raise TemplateProblem(part, str(error.message or error)) from error
        except Exception as error:  # a template can reach arithmetic and conversion errors
            raise TemplateProblem(part, f"{type(error).__name__}: {error}"[:300]) from error
        finally:
            _BUDGET.reset(token)
    return Message(subject=rendered["subject"], body=rendered["body"])


def _render_limited(template: Template, context: Mapping[str, Any], limits: RenderLimits) -> str:
    budget = _budget()
    chunks: list[str] = []
    size = 0
    for chunk in template.generate(**context):
        budget.step()
        size += len(chunk)
        if size > limits.max_output_chars:
            raise SecurityError(f"the text is longer than {limits.max_output_chars} characters")
        chunks.append(chunk)
    return "".join(chunks)


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

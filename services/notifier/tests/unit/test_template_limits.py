"""A template is untrusted text: whatever it does, rendering ends quickly with its message or a
TemplateProblem, never another exception, a hang or a huge allocation."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.domain.templates import TemplateProblem, render, sample_context

HOSTILE = [
    "{{ 10**5000 }}",
    "{{ 9**9**9 }}",
    "{{ (10**18) * (10**18) }}",
    "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}",
    "{% for i in 'x' * 90000 %}{% for j in 'y' * 90000 %}{% endfor %}{% endfor %}",
    "{% for i in range(100000) %}{{ i }}{% endfor %}",
    "{{ 'x' * 1000000000 }}",
    "{{ ['x'] * 1000000000 }}",
    "{{ '%0999999999d' % 1 }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ 'x'.center(999999999) }}",
    "{{ 'x'.zfill(999999999) }}",
    "{{ 'x' | center(999999999) }}",
    "{{ 'x' | indent(999999999, true) }}",
    "{{ [1] | batch(999999999) | list }}",
    "{{ ('x' * 90000) | replace('', 'y' * 90000) }}",
    "{{ range(99999) | list | join(',') | length }}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "{{ ('9' * 5000) | int }}",
    "{{ 1 / 0 }}",
    "{{ ((((((((((((((((((((((((((((((((((((((((((1" + ")" * 42 + " }}",
]


@pytest.mark.parametrize("body", HOSTILE)
def test_a_hostile_template_is_a_template_problem_found_quickly(body: str) -> None:
    started = time.monotonic()
    try:
        message = render("s", body, sample_context())
    except TemplateProblem as problem:
        assert problem.part == "body"
    else:
        assert len(message.body) <= 100_000
    # A runaway render takes minutes or exhausts memory; a loaded CI machine can stretch a
    # normal one past a few seconds, so the bound only catches the runaway.
    assert time.monotonic() - started < 30


def test_ordinary_templates_still_render() -> None:
    message = render(
        "{{ case.district }}：{{ event_type }}",
        "{% for n in range(3) %}{{ n }}{% endfor %} {{ suspect_name | upper }} "
        "{{ '2026-03-02' | cn_date }} {{ 2 ** 10 }} {{ 'a' + 'b' }} "
        "{{ case.district | replace('区', 'District') }}",
        sample_context(),
    )
    assert message.subject == "河东区：LawyerAssigned"
    assert message.body == "012 张某 2026年3月2日 1024 ab 河东District"


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("{}%#()[]|*+-/~'\"., 0123456789aeinrstx_")), max_size=60)
)
def test_any_text_renders_or_is_a_template_problem(body: str) -> None:
    try:
        render("s", body, sample_context())
    except TemplateProblem:
        pass


def test_a_slow_compile_does_not_count_against_the_render_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The deadline bounds what a template does when it runs. Compiling is Python's work on
    text of bounded length, and a full garbage collection that happens to fall into it (0.76 s
    on a loaded machine) must not turn the default letter to the applicant into a
    TemplateProblem."""
    from notifier.domain import templates

    skew = [0.0]
    real_monotonic = time.monotonic
    original = templates._ENV.from_string

    class Clock:
        @staticmethod
        def monotonic() -> float:
            return real_monotonic() + skew[0]

    def slow_compile(source: str) -> object:
        compiled = original(source)
        skew[0] += 2 * templates.LIMITS.max_seconds
        return compiled

    monkeypatch.setattr(templates, "time", Clock)
    monkeypatch.setattr(templates._ENV, "from_string", slow_compile)
    templates._compiled.cache_clear()
    try:
        message = render(
            "{{ suspect_name }}", "{{ case.district }} slow to compile", sample_context()
        )
    finally:
        templates._compiled.cache_clear()
    assert (message.subject, message.body) == ("张某", "河东区 slow to compile")

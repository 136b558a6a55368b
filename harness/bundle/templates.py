"""Jinja templates of a bundle (``*.j2``): rendered per node with lab values.

Rendering keeps the template's lines where they were (no trimming) and its trailing newline
and line endings, so a message about line N of the output is about line N of the template.
"""

from __future__ import annotations

from typing import Any

import jinja2

from harness.errors import ConfigError


def render_template(text: str, ctx: dict[str, Any], name: str) -> bytes:
    newline = "\r\n" if "\r\n" in text else "\n"
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             newline_sequence=newline, autoescape=False)
    try:
        return env.from_string(text).render(**ctx).encode("utf-8")
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{name}:{exc.lineno}: template error: {exc.message}") from exc
    except jinja2.UndefinedError as exc:
        raise ConfigError(
            f"{name}:{_template_line(exc)}: template uses an unknown variable ({exc.message}); "
            f"known: {', '.join(sorted(ctx))}") from exc


def _template_line(exc: BaseException) -> int | str:
    """Jinja rewrites tracebacks so the template's own frames carry its line numbers."""
    line: int | str = "?"
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line

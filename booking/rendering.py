"""The templates a client reads (pages, emails, texts), in the salon's language: one environment per language
and kind, its catalogue bound to it (booking.locales.translations). Apart from locales, so that the domain's
objects load no template machinery."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from booking.locales import translations

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@cache
def templates(language: str, *, messages: bool = False) -> jinja2.Environment:
    """The templates a client reads, in ``language``: its catalogue bound to the environment, so one per language
    (and per kind). ``messages``: emails and texts, where only HTML is escaped and a template's own line breaks
    are the message's; else pages, every one escaped. Compiled once: no look at a file's time on every use."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=not messages, default=not messages),
        undefined=jinja2.StrictUndefined,
        trim_blocks=messages,
        lstrip_blocks=messages,
        keep_trailing_newline=messages,
        auto_reload=False,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return environment

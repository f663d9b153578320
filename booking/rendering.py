"""The templates people read, each in their language: a client's (pages, emails, texts) in the salon's, the front
desk's in its user's; one environment per language and kind, its catalogue bound to it
(booking.locales.translations). Apart from locales, so that the domain's objects load no template machinery."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from booking import paths
from booking.locales import translations
from booking.notice_types import TYPES as NOTICE_TYPES

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


@cache
def desk_templates(language: str, *, reload: bool = False) -> jinja2.Environment:
    """The front desk's pages in ``language``, every one escaped: one environment per language, as the clients'
    (the catalogue is the same one). ``reload``: a changed file is read again (--debug)."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        auto_reload=reload,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    environment.globals["notice_types"] = NOTICE_TYPES
    environment.globals["paths"] = paths  # every link a page makes, from the one home of paths
    return environment

"""What every HTML page shares, the front desk's (handlers/pages/) and the clients' (handlers/public/) alike: the
headers that keep a page to itself, cookies, the form token, and forms shown again with their errors."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from markupsafe import Markup

from booking.errors import BookingError, Invalid
from handlers.base import BaseHandler, outside_name, status_for

Form = dict[str, str]
Errors = dict[str, str]

# A strict policy: pages load only their own stylesheet and script. Inline
# styles stay allowed because captured emails (shown in a sandboxed iframe,
# which inherits this policy) carry them; remote images in emails stay blocked.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "frame-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


class HtmlPage(BaseHandler):
    """Any HTML page, the front desk's or a client's: its headers, cookies and forms."""

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.set_header("Referrer-Policy", "same-origin")
        self.set_header("Cache-Control", "no-store")

    def set_cookie(self, name: str, value: str | bytes, *args: Any, **kwargs: Any) -> None:
        """Every cookie of the pages (the session's, the form token's) is Secure with --cookie_secure or over https."""
        if self.application.web_settings.cookie_secure or self.request.protocol == "https":
            kwargs["secure"] = True
        super().set_cookie(name, value, *args, **kwargs)

    def xsrf_field(self) -> Markup:
        """Tornado's hidden XSRF input, written as HTML (Tornado's own ends in "/>", which HTML ignores)."""
        return Markup('<input type="hidden" name="_xsrf" value="{}">').format(self.xsrf_token.decode())

    def render_page(self, template: str, status: int = 200, **context: Any) -> None:
        """The template as a whole page: the front desk's and the clients' pages each render their own way."""
        raise NotImplementedError

    def read_form(self, names: Iterable[str]) -> Form:
        """What was typed into ``names``, stripped of nothing: shown back as typed."""
        return {name: self.get_body_argument(name, "") for name in names}

    def gettext(self, message: str) -> str:
        """``message`` in the page's language: each kind of page knows its reader's (English here)."""
        return message

    def render_form_error(self, template: str, error: BookingError, form: Form, **context: Any) -> None:
        """The form again, with the status of the error and its message beside the field, in the page's language."""
        errors = form_errors(error, form, self.gettext)
        self.render_page(template, status_for(error, 400), form=form, errors=errors, **context)


def form_errors(error: BookingError, form: Form, translate: Callable[[str], str] = str) -> Errors:
    """{form field: message}, for every field found wrong (Invalid.every); a message for a field the form does
    not show goes to the top (key ''). ``translate``: the reader's catalogue."""
    errors: Errors = {}
    for each in error.every if isinstance(error, Invalid) else (error,):
        field = outside_name(each.field) if each.field else ""
        errors.setdefault(field if field in form else "", each.describe(outside_name, translate))
    return errors

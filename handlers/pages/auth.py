"""First-run setup, login and logout."""

from __future__ import annotations

from functools import cache
from typing import Any

from booking import locales, paths, salons, users
from booking.errors import BookingError
from handlers.pages.base import PageHandler, in_words, safe_next

SETUP_FIELDS = ("name", "address", "timezone", "country", "locale", "email", "phone", "ownerEmail", "ownerPassword")


@cache
def setup_choices(locale: str) -> dict[str, Any]:
    """The setup form's lists, its cities and countries named in the reader's language: made once per locale (CLDR's
    names of some 400 cities take a moment), never per request."""
    return {
        "timezones": locales.timezone_choices(locale),
        "countries": locales.country_choices(locale),
        "locales": locales.locale_choices(),
    }


class SetupPage(PageHandler):
    """Creates the first salon and its owner; once a salon exists it is the login page's turn."""

    async def get(self) -> None:
        if await salons.any_salon_exists(self.db):
            self.redirect(paths.LOGIN())
            return
        form = dict.fromkeys(SETUP_FIELDS, "") | {"country": "GB"}  # the browser's zone is guessed on the page
        self.render_page("setup.html", form=form, errors={}, **setup_choices(self.page_locale))

    async def post(self) -> None:
        if await salons.any_salon_exists(self.db):
            self.redirect(paths.LOGIN())
            return
        form = self.read_form(SETUP_FIELDS)
        try:
            new = await salons.create_salon(
                self.db,
                name=form["name"],
                address=form["address"],
                timezone=form["timezone"],
                email=form["email"],
                phone=form["phone"],
                country=form["country"],
                locale=form["locale"],
                owner_email=form["ownerEmail"],
                owner_password=form["ownerPassword"],
                only_if_first=True,
            )
        except BookingError as error:
            form["ownerPassword"] = ""  # never echoed back into the page
            self.render_form_error("setup.html", error, form, **setup_choices(self.page_locale))
            return
        await self.log_in(new.owner)
        self.redirect(paths.DAY(), status=303)


class LoginPage(PageHandler):
    async def get(self) -> None:
        if self.current_user is not None:
            self.redirect(safe_next(self.get_query_argument("next", None)))
            return
        if not await salons.any_salon_exists(self.db):
            self.redirect(paths.SETUP())
            return
        self._show(200, email="", error="")

    async def post(self) -> None:
        email = self.get_body_argument("email", "").strip()
        if wait := await self.admit_password_check(email):
            error = self.gettext("Too many failed attempts. Try again in %(wait)s.", wait=in_words(wait, self.words))
            self._show(429, email=email, error=error)
            return
        user = await users.authenticate(self.db, email, self.get_body_argument("password", ""))
        await self.password_checked(email, right=user is not None)
        if user is None:
            self._show(400, email=email, error=self.gettext("That email and password do not match an account."))
            return
        await self.log_in(user)
        self.redirect(safe_next(self.get_body_argument("next", None)), status=303)

    def _show(self, status: int, *, email: str, error: str) -> None:
        next_path = self.get_argument("next", "/")
        self.render_page("login.html", status, email=email, error=error, next=safe_next(next_path))


class LogoutPage(PageHandler):
    async def post(self) -> None:
        await self.log_out()
        self.redirect(paths.LOGIN(), status=303)

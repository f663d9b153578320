"""Your own account, for any logged-in user: the language of your pages, and your password, whose change ends
your other sessions and revokes the API tokens you made."""

from __future__ import annotations

from typing import Any

from booking import access, locales, paths, users
from booking.errors import BookingError, Invalid
from handlers.pages.base import SalonPage, in_words

PASSWORD_FIELDS = ("currentPassword", "newPassword", "newPasswordAgain")
NOTHING_TYPED = dict.fromkeys(PASSWORD_FIELDS, "")  # a password is never written back into a page


def _nothing_done() -> dict[str, Any]:
    """The page's values beside a form shown again with its error."""
    return {"changed": None, "language_saved": False, "locales": locales.locale_choices()}


class AccountPage(SalonPage):
    roles = access.EVERYONE

    def show(self, status: int = 200, **context: Any) -> None:
        """The account page: its two forms, the language as chosen."""
        values = {
            "form": self._nothing_typed(),
            "errors": {},
            "changed": None,
            "language_saved": self.get_query_argument("saved", "") == "language",
            "locales": locales.locale_choices(self.current_user.locale or ""),
        }
        self.render_page("account.html", status, **(values | context))

    def get(self) -> None:
        self.show()

    def _nothing_typed(self) -> dict[str, str]:
        return NOTHING_TYPED | {"locale": self.current_user.locale or ""}

    async def post(self) -> None:
        form = self.read_form(PASSWORD_FIELDS)
        if form["newPassword"] != form["newPasswordAgain"]:
            self.show(400, errors={"newPasswordAgain": self.gettext("the two new passwords differ")})
            return
        email = self.current_user.email  # checking the current password is a password check like a login's
        if wait := await self.admit_password_check(email):
            message = self.gettext("Too many failed attempts. Try again in %(wait)s.", wait=in_words(wait, self.words))
            self.show(429, errors={"": message})
            return
        try:
            ended = await users.change_password(
                self.db,
                self.current_user.id,
                form["currentPassword"],
                form["newPassword"],
                keep_session=self.session_id,
            )
        except BookingError as error:
            # The current password is checked first: any other error means it was right.
            await self.password_checked(email, right=error.field != ("current_password",))
            self.render_form_error("account.html", error, self._nothing_typed(), **_nothing_done())
            return
        await self.password_checked(email, right=True)
        self.application.tokens.forget()  # the tokens revoked: here at once; other processes on the NOTIFY
        await self.log_in(self.current_user)  # and this browser's session gets a new token too
        self.show(changed=ended)


class AccountLanguage(SalonPage):
    """The language of your own pages: one of those spoken, or the salon's (blank)."""

    roles = access.EVERYONE

    async def post(self) -> None:
        chosen = self.get_body_argument("locale", "")
        try:
            await users.set_locale(self.db, self.salon.id, self.current_user.id, chosen)
        except Invalid as error:
            form = NOTHING_TYPED | {"locale": chosen}
            self.render_form_error("account.html", error, form, **_nothing_done())
            return
        self.redirect(f"{paths.ACCOUNT()}?saved=language", status=303)

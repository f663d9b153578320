"""Your own account, for any logged-in user: change the password, which ends your other sessions and
revokes the API tokens you made."""

from __future__ import annotations

from booking import access, users
from booking.errors import BookingError, Invalid
from handlers.pages.base import SalonPage, in_words

PASSWORD_FIELDS = ("currentPassword", "newPassword", "newPasswordAgain")
NOTHING_TYPED = dict.fromkeys(PASSWORD_FIELDS, "")  # a password is never written back into a page


class AccountPage(SalonPage):
    roles = access.EVERYONE

    def get(self) -> None:
        self.render_page("account.html", form=NOTHING_TYPED, errors={}, changed=None)

    async def post(self) -> None:
        form = self.read_form(PASSWORD_FIELDS)
        if form["newPassword"] != form["newPasswordAgain"]:
            error = Invalid("the two new passwords differ", "new_password_again")
            self.render_form_error("account.html", error, NOTHING_TYPED, changed=None)
            return
        email = self.current_user.email  # checking the current password is a password check like a login's
        if wait := await self.admit_password_check(email):
            errors = {"": f"Too many failed attempts. Try again in {in_words(wait)}."}
            self.render_page("account.html", 429, form=NOTHING_TYPED, errors=errors, changed=None)
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
            self.render_form_error("account.html", error, NOTHING_TYPED, changed=None)
            return
        await self.password_checked(email, right=True)
        self.application.tokens.forget()  # the tokens revoked: here at once; other processes on the NOTIFY
        await self.log_in(self.current_user)  # and this browser's session gets a new token too
        self.render_page("account.html", form=NOTHING_TYPED, errors={}, changed=ended)

"""The salon's API tokens: make one (shown once), see them, revoke one."""

from __future__ import annotations

from booking import api_tokens, paths
from booking.errors import Invalid
from handlers.html import Errors, Form, form_errors
from handlers.pages.base import OwnerPage, page_id


class TokensPage(OwnerPage):
    async def get(self) -> None:
        await self.show()

    async def post(self) -> None:
        form = self.read_form(("name",))
        try:
            token = await api_tokens.create_api_token(self.db, self.current_user, form["name"])
        except Invalid as error:
            await self.show(form=form, errors=form_errors(error, form, self.gettext), status=400)
            return
        await self.show(new_token=token, status=201)

    async def show(
        self, *, form: Form | None = None, errors: Errors | None = None, new_token: str = "", status: int = 200
    ) -> None:
        self.render_page(
            "tokens.html",
            status,
            tokens=await api_tokens.list_api_tokens(self.db, self.salon.id),
            form=form or {"name": ""},
            errors=errors or {},
            new_token=new_token,
        )


class RevokeToken(OwnerPage):
    async def post(self, token_id: str) -> None:
        await api_tokens.revoke_api_token(self.db, self.salon.id, page_id(token_id))
        self.application.tokens.forget()  # here at once; other processes on the NOTIFY
        self.redirect(paths.TOKENS(), status=303)

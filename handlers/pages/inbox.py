"""The front desk's inbox: what clients texted that no keyword answered, by number, and the desk's replies.

A conversation's address is its number without the "+" (/inbox/447700900123); opening it marks its texts
read. A reply is a notification job (``text_reply``) the worker sends like any other.
"""

from __future__ import annotations

import tornado.web

from booking import inbox, paths
from booking.errors import BookingError
from handlers.base import status_for
from handlers.html import Errors, Form, form_errors
from handlers.pages.base import SalonPage


def number_of(path: str) -> str:
    """The number a conversation's address names: +digits, or a sender's name; anything else is a 404."""
    if path.isascii() and path.isdigit() and len(path) <= 31:
        return f"+{path}"
    if path.isascii() and path.isalnum() and len(path) <= 31:
        return path
    raise tornado.web.HTTPError(404)


class InboxPage(SalonPage):
    parts = ("inbox_live",)

    async def get(self) -> None:
        self.render_page("inbox.html", conversations=await inbox.conversations(self.db, self.salon.id))


class ConversationPage(SalonPage):
    parts = ("conversation_live",)

    async def get(self, number: str) -> None:
        phone = number_of(number)
        await inbox.mark_read(self.db, self.salon.id, phone)
        self.unread_texts = await inbox.unread_count(self.db, self.salon.id)  # the menu counts what is left
        await self.show(phone, {"text": ""}, {}, sent=self.get_query_argument("sent", "") == "1")

    async def post(self, number: str) -> None:
        phone = number_of(number)
        form = self.read_form(("text",))
        try:
            await inbox.reply(self.db, self.salon, phone, form["text"])
        except BookingError as error:
            await self.show(phone, form, form_errors(error, form, self.gettext), status_for(error, 400))
            return
        self.wake_worker()
        self.redirect(f"{paths.CONVERSATION(number=number)}?sent=1", status=303)

    async def show(self, phone: str, form: Form, errors: Errors, status: int = 200, sent: bool = False) -> None:
        thread = await inbox.thread(self.db, self.salon.id, phone)
        self.render_page("inbox_conversation.html", status, thread=thread, form=form, errors=errors, sent=sent)

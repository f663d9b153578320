"""The built-in mail catcher's outbox: what would have gone out by email and SMS."""

from __future__ import annotations

import email
import email.message
import email.policy
from dataclasses import dataclass

import tornado.web

from booking import fields, inbound, inbox, paths
from booking.errors import Invalid
from handlers.html import Errors, Form, form_errors
from handlers.pages.base import SalonPage
from handlers.pages.inbox import number_of
from outbox import messages


@dataclass(frozen=True)
class ReadableEmail:
    html: str
    text: str
    attachments: tuple[str, ...]


def readable(raw: str) -> ReadableEmail:
    """The parts a person reads, from a raw RFC 5322 message."""
    parsed = email.message_from_string(raw, policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    html, text = parsed.get_body(("html",)), parsed.get_body(("plain",))
    attachments = tuple(part.get_filename() or part.get_content_type() for part in parsed.iter_attachments())
    return ReadableEmail(
        html=html.get_content() if html else "", text=text.get_content() if text else "", attachments=attachments
    )


class OutboxPage(SalonPage):
    """Only while the built-in catcher stands in for a mail server or an SMS provider; otherwise there is no such
    page."""

    async def prepare(self) -> None:
        if not self.application.outbox_enabled:
            raise tornado.web.HTTPError(404)
        await super().prepare()

    @property
    def texts_kept(self) -> bool:
        """No SMS provider: texts are kept here, and the front desk may play a client's answer to them."""
        return not self.application.web_settings.sms_provider_url

    async def play(self, phone: str, body: str) -> None:
        """Receives ``body`` as a text from ``phone`` to this salon, as a real one to /sms/inbound would be
        (booking.inbound), then shows the number's conversation."""
        await inbound.receive(
            self.db,
            inbound.IncomingText(phone, fields.text(body, "body")),
            self.salon,
            links=await self.application.links(),
        )
        self.wake_worker()
        self.redirect(paths.OUTBOX_TEXTS(number=phone.removeprefix("+")), status=303)


PER_PAGE = 100


def message_number(value: str) -> int | None:
    """A message's number from the URL, or None for anything that cannot be one."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


class OutboxListPage(OutboxPage):
    async def get(self) -> None:
        await self.show({"from": "", "body": ""}, {})

    async def post(self) -> None:
        """A client's text from a number typed on the page."""
        if not self.texts_kept:
            raise tornado.web.HTTPError(404)
        form = self.read_form(("from", "body"))
        try:
            phone = fields.phone(form["from"], "from", self.salon.country)
            if phone is None:
                raise Invalid("{field} is required", "from")
            await self.play(phone, form["body"])
        except Invalid as error:
            await self.show(form, form_errors(error, form, self.gettext), 400)

    async def show(self, form: Form, errors: Errors, status: int = 200) -> None:
        after = self.get_query_argument("after", "")
        before = message_number(after)
        if after and before is None:
            raise tornado.web.HTTPError(404)
        found = await messages.list_for_salon(self.db, self.salon.id, limit=PER_PAGE + 1, before=before)
        next_page = f"{paths.OUTBOX()}?after={found[PER_PAGE - 1].id}" if len(found) > PER_PAGE else ""
        self.render_page(
            "outbox.html",
            status,
            messages=found[:PER_PAGE],
            next_page=next_page,
            texts_kept=self.texts_kept,
            form=form,
            errors=errors,
        )


class TextConversationPage(OutboxPage):
    """A number's texts as the outbox kept them, with what the number answered, and a box to answer as it."""

    parts = ("conversation_live",)

    async def prepare(self) -> None:
        if not self.texts_kept:
            raise tornado.web.HTTPError(404)
        await super().prepare()

    async def get(self, number: str) -> None:
        await self.show(number_of(number), {"body": ""}, {})

    async def post(self, number: str) -> None:
        form = self.read_form(("body",))
        try:
            await self.play(number_of(number), form["body"])
        except Invalid as error:
            await self.show(number_of(number), form, form_errors(error, form, self.gettext), 400)

    async def show(self, phone: str, form: Form, errors: Errors, status: int = 200) -> None:
        thread = await inbox.thread(self.db, self.salon.id, phone, kept=True)
        self.render_page("outbox_texts.html", status, thread=thread, form=form, errors=errors)


class OutboxMessagePage(OutboxPage):
    async def get(self, message_id: str) -> None:
        number = message_number(message_id)
        message = await messages.get(self.db, self.salon.id, number) if number is not None else None
        if message is None:
            raise tornado.web.HTTPError(404)
        content = readable(message.body) if message.channel == "email" else None
        self.render_page("outbox_message.html", message=message, content=content)

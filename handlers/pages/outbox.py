"""The built-in mail catcher's outbox: what would have gone out by email and SMS."""

from __future__ import annotations

import email
import email.message
import email.policy
from dataclasses import dataclass

import tornado.web

from handlers.pages.base import SalonPage
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
    """Only while the built-in catcher stands in for a mail server; otherwise there is no such page."""

    async def prepare(self) -> None:
        if not self.application.outbox_enabled:
            raise tornado.web.HTTPError(404)
        await super().prepare()


PER_PAGE = 100


def message_number(value: str) -> int | None:
    """A message's number from the URL, or None for anything that cannot be one."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


class OutboxListPage(OutboxPage):
    async def get(self) -> None:
        after = self.get_query_argument("after", "")
        before = message_number(after)
        if after and before is None:
            raise tornado.web.HTTPError(404)
        found = await messages.list_for_salon(self.db, self.salon.id, limit=PER_PAGE + 1, before=before)
        next_page = f"/outbox?after={found[PER_PAGE - 1].id}" if len(found) > PER_PAGE else ""
        self.render_page("outbox.html", messages=found[:PER_PAGE], next_page=next_page)


class OutboxMessagePage(OutboxPage):
    async def get(self, message_id: str) -> None:
        number = message_number(message_id)
        message = await messages.get(self.db, self.salon.id, number) if number is not None else None
        if message is None:
            raise tornado.web.HTTPError(404)
        content = readable(message.body) if message.channel == "email" else None
        self.render_page("outbox_message.html", message=message, content=content)

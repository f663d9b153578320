"""A client's page: who they are, what their visits add up to, the salon's notes, and their history."""

from __future__ import annotations

import asyncio
import uuid

from booking import access, appointments, client_history, client_notes, paths
from booking.errors import Invalid
from handlers.html import Errors, Form, form_errors
from handlers.pages.base import SalonPage, page_id

HISTORY_SHOWN = 20  # appointments a page of the history shows
NOTES_SHOWN = 20  # the newest notes; the API pages through the rest


class ClientPage(SalonPage):
    roles = access.EVERYONE  # a stylist opens their own clients' pages: their notes are the stylist's tools

    async def get(self, client_id: str) -> None:
        the_id = page_id(client_id)
        await self.own_client(the_id)
        await self.show(the_id, {"text": ""}, {})

    async def show(self, client_id: uuid.UUID, form: Form, errors: Errors, status: int = 200) -> None:
        after = self.page_after()
        client, notes, history = await asyncio.gather(
            client_history.on_file(self.db, self.salon.id, client_id),
            client_notes.list_notes(self.db, self.salon.id, client_id, limit=NOTES_SHOWN),
            appointments.client_history(self.db, self.salon.id, client_id, after=after, limit=HISTORY_SHOWN),
        )
        older = f"{paths.CLIENT(id=client_id)}?after={history.next}" if history.next else ""
        self.render_page(
            "client.html",
            status,
            client=client,
            notes=notes,
            history=history.rows,
            older=older,
            paged=after is not None,
            now=self.now(),
            form=form,
            errors=errors,
        )


class ClientNotes(ClientPage):
    """A new note, by whoever is logged in; a blank or overlong one is shown back with its error."""

    async def post(self, client_id: str) -> None:
        the_id, form = page_id(client_id), self.read_form(("text",))
        await self.own_client(the_id)
        try:
            await client_notes.add(
                self.db,
                self.salon.id,
                the_id,
                form["text"],
                author=self.current_user.email,
                author_id=self.current_user.id,
                now=self.now(),
            )
        except Invalid as error:
            await self.show(the_id, form, form_errors(error, form, self.gettext), 400)
            return
        self.redirect(paths.CLIENT(id=the_id), status=303)

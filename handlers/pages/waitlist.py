"""The front desk's waitlist: who waits for what, in the order offers go; adding a client, taking one off."""

from __future__ import annotations

import datetime as dt
import uuid

from booking import clients, fields, paths, services, staff, waitlist
from booking.errors import BookingError
from booking.models import Salon, Source
from handlers.base import status_for
from handlers.html import Errors, Form, form_errors
from handlers.pages.base import SalonPage, page_id

FORM_FIELDS = ("clientId", "serviceId", "staffId", "fromDate", "toDate", "earliest", "latest")
PER_PAGE = 200
FOUND_CLIENTS = 20  # clients a search offers to choose from


def wish_from(form: Form, salon: Salon, now: dt.datetime) -> tuple[uuid.UUID, waitlist.Wish]:
    """The client and what they wait for, as the form says it; every wrong field found at once."""
    checks = fields.Checks()
    client_id = checks(fields.identifier, form["clientId"], "client_id")
    service_id = checks(fields.identifier, form["serviceId"], "service_id")
    staff_id = checks(fields.identifier, form["staffId"], "staff_id") if form["staffId"] else None
    from_date = checks(fields.date, form["fromDate"], "from_date")
    to_date = checks(fields.date, form["toDate"], "to_date")
    earliest = checks(fields.clock, form["earliest"], "earliest") if form["earliest"] else None
    latest = checks(fields.clock, form["latest"], "latest") if form["latest"] else None
    wish = waitlist.Wish(service_id, staff_id, from_date, to_date, earliest, latest)
    if from_date and to_date:
        checks(waitlist.checked, salon, wish, now)
    checks.done()
    return client_id, wish


class WaitlistPage(SalonPage):
    """GET: the list, and the form to add someone (``?q=`` finds the client); POST: add them."""

    async def get(self) -> None:
        today = self.now().astimezone(self.salon.zone).date()
        form = dict.fromkeys(FORM_FIELDS, "") | {"fromDate": str(today), "toDate": str(today + dt.timedelta(days=14))}
        await self.show(form | {"clientId": self.get_query_argument("clientId", "")}, {})

    head = get

    async def post(self) -> None:
        form = self.read_form(FORM_FIELDS)
        try:
            client_id, wish = wish_from(form, self.salon, self.now())
            await waitlist.add(self.db, self.salon, client_id, wish, source=Source.FRONT_DESK, now=self.now())
        except BookingError as error:
            await self.show(form, form_errors(error, form, self.gettext), status=status_for(error, 400))
            return
        self.redirect(paths.WAITLIST(), status=303)

    async def show(self, form: Form, errors: Errors, status: int = 200) -> None:
        search = self.get_query_argument("q", "")
        found = (
            await clients.list_clients(self.db, self.salon.id, search, region=self.salon.country, limit=FOUND_CLIENTS)
            if search.strip()
            else []
        )
        if form["clientId"] and not any(str(client.id) == form["clientId"] for client in found):
            try:
                found.insert(0, await clients.get_client(self.db, self.salon.id, page_id(form["clientId"])))
            except BookingError:
                form["clientId"] = ""
        entries, more = self.one_page(
            await waitlist.list_entries(self.db, self.salon.id, after=self.page_after(), limit=PER_PAGE + 1), PER_PAGE
        )
        self.render_page(
            "waitlist.html", status, entries=entries, more=more, form=form, errors=errors, q=search, found=found,
            services=await services.list_services(self.db, self.salon.id),
            staff=await staff.list_staff(self.db, self.salon.id),
        )  # fmt: skip


class RemoveFromWaitlist(SalonPage):
    async def post(self, entry_id: str) -> None:
        await waitlist.remove(self.db, self.salon.id, page_id(entry_id), self.now())
        self.redirect(paths.WAITLIST(), status=303)

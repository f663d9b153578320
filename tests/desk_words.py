"""The walk of the front desk's pages in a reader's language, shared by the HTTP walk
(tests/test_pages_in_three_languages.py) and the browser's (tests/test_browser_languages.py): which pages, made
with what in them, and the English words none of them may show in a German or Spanish salon."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from html.parser import HTMLParser

from booking import clients, locales, payments, services, staff, time_off
from booking.models import ClientDetails, Salon, ServiceDetails, StaffDetails, StaffOverride, WorkingHours
from db import Database
from tests.desk import book_at, set_up_desk

# Words and phrases no German or Spanish page shows, unless it still speaks English: whole words, any case.
ENGLISH = (
    "the", "and", "with", "your", "you", "of", "for", "is", "are", "Log out", "Log in", "Clients", "Book",
    "Search", "Week", "Today", "Nothing", "Settings", "Reports", "Inbox", "Outbox", "Waitlist", "Notes", "History",
    "Add", "Password", "Services", "Notifications", "Change", "Day", "Make", "Remove", "Revoke", "Download", "Show",
    "Earlier", "Later", "Back", "Phone", "Reminders", "Invite", "Send", "Save", "Language", "Account", "Visits",
    "Found", "Forbidden", "Nobody", "yet", "Appointments", "Messages", "Revenue", "Period", "Move", "Cancel",
    "Duration", "Price", "Everyone", "Reason", "Working", "Buffer", "Payments", "Refund", "Staff", "until", "off",
)  # fmt: skip
SAID_IN_ENGLISH = re.compile(r"\b(" + "|".join(re.escape(word) for word in ENGLISH) + r")\b", re.IGNORECASE)
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "data-label", "alt")
# Parts of a page not read here (none left: every part the walk meets is translated).
NOT_YET: tuple[str, ...] = ()


class Words(HTMLParser):
    """What a person reads on a page: its text and the attributes read aloud, not scripts, code, names marked
    ``translate="no"`` or the parts of ``NOT_YET``."""

    def __init__(self) -> None:
        super().__init__()
        self.read: list[str] = []
        self.skipping: list[str] = []  # the tags open inside a part not read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        # translate="no": names of places and the like, the same in every language (a time zone's city)
        if (
            self.skipping
            or values.get("id") in NOT_YET
            or values.get("translate") == "no"
            or tag in ("script", "style", "code")
        ):
            if tag not in ("input", "br", "img", "meta", "link", "rect"):
                self.skipping.append(tag)
            return
        self.read.extend(value for name, value in attrs if name in READ_ATTRIBUTES and value)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.read.append(data)


def english_on(html: str) -> list[str]:
    words = Words()
    words.feed(html)
    return sorted({found.group(0) for text in words.read for found in SAID_IN_ENGLISH.finditer(text)})


def english_in(text: str) -> list[str]:
    """The English words in a plain text (what a browser renders: ``document.body.innerText``)."""
    return sorted({found.group(0) for found in SAID_IN_ENGLISH.finditer(text)})


async def desk_pages(db: Database, salon: Salon) -> list[str]:
    """Every desk page of the walk, for ``salon``'s owner, with something on each: staff, services, a client, a
    booking with its notices and every kind of payment, time off, a week in 2030. The paths, in the order walked."""
    week = tuple(WorkingHours(day, dt.time(9), dt.time(17)) for day in range(7))
    member = await staff.create_staff(db, salon.id, StaffDetails("Bea", "Moreno", working_hours=week))
    client = await clients.create_client(
        db, salon.id, ClientDetails("María", "Cruz", "maria@example.com", None, True), region=salon.country
    )
    # The first token's name is stored in English by booking/salons.py (not translated here yet): the salon's own.
    await db.execute("UPDATE api_tokens SET name = 'Web' WHERE salon_id = %s", (salon.id,))
    day = dt.date(2030, 6, 4)
    desk = await set_up_desk(db, salon)
    booked = await book_at(db, salon, desk, dt.time(10))
    await time_off.add_time_off(
        db, salon.id, desk.staff.id, start=booked.start_time, end=booked.end_time, reason="Arzt"
    )
    job = await db.fetch_one(
        "SELECT id FROM notification_jobs WHERE salon_id = %s AND status = 'pending' ORDER BY run_at LIMIT 1",
        (salon.id,),
    )
    assert job is not None, "the booking's notices"
    # The booking form's lengths: Bea's own for the cut (anyone's a range), and a service only Cy does.
    await services.update_service(
        db, salon.id, desk.service.id, ServiceDetails("Cut", 45, staff_overrides=(StaffOverride(desk.staff.id, 60),))
    )
    await services.create_service(db, salon.id, ServiceDetails("Balayage", 120, staff_ids=(desk.other_staff.id,)))
    keys = payments.AccountChange("sk_test_abcdefgh1234", "pk_test_abcdefgh1234", None)
    await payments.save_account(db, salon.id, keys)  # the reports' money section, the services' deposits
    await db.execute(  # every kind and reason on the appointment's page, and the owner's refund form
        """INSERT INTO payments (salon_id, appointment_id, kind, reason, amount_cents, currency,
                                 stripe_payment_intent_id, status, idempotency_key)
           VALUES (%(salon)s, %(on)s, 'deposit', 'deposit', 1000, 'EUR', %(pi)s, 'succeeded', NULL),
                  (%(salon)s, %(on)s, 'fee', 'no_show', 2000, 'EUR', NULL, 'pending', %(key)s || 'f1'),
                  (%(salon)s, %(on)s, 'fee', 'late_cancellation', 900, 'EUR', %(fee)s, 'failed', %(key)s || 'f2'),
                  (%(salon)s, %(on)s, 'refund', 'early_cancellation', 100, 'EUR', %(pi)s, 'canceled', %(key)s || 'r1'),
                  (%(salon)s, %(on)s, 'refund', 'owner', 300, 'EUR', %(pi)s, 'succeeded', %(key)s || 'r2')""",
        {"salon": salon.id, "on": booked.id, "pi": f"pi_{salon.id.hex}", "fee": f"pi_fee_{salon.id.hex}",
         "key": f"walk-{salon.id}"},
    )  # fmt: skip
    return [
        f"/?date={desk.day}",
        f"/appointments/{booked.id}",
        f"/appointments/{booked.id}?day={desk.day}",  # the move's free times
        f"/appointments/new?serviceId={desk.service.id}&day={desk.day}",  # anyone's lengths, the free times
        f"/appointments/new?staffId={desk.staff.id}&day={desk.day}",  # Bea's lengths, and what she does not do
        "/services",
        "/services/new",
        f"/services/{desk.service.id}/edit",
        "/staff",
        "/staff/new",
        f"/staff/{desk.staff.id}/edit",
        f"/staff/{desk.staff.id}/time-off",
        "/settings",
        "/settings/messages",
        f"/settings/messages/reminder/{locales.language(salon.locale)}",
        "/jobs",
        "/jobs?status=failed",  # none: the filter's own words
        f"/jobs/{job['id']}",
        f"/jobs/{job['id']}/cancel",
        f"/?date={day}",
        f"/?view=week&staff={member.id}&date={day}",
        "/clients",
        "/clients?q=zzzz",
        f"/clients/{client.id}",
        "/clients/new",
        f"/clients/{client.id}/edit",
        f"/clients/{client.id}/erase",
        "/inbox",
        "/team",
        "/tokens",
        "/reports",
        "/waitlist",
        "/account",
        f"/clients/{uuid.uuid4()}",  # the error page
    ]

"""A salon's own data, for its owner: every row of the salon, one kind of row per list, read a page at a time.

Of that salon only, and no secret: the rows are what the API shows (no password or token hashes, no
sessions, no link secret, no SMS provider's credentials, which are not the salon's rows at all, no Stripe key:
payments and saved cards carry Stripe's ids only), and the
notifications leave out the booking codes and invitation links their payloads carry. Each table module
reads its own rows (``page_by_id``); this module only says which lists an export has.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from booking import (
    appointments,
    client_notes,
    clients,
    inbox,
    jobs,
    own_words,
    payments,
    saved_cards,
    services,
    staff,
    time_off,
    waitlist,
)
from booking.client_notes import ClientNote
from booking.inbox import InboundText
from booking.models import Appointment, Client, Salon, Service, Staff, TimeOff
from booking.paging import PAGE_SIZE, Listing, Reader, at_once, pages
from db import Database

# The lists of a salon's export beside the salon itself, in order, and what each row is (as the API shows it).
LISTS: dict[str, type] = {
    "staff": Staff,  # with their working hours
    "time_off": TimeOff,  # past and to come (``affected`` is left empty: it is what an addition found)
    "services": Service,
    "clients": Client,  # erased ones too: their appointments name them
    "client_notes": ClientNote,  # what the salon noted about its clients
    "appointments": Appointment,  # with each one's notification jobs (held times are not appointments yet)
    "messages": jobs.Job,  # the notifications, with every attempt and its outcome
    "waitlist": waitlist.Entry,  # who waits (or waited) for a time, in the order they joined
    "wording": own_words.Worded,  # the salon's own words for its notices
    "texts": InboundText,  # what clients texted the salon
    "payments": payments.Payment,  # every deposit, fee and refund through the salon's Stripe account
    "saved_cards": saved_cards.SavedCard,  # cards clients saved at online booking (Stripe's ids, never a number)
}


@dataclass(frozen=True)
class SalonExport:
    salon: Salon  # its settings
    made_at: dt.datetime
    lists: tuple[Listing, ...]  # LISTS, in order, each read a page at a time as it is written out

    @property
    def file_name(self) -> str:
        """``salonbook-<slug>-<the salon's date>.zip``"""
        return f"salonbook-{self.salon.slug}-{self.made_at.astimezone(self.salon.zone):%Y-%m-%d}.zip"


def export(db: Database, salon: Salon, *, now: dt.datetime | None = None, page_size: int = PAGE_SIZE) -> SalonExport:
    """The salon's export; nothing is read until its lists are (page by page, while the caller writes them out)."""
    readers: dict[str, Reader[Any]] = {
        "staff": at_once(lambda: staff.list_staff(db, salon.id)),
        "time_off": lambda after, limit: time_off.page_by_id(db, salon.id, after=after, limit=limit),
        "services": at_once(lambda: services.list_services(db, salon.id)),
        "clients": lambda after, limit: clients.page_by_id(db, salon.id, after=after, limit=limit),
        "appointments": lambda after, limit: appointments.page_by_id(db, salon.id, after=after, limit=limit),
        "messages": lambda after, limit: jobs.page_by_id(db, salon.id, after=after, limit=limit),
        "texts": lambda after, limit: inbox.page_by_id(db, salon.id, after=after, limit=limit),
        "client_notes": lambda after, limit: client_notes.page_by_id(db, salon.id, after=after, limit=limit),
        "waitlist": lambda after, limit: waitlist.page_of(db, salon.id, after=after, limit=limit),
        "wording": at_once(lambda: own_words.every(db, salon.id)),
        "payments": lambda after, limit: payments.page_by_id(db, salon.id, after=after, limit=limit),
        "saved_cards": lambda after, limit: saved_cards.page_by_id(db, salon.id, after=after, limit=limit),
    }
    lists = tuple(Listing(name, pages(readers[name], page_size)) for name in LISTS)
    return SalonExport(salon, now or dt.datetime.now(dt.UTC), lists)

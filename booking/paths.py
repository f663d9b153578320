"""Where each page lives: one template per path, from which the routes are made and every link is built.

The route tables (handlers/) take their patterns from here (``route``); the links in messages
(booking.links), the worker's callback address and the pages' redirects build their paths from the same
templates (calling one), so a path is written once.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

ANY_PART = "[^/]+"  # a part's shape in a route unless a path gives its own: the handler checks it


@dataclass(frozen=True)
class Path:
    template: str  # "/m/{token}": literal text, and named parts

    def __call__(self, **parts: object) -> str:
        """The path with these parts: ``MANAGE(token="abc")`` -> "/m/abc"."""
        return self.template.format(**parts)

    def route(self, **shapes: str) -> str:
        """The pattern Tornado routes by: each part a group of its shape (``ANY_PART`` unless given)."""
        pattern = ""
        for literal, part, _, _ in string.Formatter().parse(self.template):
            pattern += re.escape(literal)
            if part is not None:
                pattern += f"({shapes.get(part, ANY_PART)})"
        return pattern


# The front desk
SETUP = Path("/setup")
LOGIN = Path("/login")
LOGOUT = Path("/logout")
ACCOUNT = Path("/account")
ACCOUNT_LANGUAGE = Path("/account/language")
DAY = Path("/")
NEW_APPOINTMENT = Path("/appointments/new")
APPOINTMENT = Path("/appointments/{id}")
CANCEL_APPOINTMENT = Path("/appointments/{id}/cancel")
RESCHEDULE_APPOINTMENT = Path("/appointments/{id}/reschedule")
RECORD_VISIT = Path("/appointments/{id}/visit")
REFUND_APPOINTMENT = Path("/appointments/{id}/refund")  # the owner gives back (some of) its deposit
JOBS = Path("/jobs")
JOB = Path("/jobs/{id}")
RETRY_JOB = Path("/jobs/{id}/retry")
CANCEL_JOB = Path("/jobs/{id}/cancel")
INBOX = Path("/inbox")
CONVERSATION = Path("/inbox/{number}")
OUTBOX = Path("/outbox")
OUTBOX_TEXTS = Path("/outbox/texts/{number}")
OUTBOX_MESSAGE = Path("/outbox/{id}")
CLIENTS = Path("/clients")  # and /clients/new, /clients/{id}/edit (handlers/pages/directory.py): likewise
STAFF = Path("/staff")  # staff
STAFF_TIME_OFF = Path("/staff/{id}/time-off")
REMOVE_TIME_OFF = Path("/staff/{id}/time-off/{time_off_id}/remove")
SERVICES = Path("/services")  # and services
CLIENT = Path("/clients/{id}")  # the client's page: history, counts, notes
CLIENT_NOTES = Path("/clients/{id}/notes")
CLIENT_EXPORT = Path("/clients/{id}/export")
ERASE_CLIENT = Path("/clients/{id}/erase")
WAITLIST = Path("/waitlist")
REMOVE_FROM_WAITLIST = Path("/waitlist/{id}/remove")
TEAM = Path("/team")
REMOVE_MEMBER = Path("/team/members/{id}/remove")
WITHDRAW_INVITATION = Path("/team/invitations/{id}/withdraw")
INVITATION = Path("/invite/{token}")
TOKENS = Path("/tokens")
REVOKE_TOKEN = Path("/tokens/{id}/revoke")
REPORTS = Path("/reports")  # the owner's figures; ?format=csv&section=... downloads one section
SETTINGS = Path("/settings")
SALON_EXPORT = Path("/settings/export")  # the salon's own data, for its owner
NEWEST_BACKUP = Path("/settings/backups/newest")
END_ALL_SESSIONS = Path("/settings/sessions/end")
SETTINGS_MESSAGES = Path("/settings/messages")  # the reminder plan, the thank-you, the salon's own words
SETTINGS_MESSAGE = Path("/settings/messages/{type}/{language}")
RESET_MESSAGE = Path("/settings/messages/{type}/{language}/reset")
STRIPE_SETTINGS = Path("/settings/stripe")  # the salon's Stripe account: keys saved, write-only
REMOVE_STRIPE = Path("/settings/stripe/remove")
FEE_SETTINGS = Path("/settings/fees")  # the no-show and late-cancellation fees, once Stripe is connected

# A salon's clients
MANAGE = Path("/m/{token}")
CONFIRM = Path("/m/{token}/confirm")
CANCEL = Path("/m/{token}/cancel")
RESCHEDULE = Path("/m/{token}/reschedule")
UNSUBSCRIBE = Path("/u/{token}")
BOOK = Path("/book/{slug}")
BOOKING_CODE = Path("/book/{slug}/code/{hold}")
BOOKING_PAY = Path("/book/{slug}/pay/{hold}")  # the deposit, with Stripe's card field
BOOKING_PAID = Path("/book/{slug}/paid/{hold}")  # where the card field returns: the page's own check
JOIN_WAITLIST = Path("/book/{slug}/waitlist")
WAITLIST_CODE = Path("/book/{slug}/waitlist/{entry}")
OFFER = Path("/w/{token}")
CLAIM_OFFER = Path("/w/{token}/claim")
LEAVE_WAITLIST = Path("/w/{token}/leave")

# A stylist's calendar app, subscribed to their appointments
CALENDAR_FEED = Path("/cal/{token}.ics")
STAFF_FEED = Path("/staff/{id}/calendar-feed")  # a new address (POST), the old one stops
STAFF_FEED_REVOKE = Path("/staff/{id}/calendar-feed/revoke")

# The SMS provider's calls
SMS_INBOUND = Path("/sms/inbound")
SMS_STATUS = Path("/sms/status")

# Stripe's webhooks, one address per salon: each is signed with that salon's own webhook secret
STRIPE_WEBHOOK = Path("/stripe/webhook/{slug}")

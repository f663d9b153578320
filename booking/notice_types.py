"""Every kind of notification, in one table: what it is about, when it goes, how it reads.

A new kind is one entry here, its templates (``templates/email/{name}.txt``
and ``.html``, ``templates/sms/{name}.txt``) and the schema's list of types.
Nothing else names a kind: code asks this table what a kind means.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


def N_(message: str) -> str:
    """Marks a message for the catalogues (pybabel extracts it); it is translated where it is sent."""
    return message


@dataclass(frozen=True)
class NoticeType:
    name: str  # as stored in notification_jobs.type
    label: str  # how the front desk names it
    subject: str  # the email's subject, in English (translated when sent); {salon} and {time} are filled in
    # It describes the appointment as booked: replaced when the appointment moves or is cancelled.
    about_booking: bool
    # Looked at again just before sending: not sent once the appointment is cancelled, moved or over.
    checked_at_send: bool
    # A reminder: sent this long before the start, and never inside the salon's quiet hours (booking.models).
    lead: dt.timedelta | None = None
    ics_method: str | None = None  # the .ics invitation's METHOD, or None for no invitation
    # Gives the client their link to confirm, move or cancel (booking.links): a booked appointment's notices.
    manage_link: bool = False
    # What the message carries that is kept only until the job ends (jobqueue.queue.ONE_TIME), in the desk's
    # words, and how to get a new one: such a job cannot be sent again.
    one_time: str | None = None
    one_time_again: str = ""
    # Offers a freed time to a waiting client (booking.waitlist): its link claims it. Sent only while the time is
    # still free, outside the salon's minimum notice and its quiet hours, and the client still waiting.
    offer: bool = False

    @property
    def is_reminder(self) -> bool:
        return self.lead is not None

    @property
    def kept_from_quiet_hours(self) -> bool:
        """Held until the salon's quiet hours end (or not sent, when that is too near the time it is about)."""
        return self.is_reminder or self.offer


CONFIRMATION = NoticeType(
    "booking_confirmation",
    label="Booking confirmation",
    subject=N_("Your appointment at {salon} is confirmed"),
    about_booking=True,
    checked_at_send=True,
    ics_method="REQUEST",
    manage_link=True,
)
# "24 h" is 24 real hours (an absolute instant), so across a DST change it lands
# at a different wall-clock hour than the appointment: 09:00 or 11:00 the day before.
REMINDER_24H = NoticeType(
    "reminder_24h",
    label="Reminder, 24 h before",
    subject=N_("Reminder: your appointment at {salon} is tomorrow"),
    about_booking=True,
    checked_at_send=True,
    lead=dt.timedelta(hours=24),
    manage_link=True,
)
REMINDER_2H = NoticeType(
    "reminder_2h",
    label="Reminder, 2 h before",
    subject=N_("Reminder: your appointment at {salon} is today at {time}"),
    about_booking=True,
    checked_at_send=True,
    lead=dt.timedelta(hours=2),
    manage_link=True,
)
CANCELLATION = NoticeType(
    "cancellation",
    label="Cancellation notice",
    subject=N_("Your appointment at {salon} is cancelled"),
    about_booking=False,
    checked_at_send=False,
    ics_method="CANCEL",
)
RESCHEDULED = NoticeType(
    "rescheduled",
    label="New time notice",
    subject=N_("Your appointment at {salon} has moved"),
    about_booking=True,
    checked_at_send=True,
    ics_method="REQUEST",
    manage_link=True,
)

# To a future colleague, not a client: the payload says to whom ("email") and where to accept (its secret "link").
TEAM_INVITE = NoticeType(
    "team_invite",
    label="Team invitation",
    subject=N_("{salon} invites you to its front desk on Salonbook"),
    about_booking=False,
    checked_at_send=False,
    one_time="invitation link",
    one_time_again="withdraw the invitation and invite them again",
)

# To the salon's own email when a client cancels, moves or confirms: the payload says what and who.
SALON_NOTICE = NoticeType(
    "salon_notice",
    label="Notice to the salon",
    subject=N_("{salon}: a client changed an appointment"),
    about_booking=False,
    checked_at_send=False,
)
# The code that proves an online booking's email or phone is the client's: sent ahead of other notices.
BOOKING_CODE = NoticeType(
    "booking_code",
    label="Online booking code",
    subject=N_("Your booking code for {salon}"),
    about_booking=False,
    checked_at_send=False,
    one_time="code",
    one_time_again="the client asks for a new one by booking again",
)

# The front desk's answer to a client's text, by text to the number that wrote: the payload says to whom
# ("phone") and what ("text"). It goes at once, like every notice of something that just happened.
TEXT_REPLY = NoticeType(
    "text_reply",
    label="Reply from the front desk",
    subject=N_("A message from {salon}"),
    about_booking=False,
    checked_at_send=False,
)

# A time that freed, offered to a client on the waitlist: the first to claim it through the link books it.
WAITLIST_OFFER = NoticeType(
    "waitlist_offer",
    label="Waitlist offer",
    subject=N_("A time at {salon} is free: {time}"),
    about_booking=False,
    checked_at_send=True,
    offer=True,
)

TYPES: dict[str, NoticeType] = {
    kind.name: kind
    for kind in (
        CONFIRMATION, REMINDER_24H, REMINDER_2H, CANCELLATION, RESCHEDULED, TEAM_INVITE, SALON_NOTICE, BOOKING_CODE,
        TEXT_REPLY, WAITLIST_OFFER,
    )
}  # fmt: skip
REMINDERS: tuple[NoticeType, ...] = tuple(kind for kind in TYPES.values() if kind.is_reminder)
ABOUT_BOOKING: tuple[str, ...] = tuple(name for name, kind in TYPES.items() if kind.about_booking)

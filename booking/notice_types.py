"""Every kind of notification, in one table: what it is about, when it goes, how it reads.

A new kind is one entry here, its templates (``templates/email/{name}.txt``
and ``.html``, ``templates/sms/{name}.txt``) and the schema's list of types.
Nothing else names a kind: code asks this table what a kind means.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass


def N_(message: str) -> str:
    """Marks a message for the catalogues (pybabel extracts it); it is translated where it is sent."""
    return message


@dataclass(frozen=True)
class NoticeType:
    name: str  # as stored in notification_jobs.type
    label: str  # how the front desk names it (marked: translated where it is shown, Job.label_in)
    subject: str  # the email's subject, in English (translated when sent); {salon} and {time} are filled in
    # It describes the appointment as booked: replaced when the appointment moves or is cancelled.
    about_booking: bool
    # Looked at again just before sending: not sent once the appointment is cancelled, moved or over (or, for a
    # notice sent while it is ``sent_while`` another status, once it is no longer in it).
    checked_at_send: bool
    # A reminder: sent some minutes before the start (the job's ``minutes_before``, by the salon's plan), never
    # inside the salon's quiet hours (booking.models). ``lead``: the released reminders' own moment, 24 h or 2 h,
    # whose type a plan's reminder at that moment keeps.
    reminder: bool = False
    lead: dt.timedelta | None = None
    ics_method: str | None = None  # the .ics invitation's METHOD, or None for no invitation
    # Gives the client their link to confirm, move or cancel (booking.links): a booked appointment's notices.
    manage_link: bool = False
    # The message carries what is kept only until the job ends (jobqueue.queue.ONE_TIME): such a job cannot be sent
    # again, and this says so, and how to get a new one, in the desk's words (one sentence a catalogue translates).
    one_time: str | None = None
    # Offers a freed time to a waiting client (booking.waitlist): its link claims it. Sent only while the time is
    # still free, outside the salon's minimum notice and its quiet hours, and the client still waiting.
    offer: bool = False

    # The salon may write its own words for it (booking.wording): a notice a client reads about their appointment.
    editable: bool = False
    sent_while: str = "booked"  # the appointment's status a notice checked at send time needs (booking.models)
    # Sent only to a client who wants reminders: turning them off (the unsubscribe link) cancels those planned.
    wanted: bool = False
    # Moves money instead of telling anyone (booking.payments): its one channel is "stripe" and its payload names
    # the payments row; it has no message and no templates.
    moves_money: bool = False
    # A notice whose payload says whom or what it is for (an invitation's role, what a code proves): the payload's
    # value under ``variant`` picks its subject among ``subjects``, the desk's name for it among ``labels`` and its
    # one_time sentence among ``one_times`` (each: value, words); any other value, or none (a job made before the
    # payload said), has ``subject``, ``label`` and ``one_time``. Its templates choose their sentences by the same
    # value.
    variant: str | None = None
    subjects: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    one_times: tuple[tuple[str, str], ...] = ()

    def _chosen(self, among: tuple[tuple[str, str], ...], payload: Mapping[str, object], otherwise: str) -> str:
        """The words among ``among`` that the payload's variant picks, else ``otherwise``."""
        if self.variant is None:
            return otherwise
        return dict(among).get(str(payload.get(self.variant)), otherwise)

    def subject_for(self, payload: Mapping[str, object]) -> str:
        """The subject (in English, marked) of this notice with ``payload``."""
        return self._chosen(self.subjects, payload, self.subject)

    def label_for(self, payload: Mapping[str, object]) -> str:
        """How the front desk names this notice with ``payload`` (in English, marked)."""
        return self._chosen(self.labels, payload, self.label)

    def one_time_for(self, payload: Mapping[str, object]) -> str | None:
        """Why this notice with ``payload`` cannot be sent again (in English, marked); None when it can be."""
        if self.one_time is None:
            return None
        return self._chosen(self.one_times, payload, self.one_time)

    @property
    def is_reminder(self) -> bool:
        return self.reminder

    @property
    def kept_from_quiet_hours(self) -> bool:
        """Held until the salon's quiet hours end (or not sent, when that is too near the time it is about)."""
        return self.is_reminder or self.offer


CONFIRMATION = NoticeType(
    "booking_confirmation",
    label=N_("Booking confirmation"),
    subject=N_("Your appointment at {salon} is confirmed"),
    about_booking=True,
    checked_at_send=True,
    ics_method="REQUEST",
    manage_link=True,
    editable=True,
)
# "24 h" is 24 real hours (an absolute instant), so across a DST change it lands
# at a different wall-clock hour than the appointment: 09:00 or 11:00 the day before.
REMINDER_24H = NoticeType(
    "reminder_24h",
    label=N_("Reminder, 24 h before"),
    subject=N_("Reminder: your appointment at {salon} is tomorrow"),
    about_booking=True,
    checked_at_send=True,
    reminder=True,
    wanted=True,
    lead=dt.timedelta(hours=24),
    manage_link=True,
    editable=True,
)
REMINDER_2H = NoticeType(
    "reminder_2h",
    label=N_("Reminder, 2 h before"),
    subject=N_("Reminder: your appointment at {salon} is today at {time}"),
    about_booking=True,
    checked_at_send=True,
    reminder=True,
    wanted=True,
    lead=dt.timedelta(hours=2),
    manage_link=True,
    editable=True,
)
# A reminder at the moment the salon's plan chose (issue 24), other than the released 24 h and 2 h.
REMINDER = NoticeType(
    "reminder",
    label=N_("Reminder"),
    subject=N_("Reminder: your appointment at {salon} on {when}"),
    about_booking=True,
    checked_at_send=True,
    reminder=True,
    wanted=True,
    manage_link=True,
    editable=True,
)
CANCELLATION = NoticeType(
    "cancellation",
    label=N_("Cancellation notice"),
    subject=N_("Your appointment at {salon} is cancelled"),
    about_booking=False,
    checked_at_send=False,
    ics_method="CANCEL",
    editable=True,
)
RESCHEDULED = NoticeType(
    "rescheduled",
    label=N_("New time notice"),
    subject=N_("Your appointment at {salon} has moved"),
    about_booking=True,
    checked_at_send=True,
    ics_method="REQUEST",
    manage_link=True,
    editable=True,
)
# Thanks after an attended appointment, some hours after it was marked completed, with the salon's review link.
# Not about the booking as booked (a move or cancel does not replace it); the worker checks the appointment is
# still completed.
THANK_YOU = NoticeType(
    "thank_you",
    label=N_("Thank-you after the visit"),
    subject=N_("Thank you for your visit to {salon}"),
    about_booking=False,
    checked_at_send=True,
    editable=True,
    sent_while="completed",
    wanted=True,
)

# To a future colleague, not a client: the payload says to whom ("email"), as what ("role": a receptionist works the
# front desk, a stylist their own day; the owner is never invited) and where to accept (its secret "link").
TEAM_INVITE = NoticeType(
    "team_invite",
    label=N_("Team invitation"),
    subject=N_("{salon} invites you to its front desk on Salonbook"),
    about_booking=False,
    checked_at_send=False,
    variant="role",
    subjects=(("stylist", N_("{salon} invites you to Salonbook: your day and your appointments")),),
    one_time=N_(
        "this notification cannot be sent again: its invitation link was forgotten when it ended: "
        "withdraw the invitation and invite them again"
    ),
)

# To the salon's own email when a client cancels, moves or confirms: the payload says what and who.
SALON_NOTICE = NoticeType(
    "salon_notice",
    label=N_("Notice to the salon"),
    subject=N_("{salon}: a client changed an appointment"),
    about_booking=False,
    checked_at_send=False,
)
# The code that proves an online booking's email or phone is the client's, or a waitlist join's ("proves":
# "booking" or "waitlist" in its payload, booking.notifications.for_code): sent ahead of other notices.
BOOKING_CODE = NoticeType(
    "booking_code",
    label=N_("Online booking code"),
    subject=N_("Your booking code for {salon}"),
    about_booking=False,
    checked_at_send=False,
    variant="proves",
    subjects=(("waitlist", N_("Your code to join the waiting list at {salon}")),),
    labels=(("waitlist", N_("Waitlist code")),),
    one_time=N_(
        "this notification cannot be sent again: its code was forgotten when it ended: "
        "the client asks for a new one by booking again"
    ),
    one_times=(
        (
            "waitlist",
            N_(
                "this notification cannot be sent again: its code was forgotten when it ended: "
                "the client asks for a new one by joining the waiting list again"
            ),
        ),
    ),
)

# The front desk's answer to a client's text, by text to the number that wrote: the payload says to whom
# ("phone") and what ("text"). It goes at once, like every notice of something that just happened.
TEXT_REPLY = NoticeType(
    "text_reply",
    label=N_("Reply from the front desk"),
    subject=N_("A message from {salon}"),
    about_booking=False,
    checked_at_send=False,
)

# A time that freed, offered to a client on the waitlist: the first to claim it through the link books it.
WAITLIST_OFFER = NoticeType(
    "waitlist_offer",
    label=N_("Waitlist offer"),
    subject=N_("A time at {salon} is free: {time}"),
    about_booking=False,
    checked_at_send=True,
    offer=True,
)

# A fee charged on the card saved at booking, or a deposit refunded, by the worker through the salon's Stripe
# account (booking.payments): the queue's retries and rescue, and the key its row keeps, make it happen once.
PAYMENT = NoticeType(
    "payment",
    label=N_("Payment through Stripe"),
    subject="",
    about_booking=False,
    checked_at_send=False,
    moves_money=True,
)

TYPES: dict[str, NoticeType] = {
    kind.name: kind
    for kind in (
        CONFIRMATION, REMINDER_24H, REMINDER_2H, CANCELLATION, RESCHEDULED, TEAM_INVITE, SALON_NOTICE, BOOKING_CODE,
        TEXT_REPLY, WAITLIST_OFFER, REMINDER, THANK_YOU, PAYMENT,
    )
}  # fmt: skip
MESSAGES: tuple[str, ...] = tuple(name for name, kind in TYPES.items() if not kind.moves_money)  # with templates
MOVES_MONEY: tuple[str, ...] = tuple(name for name, kind in TYPES.items() if kind.moves_money)
REMINDERS: tuple[NoticeType, ...] = tuple(kind for kind in TYPES.values() if kind.is_reminder)
WANTED: tuple[str, ...] = tuple(name for name, kind in TYPES.items() if kind.wanted)
EDITABLE: tuple[str, ...] = tuple(name for name, kind in TYPES.items() if kind.editable)
_BY_LEAD = {int(kind.lead.total_seconds()) // 60: kind for kind in REMINDERS if kind.lead is not None}


def reminder_kind(minutes_before: int) -> NoticeType:
    """The type of a reminder this many minutes before: 1,440 and 120 keep their released types (API clients
    written for them keep working), any other is a ``reminder``."""
    return _BY_LEAD.get(minutes_before, REMINDER)


ABOUT_BOOKING: tuple[str, ...] = tuple(name for name, kind in TYPES.items() if kind.about_booking)

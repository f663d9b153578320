"""A claimed job with what it is about, and the check made just before sending."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from zoneinfo import ZoneInfo

from booking import reasons
from booking.links import Links
from booking.locales import language, phone_number, territory, wall_clock
from booking.models import QUIET_MARGIN, QuietHours, display_name
from booking.notice_types import N_, TYPES, NoticeType
from booking.own_words import OwnWords
from jobqueue.claims import ClaimedJob


@dataclass(frozen=True)
class Delivery:
    """Everything one job's messages say; appointment fields are None for a job without one."""

    job: ClaimedJob
    salon_name: str
    salon_address: str
    salon_timezone: str
    salon_email: str
    salon_phone: str
    salon_locale: str
    salon_sms_countries: Sequence[str]  # texts go to these countries' mobiles only (booking.texting)
    client_first_name: str
    client_last_name: str
    client_email: str | None
    client_phone: str | None
    appointment_status: str | None
    start_time: dt.datetime | None
    end_time: dt.datetime | None
    appointment_created_at: dt.datetime | None
    staff_first_name: str | None
    staff_last_name: str | None
    service_name: str | None
    links: Links | None = None  # None: the messages carry no links (a benchmark, a test of the words alone)
    quiet_start: dt.time | None = None  # the salon's quiet hours, as they are now (both or neither)
    quiet_end: dt.time | None = None
    # A waitlist offer's (booking.waitlist), as they are now: its entry's status, whether its time is still free,
    # and the salon's minimum notice for online bookings. None for every other job.
    waitlist_status: str | None = None
    offer_still_free: bool | None = None
    online_min_notice_minutes: int | None = None
    review_url: str = ""  # the salon's review link, which a thank-you gives
    own_subject: str | None = None  # the salon's own words for this notice in its language (booking.wording)
    own_text: str | None = None
    own_sms: str | None = None

    @classmethod
    def from_job(cls, job: ClaimedJob, links: Links | None = None) -> Delivery:
        """The delivery of a job from the facts its claim read."""
        return cls(job=job, links=links, **{name: job.facts[name] for name in _FACTS})

    @property
    def own_words(self) -> OwnWords:
        """The salon's own words for this notice in its language, as the claim read them (None: the product's)."""
        return OwnWords(self.own_subject, self.own_text, self.own_sms)

    @property
    def quiet_hours(self) -> QuietHours | None:
        if self.quiet_start is None or self.quiet_end is None:
            return None
        return QuietHours(self.quiet_start, self.quiet_end)

    @property
    def manage_link(self) -> str | None:
        """Where the client confirms, moves or cancels the appointment, if this notice gives it."""
        if self.links is None or self.job.appointment_id is None or not self.kind.manage_link:
            return None
        return self.links.manage(self.job.appointment_id)

    @property
    def offer_link(self) -> str | None:
        """Where a waiting client claims the time offered, or leaves the list: a waitlist offer's link."""
        offer_id = self.job.payload.get("offerId")
        if self.links is None or offer_id is None or not self.kind.offer:
            return None
        return self.links.offer(uuid.UUID(offer_id))

    @property
    def unsubscribe_link(self) -> str | None:
        """Where a client turns their reminders off with one click (RFC 8058): on every email to a client."""
        if self.links is None or self.job.client_id is None:
            return None
        return self.links.unsubscribe(self.job.client_id)

    @property
    def appointment_page(self) -> str | None:
        """The front desk's page of the appointment a notice to the salon names in its payload."""
        named = self.job.payload.get("appointmentId")
        return self.links.appointment_page(named) if self.links and named else None

    @property
    def language(self) -> str:
        """The language the client reads: the salon's."""
        return language(self.salon_locale)

    @property
    def salon_phone_written(self) -> str:
        """The salon's phone (stored in E.164) as its clients write it: national at home, international abroad;
        home is the country of the salon's locale (de-DE), as the facts a claim reads name no country."""
        return phone_number(self.salon_phone, territory(self.salon_locale)) if self.salon_phone else ""

    @property
    def kind(self) -> NoticeType:
        return TYPES[self.job.type]

    @property
    def staff_name(self) -> str | None:
        if self.staff_first_name is None:
            return None
        return display_name(self.staff_first_name, self.staff_last_name or "")

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.salon_timezone)

    @cached_property
    def starts(self) -> dt.datetime | None:
        """The time the message is about: as the job was made, else the appointment's."""
        planned = self.job.payload.get("startTime")
        return dt.datetime.fromisoformat(planned) if planned else self.start_time

    @cached_property
    def ends(self) -> dt.datetime | None:
        planned = self.job.payload.get("endTime")
        return dt.datetime.fromisoformat(planned) if planned else self.end_time

    @property
    def revision(self) -> int:
        """The appointment's revision when this notice was made: the .ics SEQUENCE.

        Jobs queued by the first release carry none; it counted the seconds from the booking to the
        notice, and the upgrade started every appointment's revision at that count, so old and new agree.
        """
        revision = self.job.payload.get("revision")
        if revision is not None:
            return int(revision)
        born = self.appointment_created_at or self.job.created_at
        return max(0, int((self.job.created_at - born).total_seconds()))

    @property
    def revised_at(self) -> dt.datetime:
        """When that revision was made, in whole seconds: the .ics DTSTAMP, the same on every retry."""
        stamp = self.job.payload.get("revisedAt")
        return dt.datetime.fromisoformat(stamp) if stamp else self.job.created_at.replace(microsecond=0)

    @cached_property
    def previous_start(self) -> dt.datetime | None:
        previous = self.job.payload.get("previousStartTime")
        return dt.datetime.fromisoformat(previous) if previous else None

    def local(self, when: dt.datetime | None, *, long: bool = True) -> str:
        """A moment on the salon's clock, its way: spelt out for emails, short for texts."""
        return wall_clock(when, self.zone, self.salon_locale, long=long) if when else ""


_FACTS = tuple(f.name for f in fields(Delivery) if f.name not in ("job", "links"))


def stale_reason(delivery: Delivery, now: dt.datetime) -> str | None:
    """Why this job must not be sent any more, in words for the salon (stored: those marked are translated where
    shown); None to send it."""
    job = delivery.job
    if delivery.kind.offer:
        return _offer_gone(delivery, now) or _quiet_reason(delivery, now)
    if not delivery.kind.checked_at_send or job.appointment_id is None:
        return None
    status = delivery.appointment_status
    if status is None:
        return N_("appointment no longer exists")
    if status == "cancelled":
        return N_("appointment was cancelled")
    if status != delivery.kind.sent_while:
        return reasons.APPOINTMENT_IS[status]
    if delivery.start_time and delivery.starts and delivery.start_time != delivery.starts:
        return reasons.said(reasons.MOVED, when=delivery.local(delivery.start_time))
    if delivery.kind.is_reminder and delivery.start_time and delivery.start_time <= now:
        return N_("appointment already started; reminder not sent")
    return _quiet_reason(delivery, now)


def _offer_gone(delivery: Delivery, now: dt.datetime) -> str | None:
    """Why a waitlist offer must not go: the client is no longer waiting, the time was taken again, or it is
    inside the salon's minimum notice now."""
    if delivery.waitlist_status != "waiting":
        return reasons.NO_LONGER_WAITING[delivery.waitlist_status]
    if not delivery.offer_still_free:
        return N_("the time was taken again")
    notice = dt.timedelta(minutes=delivery.online_min_notice_minutes or 0)
    if delivery.start_time is None or delivery.start_time < now + notice:
        return N_("the time is inside the salon's minimum notice now")
    return None


def _quiet_reason(delivery: Delivery, now: dt.datetime) -> str | None:
    """Why a job kept from quiet hours cannot go at all: they end too near the time it is about."""
    if _quiet_place(delivery, now) is None:
        quiet = delivery.quiet_hours
        assert quiet is not None, "only quiet hours keep a reminder from going at all"
        ends = quiet.end_after(now, delivery.zone)
        minutes = int(QUIET_MARGIN.total_seconds() // 60)
        return reasons.said(reasons.QUIET_TOO_LATE, when=delivery.local(ends), minutes=str(minutes))
    return None


def held_until(delivery: Delivery, now: dt.datetime) -> dt.datetime | None:
    """When a reminder or an offer that fell due inside the salon's quiet hours goes instead; None to send it now."""
    when = _quiet_place(delivery, now)
    return when if when is not None and when > now else None


def _quiet_place(delivery: Delivery, now: dt.datetime) -> dt.datetime | None:
    """When a reminder due ``now`` may go, by the salon's quiet hours as they are now (booking.models)."""
    quiet = delivery.quiet_hours
    if quiet is None or not delivery.kind.kept_from_quiet_hours or delivery.start_time is None:
        return now
    return quiet.place(now, delivery.start_time, delivery.zone)

"""The salon itself through the API: its details, country, language and policies, and all of its data."""

from __future__ import annotations

import dataclasses
from typing import Any

from booking import access, own_words, payments, salon_export, salons, wording
from booking.models import OnlineBooking, QuietHours, Reminder, Salon, ThankYou
from booking.notice_types import TYPES
from booking.own_words import OwnWords
from handlers import downloads
from handlers.api import ApiHandler, Body


def _patched(salon: Salon, body: Body) -> Salon:
    """The salon with the fields the body gives changed; a field left out stays as it is."""
    changes: dict[str, Any] = {
        name: value
        for name in ("name", "address", "timezone", "country", "locale", "currency", "email", "phone")
        if (value := body.text(name)) is not None
    }
    for name in ("cancel_cutoff_minutes", "reschedule_cutoff_minutes", "no_show_fee_percent",
                 "late_cancellation_fee_percent"):  # fmt: skip
        if (minutes := body.integer(name)) is not None:
            changes[name] = minutes
    if body.given("quiet_hours"):
        quiet = body.object("quiet_hours")
        changes["quiet_hours"] = QuietHours(quiet.clock("start"), quiet.clock("end")) if quiet else None
    if (countries := body.texts("sms_countries")) is not None:
        changes["sms_countries"] = tuple(countries)
    if online := body.object("online_booking"):
        now = salon.online_booking
        enabled = online.boolean("enabled")
        notice, ahead = online.integer("min_notice_minutes"), online.integer("max_days_ahead")
        changes["online_booking"] = OnlineBooking(
            now.enabled if enabled is None else enabled,
            now.min_notice_minutes if notice is None else notice,
            now.max_days_ahead if ahead is None else ahead,
        )
    if body.given("reminders"):
        changes["reminders"] = tuple(
            Reminder(each.integer("minutes_before", required=True)) for each in body.objects("reminders")
        )
    if body.given("thankYou"):
        changes.update(thank_you=_thanks(salon.thank_you, body.object("thankYou")))
    return dataclasses.replace(salon, **changes)


def _thanks(now: ThankYou, given: Body | None) -> ThankYou:
    """The thank-you with the fields given changed; null turns it off (keeping its hours and link)."""
    if given is None:
        return dataclasses.replace(now, enabled=False)
    enabled, hours, url = given.boolean("enabled"), given.integer("hours_after"), given.text("review_url")
    return ThankYou(
        now.enabled if enabled is None else enabled,
        now.hours_after if hours is None else hours,
        now.review_url if url is None else url,
    )


class SalonApi(ApiHandler):
    roles = access.OWNER

    async def get(self) -> None:
        self.write_json(self.salon)

    async def patch(self) -> None:
        salon = await salons.update_salon(self.db, _patched(self.salon, self.body()))
        self.application.tokens.forget()  # here at once; other processes on the NOTIFY
        self.write_json(salon)


class SalonExportApi(ApiHandler):
    """The salon's own data, a zip of JSON files written a page at a time, for its owner."""

    roles = access.OWNER

    async def get(self) -> None:
        await downloads.send_zip(self, salon_export.export(self.db, self.salon))


def _notice(type_: str, locale: str) -> tuple[str, str]:
    """The notice and language a path names ("de" or a locale such as "de-AT"); 404 naming what is unknown."""
    return own_words.check_notice(type_, locale.partition("-")[0].lower())


def _words(body: Body, saved: OwnWords | None = None) -> OwnWords:
    """The words a body gives: each part a string, or null for the product's; a part left out stays as ``saved``
    has it (a PUT: null)."""
    saved = saved or OwnWords()
    parts = {name: body.text(name) if body.given(name) else getattr(saved, name) for name in ("subject", "text", "sms")}
    return OwnWords(**parts)


class SalonMessageApi(ApiHandler):
    """The salon's own words for one notice in one language: read, replaced, or reset to the product's."""

    roles = access.OWNER

    async def get(self, type_: str, locale: str) -> None:
        self.write_json(await own_words.get(self.db, self.salon.id, *_notice(type_, locale)))

    async def put(self, type_: str, locale: str) -> None:
        notice, language = _notice(type_, locale)
        self.write_json(await own_words.save(self.db, self.salon.id, notice, language, _words(self.body())))

    async def delete(self, type_: str, locale: str) -> None:
        await own_words.reset(self.db, self.salon.id, *_notice(type_, locale))
        self.set_status(204)
        self.finish()


class SalonMessagePreviewApi(ApiHandler):
    """A sample appointment's notice as a client would receive it: with the words the body gives (a draft),
    the salon's saved ones for the parts it leaves out."""

    roles = access.OWNER

    async def post(self, type_: str, locale: str) -> None:
        notice, language = _notice(type_, locale)
        saved = await own_words.get(self.db, self.salon.id, notice, language)
        words = own_words.checked(_words(self.body(), saved))
        details = wording.sample(self.salon, TYPES[notice], language, await self.application.links(), self.now())
        self.write_json(wording.preview(TYPES[notice], details, words))


class StripeAccountApi(ApiHandler):
    """The salon's own Stripe account: keys in, never out (the answer says only whether each is set)."""

    roles = access.OWNER

    async def get(self) -> None:
        self.write_json(await payments.account_status(self.db, self.salon.id))

    async def put(self) -> None:
        body = self.body()
        change = payments.AccountChange(
            body.text("secret_key"), body.text("publishable_key"), body.text("webhook_secret")
        )
        self.write_json(await payments.save_account(self.db, self.salon.id, change))

    async def delete(self) -> None:
        await payments.remove_account(self.db, self.salon.id)
        self.set_status(204)

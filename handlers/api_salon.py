"""The salon itself through the API: its details, country, language and policies, and all of its data."""

from __future__ import annotations

import dataclasses
from typing import Any

from booking import access, payments, salon_export, salons
from booking.models import OnlineBooking, QuietHours, Salon
from handlers import downloads
from handlers.api import ApiHandler, Body


def _patched(salon: Salon, body: Body) -> Salon:
    """The salon with the fields the body gives changed; a field left out stays as it is."""
    changes: dict[str, Any] = {
        name: value
        for name in ("name", "address", "timezone", "country", "locale", "currency", "email", "phone")
        if (value := body.text(name)) is not None
    }
    for name in ("cancel_cutoff_minutes", "reschedule_cutoff_minutes"):
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
    return dataclasses.replace(salon, **changes)


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

"""The owner's settings page: one section per concern (the salon, its data, the backups, the sessions), and
their forms and downloads."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import re
from typing import Any

import segno
import tornado.web

from booking import fields, links, locales, own_words, paths, payments, salon_export, salons, sessions, users, wording
from booking.errors import Invalid, NotFound
from booking.models import OnlineBooking, QuietHours, Reminder, Salon, ThankYou
from booking.notice_types import EDITABLE, N_, TYPES
from booking.own_words import OwnWords
from db import backups
from handlers import downloads
from handlers.html import Errors, Form, form_errors
from handlers.pages.base import OwnerPage

CHUNK = 256 * 1024


SALON_FIELDS = (
    "name", "address", "timezone", "country", "locale", "currency", "email", "phone", "quietHours.start",
    "quietHours.end", "cancelCutoffMinutes", "rescheduleCutoffMinutes", "onlineBooking.enabled",
    "onlineBooking.minNoticeMinutes", "onlineBooking.maxDaysAhead", "smsCountries",
)  # fmt: skip


def salon_form(salon: Salon) -> Form:
    quiet = salon.quiet_hours
    return {
        "name": salon.name,
        "address": salon.address,
        "timezone": salon.timezone,
        "country": salon.country,
        "locale": salon.locale,
        "currency": salon.currency,
        "email": salon.email,
        "phone": salon.phone,
        "quietHours.start": quiet.start.strftime("%H:%M") if quiet else "",
        "quietHours.end": quiet.end.strftime("%H:%M") if quiet else "",
        "cancelCutoffMinutes": str(salon.cancel_cutoff_minutes),
        "rescheduleCutoffMinutes": str(salon.reschedule_cutoff_minutes),
        "onlineBooking.enabled": "on" if salon.online_booking.enabled else "",
        "onlineBooking.minNoticeMinutes": str(salon.online_booking.min_notice_minutes),
        "onlineBooking.maxDaysAhead": str(salon.online_booking.max_days_ahead),
        "smsCountries": ", ".join(salon.sms_countries),
    }


def salon_from_form(salon: Salon, form: Form) -> Salon:
    """The salon as the settings form says it should be; the fields that are not a number or a time are Invalid,
    all at once."""
    checks = fields.Checks()
    start, end = form["quietHours.start"].strip(), form["quietHours.end"].strip()
    if bool(start) != bool(end):
        checks.errors.append(
            Invalid("give both times, or neither for no quiet hours", ("quiet_hours", "end" if start else "start"))
        )
    quiet = None
    if start and end:
        quiet = QuietHours(
            checks(fields.clock, start, ("quiet_hours", "start")), checks(fields.clock, end, ("quiet_hours", "end"))
        )
    minutes = {
        name: checks(fields.whole_number, form[key], field)
        for name, key, field in (
            ("cancel", "cancelCutoffMinutes", "cancel_cutoff_minutes"),
            ("move", "rescheduleCutoffMinutes", "reschedule_cutoff_minutes"),
            ("notice", "onlineBooking.minNoticeMinutes", ("online_booking", "min_notice_minutes")),
            ("ahead", "onlineBooking.maxDaysAhead", ("online_booking", "max_days_ahead")),
        )
    }
    checks.done()
    return dataclasses.replace(
        salon,
        name=form["name"],
        address=form["address"],
        timezone=form["timezone"],
        country=form["country"],
        locale=form["locale"],
        currency=form["currency"],
        email=form["email"],
        phone=form["phone"],
        quiet_hours=quiet,
        cancel_cutoff_minutes=minutes["cancel"],
        reschedule_cutoff_minutes=minutes["move"],
        online_booking=OnlineBooking(bool(form["onlineBooking.enabled"]), minutes["notice"], minutes["ahead"]),
        sms_countries=tuple(re.findall(r"[^\s,;]+", form["smsCountries"])),  # "GB, IE" or "GB IE"
    )


@functools.lru_cache(maxsize=64)
def qr_code(address: str) -> str:
    """A QR code of ``address`` as an SVG data URI, for the shop window (a few ms of CPU: run in an executor)."""
    return str(segno.make(address, error="m").svg_data_uri(scale=6, border=2))


class SettingsPage(OwnerPage):
    async def get(self) -> None:
        await self.show(salon_form(self.salon), {}, saved=bool(self.get_query_argument("saved", "")))

    async def post(self) -> None:
        """Saves the salon's details and policies; the form again with the error beside its field."""
        form = self.read_form(SALON_FIELDS)
        try:
            await salons.update_salon(self.db, salon_from_form(self.salon, form))
        except Invalid as error:
            await self.show(form, form_errors(error, form, self.gettext), status=400)
            return
        self.application.tokens.forget()
        self.redirect(f"{paths.SETTINGS()}?saved=1", status=303)

    async def show(
        self,
        form: Form,
        errors: Errors,
        *,
        status: int = 200,
        saved: bool = False,
        stripe_form: Form | None = None,
        stripe_errors: Errors | None = None,
        fee_form: Form | None = None,
        fee_errors: Errors | None = None,
    ) -> None:
        page = links.absolute(self.application.web_settings.public_url, paths.BOOK(slug=self.salon.slug))
        account = await payments.account_status(self.db, self.salon.id)
        self.render_page(
            "settings.html",
            status,
            form=form,
            errors=errors,
            saved=saved,
            stripe=account,
            stripe_form=stripe_form or {"publishableKey": account.publishable_key or ""},
            stripe_errors=stripe_errors or {},
            fee_form=fee_form or fees_form(self.salon),
            fee_errors=fee_errors or {},
            stripe_webhook=links.absolute(
                self.application.web_settings.public_url, paths.STRIPE_WEBHOOK(slug=self.salon.slug)
            ),
            countries=locales.country_choices(self.page_locale),
            timezones=locales.timezone_choices(self.page_locale),
            locales=locales.locale_choices(form["locale"]),
            backups=await self.backups_section(),
            file_size=lambda size: locales.file_size(size, self.page_locale),
            sessions=await sessions.of_salon(self.db, self.salon.id),
            this_session=self.session_id,
            booking_page=page,
            booking_page_qr=await asyncio.get_running_loop().run_in_executor(None, qr_code, page),
        )

    async def backups_section(self) -> dict[str, Any]:
        """Whose the backups are: the installation's operator's where it holds other salons too (nothing of
        the files shows), the external database's administrator's, or this owner's, with the files newest first."""
        nightly = self.application.backups
        if not await salons.owns_installation(self.db, self.salon.id):
            return {"whose": "operator"}
        if nightly is None:
            return {"whose": "database"}
        files = await backups.in_executor(backups.list_backups, nightly.folder)
        return {"whose": "owner", "files": files, "status": nightly.status(), "hour": nightly.hour}


STRIPE_FIELDS = ("secretKey", "publishableKey", "webhookSecret")


class StripeSettings(SettingsPage):
    """Connects the salon's own Stripe account: the secret key and the webhook's signing secret are write-only
    (an empty field keeps what is saved; nothing secret is ever shown back, not even on an error)."""

    async def get(self) -> None:
        self.redirect(f"{paths.SETTINGS()}#payments")

    async def post(self) -> None:
        typed = self.read_form(STRIPE_FIELDS)
        change = payments.AccountChange(
            typed["secretKey"].strip() or None,
            typed["publishableKey"].strip() or None,
            typed["webhookSecret"].strip() or None,
        )
        try:
            await payments.save_account(self.db, self.salon.id, change)
        except Invalid as error:
            shown = {"secretKey": "", "publishableKey": typed["publishableKey"], "webhookSecret": ""}
            await self.show(salon_form(self.salon), {}, status=400, stripe_form=shown,
                            stripe_errors=form_errors(error, shown, self.gettext))  # fmt: skip
            return
        self.redirect(f"{paths.SETTINGS()}?saved=1#payments", status=303)


FEE_FIELDS = ("noShowFeePercent", "lateCancellationFeePercent")


def fees_form(salon: Salon) -> Form:
    return {"noShowFeePercent": str(salon.no_show_fee_percent),
            "lateCancellationFeePercent": str(salon.late_cancellation_fee_percent)}  # fmt: skip


class FeeSettings(SettingsPage):
    """The salon's fees for a no-show and a late cancellation (a percent of the price), charged on the card saved
    at online booking: set in the payments section, which shows them once Stripe is connected."""

    async def get(self) -> None:
        self.redirect(f"{paths.SETTINGS()}#payments")

    async def post(self) -> None:
        typed = self.read_form(FEE_FIELDS)
        try:
            checks = fields.Checks()
            no_show, late = (checks(fields.whole_number, typed[key], field, 0, 100) for key, field in (
                ("noShowFeePercent", "no_show_fee_percent"),
                ("lateCancellationFeePercent", "late_cancellation_fee_percent")))  # fmt: skip
            checks.done()
            changed = dataclasses.replace(self.salon, no_show_fee_percent=no_show, late_cancellation_fee_percent=late)
            await salons.update_salon(self.db, changed)
        except Invalid as error:
            await self.show(salon_form(self.salon), {}, status=400, fee_form=typed,
                            fee_errors=form_errors(error, typed, self.gettext))  # fmt: skip
            return
        self.application.tokens.forget()
        self.redirect(f"{paths.SETTINGS()}?saved=1#payments", status=303)


class RemoveStripe(OwnerPage):
    """Disconnects the Stripe account: no deposit is asked any more; payments made stay on their appointments."""

    async def post(self) -> None:
        await payments.remove_account(self.db, self.salon.id)
        self.redirect(f"{paths.SETTINGS()}?saved=1#payments", status=303)


class NewestBackup(OwnerPage):
    """Streams the newest backup file as a download, a chunk at a time. A backup holds every salon of the
    installation: only the owner of its only salon, who runs it, gets one (else a 404, as for no backup)."""

    async def get(self) -> None:
        nightly = self.application.backups
        if nightly is None or not await salons.owns_installation(self.db, self.salon.id):
            raise tornado.web.HTTPError(404, N_("there is no backup here"))
        newest = await backups.in_executor(backups.newest, nightly.folder)
        if newest is None:
            raise tornado.web.HTTPError(404, N_("there is no backup yet"))
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("Content-Disposition", f'attachment; filename="{newest.path.name}"')
        self.set_header("Content-Length", newest.bytes)
        file = await backups.in_executor(newest.path.open, "rb")
        try:
            while chunk := await backups.in_executor(file.read, CHUNK):
                self.write(chunk)
                await self.flush()
        finally:
            file.close()
        self.finish()


class SalonExportPage(OwnerPage):
    """The salon's own data as the API gives it: a zip of JSON files, written a page at a time."""

    async def get(self) -> None:
        await downloads.send_zip(self, salon_export.export(self.db, self.salon))


class EndAllSessions(OwnerPage):
    """ "Log out everywhere": every session of every user of the salon ends, the owner's own too, and every
    API token is revoked."""

    async def post(self) -> None:
        await users.log_out_everywhere(self.db, self.salon.id)
        self.application.tokens.forget()  # here at once; other processes on the NOTIFY
        self.forget_session()
        self.redirect(paths.LOGIN(), status=303)


# --- the salon's messages: its reminder plan, its thank-you, its own words ------------------------------------

PLAN_FIELDS = ("reminders.0", "reminders.1", "reminders.2", "thankYou.enabled", "thankYou.hoursAfter",
               "thankYou.reviewUrl")  # fmt: skip


def plan_form(salon: Salon) -> Form:
    minutes = [str(reminder.minutes_before) for reminder in salon.reminders]
    thanks = salon.thank_you
    planned = {f"reminders.{n}": (minutes[n] if n < len(minutes) else "") for n in range(salons.MAX_REMINDERS)}
    return planned | {
        "reminders": "",  # where an error of the whole plan shows
        "thankYou.enabled": "on" if thanks.enabled else "",
        "thankYou.hoursAfter": str(thanks.hours_after),
        "thankYou.reviewUrl": thanks.review_url,
    }


def plan_from_form(salon: Salon, form: Form) -> Salon:
    """The salon with the plan and the thank-you the form gives (a reminder left blank: none); each field that is
    not a whole number is Invalid, all at once."""
    checks = fields.Checks()
    typed = [form[f"reminders.{n}"].strip() for n in range(salons.MAX_REMINDERS)]
    minutes = [checks(fields.whole_number, value, "reminders") for value in typed if value]
    hours = checks(fields.whole_number, form["thankYou.hoursAfter"], ("thankYou", "hoursAfter"))
    checks.done()
    thanks = ThankYou(bool(form["thankYou.enabled"]), hours, form["thankYou.reviewUrl"])
    return dataclasses.replace(salon, reminders=tuple(map(Reminder, minutes)), thank_you=thanks)


class MessagesPage(OwnerPage):
    """The salon's reminder plan and thank-you, and which notices it words its own way."""

    async def get(self) -> None:
        await self.show(plan_form(self.salon), {}, saved=bool(self.get_query_argument("saved", "")))

    async def post(self) -> None:
        form = self.read_form(PLAN_FIELDS) | {"reminders": ""}
        try:
            await salons.update_salon(self.db, plan_from_form(self.salon, form))
        except Invalid as error:
            await self.show(form, form_errors(error, form, self.gettext), status=400)
            return
        self.application.tokens.forget()
        self.redirect(f"{paths.SETTINGS_MESSAGES()}?saved=1", status=303)

    async def show(self, form: Form, errors: Errors, *, status: int = 200, saved: bool = False) -> None:
        self.render_page(
            "settings_messages.html",
            status,
            form=form,
            errors=errors,
            saved=saved,
            notices=[TYPES[name] for name in EDITABLE],
            languages=locales.SPOKEN,
            worded=await own_words.worded(self.db, self.salon.id),
            salon_language=locales.language(self.salon.locale),
        )


MESSAGE_FIELDS = ("subject", "text", "sms")


class MessagePage(OwnerPage):
    """One notice in one language: the salon's words (blank: the product's), a preview, saving, resetting."""

    parts = ("message_preview",)  # the preview alone, as static/message_preview.js asks for it while typing

    async def get(self, type_: str, language: str) -> None:
        notice, language = self.notice(type_, language)
        words = await own_words.get(self.db, self.salon.id, notice, language)
        form = {name: getattr(words, name) or "" for name in MESSAGE_FIELDS}
        await self.show(notice, language, form, {}, saved=bool(self.get_query_argument("saved", "")))

    async def post(self, type_: str, language: str) -> None:
        """Saves the words, or (``action=preview``) shows them as a client would receive them, unsaved."""
        notice, language = self.notice(type_, language)
        form = self.read_form(MESSAGE_FIELDS)
        words = OwnWords(**{name: form[name] if form[name].strip() else None for name in MESSAGE_FIELDS})
        try:
            if self.get_body_argument("action", "") == "preview":
                await self.show(notice, language, form, {}, preview=own_words.checked(words))
                return
            await own_words.save(self.db, self.salon.id, notice, language, words)
        except Invalid as error:
            await self.show(notice, language, form, form_errors(error, form, self.gettext), status=400)
            return
        self.redirect(f"{paths.SETTINGS_MESSAGE(type=notice, language=language)}?saved=1", status=303)

    def notice(self, type_: str, language: str) -> tuple[str, str]:
        try:
            return own_words.check_notice(type_, language)
        except NotFound:
            raise tornado.web.HTTPError(404, N_("no such message")) from None

    async def show(
        self,
        notice: str,
        language: str,
        form: Form,
        errors: Errors,
        *,
        status: int = 200,
        saved: bool = False,
        preview: OwnWords | None = None,
    ) -> None:
        kind = TYPES[notice]
        sample = wording.sample(self.salon, kind, language, await self.application.links(), self.now())
        self.render_page(
            "settings_message.html",
            status,
            form=form,
            errors=errors,
            saved=saved,
            kind=kind,
            message_language=language,
            placeholders=own_words.PLACEHOLDERS,
            preview=wording.preview(kind, sample, preview) if preview is not None else None,
            product=wording.preview(kind, sample, OwnWords()),
        )


class ResetMessage(OwnerPage):
    """Back to the product's wording for one notice in one language."""

    async def post(self, type_: str, language: str) -> None:
        try:
            await own_words.reset(self.db, self.salon.id, type_, language)
        except NotFound:
            raise tornado.web.HTTPError(404, N_("no such message")) from None
        self.redirect(f"{paths.SETTINGS_MESSAGE(type=type_, language=language)}?saved=1", status=303)

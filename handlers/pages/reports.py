"""The owner's reports: a period's figures beside the period before, as charts with their tables, and each
section as a CSV file a spreadsheet opens."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import babel.dates
import babel.numbers

from booking import fields, reports
from booking.errors import Invalid
from booking.notice_types import N_, TYPES
from booking.reports import PaymentTotals, Period, Report, StaffLoad
from handlers.charts import Chart, compared
from handlers.html import Errors, form_errors
from handlers.pages.base import OwnerPage

KINDS = {"day": N_("Day"), "week": N_("Week"), "month": N_("Month"), "days": N_("Chosen days")}
SECTIONS = ("appointments", "revenue", "payments", "staff", "sources", "messages")
CHANNELS = {"email": N_("Email"), "sms": N_("Text")}
# The figures' names are marked for the catalogue (N_): the page shows them in its language, a CSV file in English.


def appointment_rows(report: Report) -> list[tuple[str, int]]:
    counts = report.appointments
    return [
        (N_("Booked"), counts.booked),
        (N_("Completed"), counts.completed),
        (N_("Cancelled by the salon"), counts.cancelled_by_salon),
        (N_("Cancelled by the client"), counts.cancelled_by_client),
        (N_("Cancelled late"), counts.late_cancellations),
        (N_("No-shows"), counts.no_shows),
    ]


def source_rows(report: Report) -> list[tuple[str, int]]:
    return [(N_("Online"), report.appointments.online), (N_("Front desk"), report.appointments.front_desk)]


def revenue_rows(report: Report) -> list[tuple[str, int]]:
    return [(N_("Completed appointments"), report.revenue_cents)]


NO_PAYMENTS = PaymentTotals(0, 0, 0, 0, 0)


def payment_rows(report: Report) -> list[tuple[str, int]]:
    """The money through the salon's Stripe account (nothing moved: zeros)."""
    money = report.payments or NO_PAYMENTS
    return [
        (N_("Deposits taken"), money.deposits_cents),
        (N_("No-show fees"), money.no_show_fees_cents),
        (N_("Late cancellation fees"), money.late_cancellation_fees_cents),
        (N_("Refunds"), money.refunds_cents),
        (N_("Net"), money.net_cents),
    ]


def shows_payments(current: Report, previous: Report) -> bool:
    """The money section shows when the salon takes payments, or money moved in either period."""
    return current.payments is not None or previous.payments is not None


def message_totals(report: Report) -> list[tuple[str, int]]:
    """The messages of every type added up, per channel and outcome."""

    def total(channel: str, outcome: str) -> int:
        return sum(getattr(m, outcome) or 0 for m in report.messages if m.channel == channel)

    return [
        (N_("Emails sent"), total("email", "sent")),
        (N_("Emails failed"), total("email", "failed")),
        (N_("Texts sent"), total("sms", "sent")),
        (N_("Texts delivered"), total("sms", "delivered")),
        (N_("Texts failed"), total("sms", "failed")),
    ]


def stylist_pairs(current: Report, previous: Report) -> list[tuple[StaffLoad, StaffLoad | None]]:
    """Each stylist of this period with their figures of the period before (None: they had none)."""
    before = {load.staff_id: load for load in previous.staff}
    return [(load, before.get(load.staff_id)) for load in current.staff]


def share(booked: int, working: int) -> float:
    """How full a stylist was: booked time over working time (0 without working time)."""
    return booked / working if working else 0.0


class ReportsPage(OwnerPage):
    """``/reports?period=week&date=…`` (or ``period=days&from=…&to=…``); ``&format=csv&section=…`` downloads."""

    async def get(self) -> None:
        errors: Errors = {}
        kind = self.get_query_argument("period", "week")
        kind = kind if kind in KINDS else "week"
        try:
            period = self._period(kind)
        except Invalid as invalid:
            period = self._default()
            errors = form_errors(invalid, self._form(kind, period), self.gettext)
        current, previous = await asyncio.gather(
            reports.report(self.db, self.salon, period), reports.report(self.db, self.salon, period.previous())
        )
        section = self.get_query_argument("section", "")
        if self.get_query_argument("format", "") == "csv" and section in SECTIONS and not errors:
            return self._send_csv(section, current, previous)
        self.render_page(
            "reports.html",
            400 if errors else 200,
            errors=errors,
            form=self._form(kind, period),
            kinds={kind: self.gettext(name) for kind, name in KINDS.items()},
            current=current,
            previous=previous,
            charts=self._charts(current, previous),
            labels=(self._label(period), self._label(period.previous())),
            navigation=self._navigation(kind, period),
            channels={channel: self.gettext(name) for channel, name in CHANNELS.items()},
            types=TYPES,
            stylists=stylist_pairs(current, previous),
            zip=zip,
            hours=self._hours,
            count=self._count,
            appointment_rows=appointment_rows,
            source_rows=source_rows,
            revenue_rows=revenue_rows,
            payment_rows=payment_rows,
            shows_payments=shows_payments(current, previous),
            message_totals=message_totals,
        )

    # --- the period asked for ------------------------------------------------------------------------------

    def _today(self) -> dt.date:
        return self.now().astimezone(self.salon.zone).date()

    def _default(self) -> Period:
        """Last week: what an owner looks at on a Monday morning."""
        return Period.week(self._today() - dt.timedelta(days=7), self.salon.locale)

    def _day(self, name: str, default: dt.date | None = None) -> dt.date:
        value = self.get_query_argument(name, "").strip()
        if not value:
            if default is None:
                raise Invalid("{field} is required", name)
            return default
        return fields.date(value, name)

    def _period(self, kind: str) -> Period:
        if kind == "days":
            return Period.checked(self._day("from"), self._day("to"))
        if "date" not in self.request.query_arguments and "period" not in self.request.query_arguments:
            return self._default()
        day = self._day("date", self._today())
        if kind == "day":
            return Period.day(day)
        if kind == "month":
            return Period.month(day)
        return Period.week(day, self.salon.locale)

    def _form(self, kind: str, period: Period) -> dict[str, str]:
        asked = {name: self.get_query_argument(name, "") for name in ("date", "from", "to")}
        return {
            "period": kind,
            "date": asked["date"] or str(period.first),
            "from": asked["from"] or str(period.first),
            "to": asked["to"] or str(period.last),
        }

    def _navigation(self, kind: str, period: Period) -> dict[str, str]:
        """The addresses of the period before and after this one, of the same kind."""

        def address(other: Period) -> str:
            if kind == "days":
                return f"/reports?period=days&from={other.first}&to={other.last}"
            return f"/reports?period={kind}&date={other.first}"

        return {"previous": address(period.previous()), "following": address(period.following())}

    # --- words and numbers in the page's locale ----------------------------------------------------------

    def _label(self, period: Period) -> str:
        locale = self.page_locale.replace("-", "_")
        if period.days == 1:
            return babel.dates.format_date(period.first, "medium", locale=locale)
        if period.whole_month:
            return babel.dates.format_skeleton("yMMMM", period.first, locale=locale)
        return babel.dates.format_interval(period.first, period.last, "yMMMd", locale=locale)

    def _count(self, value: float) -> str:
        return babel.numbers.format_decimal(value, locale=self.page_locale.replace("-", "_"))

    def _hours(self, minutes: int) -> str:
        shown = babel.numbers.format_decimal(minutes / 60, format="#,##0.#", locale=self.page_locale.replace("-", "_"))
        return f"{shown} h"

    def _percent(self, ratio: float) -> str:
        return babel.numbers.format_percent(ratio, locale=self.page_locale.replace("-", "_"))

    def _money(self, cents: float) -> str:
        return babel.numbers.format_currency(
            cents / 100, self.salon.currency, locale=self.page_locale.replace("-", "_")
        )

    # --- charts and files --------------------------------------------------------------------------------

    def _charts(self, current: Report, previous: Report) -> dict[str, Chart]:
        def paired(rows_of: Any) -> list[tuple[str, float, float]]:
            return [
                (self.gettext(label), now, before)
                for (label, now), (_, before) in zip(rows_of(current), rows_of(previous), strict=True)
            ]

        stylists = [
            (
                load.staff_name,
                share(load.booked_minutes, load.working_minutes),
                share(old.booked_minutes, old.working_minutes) if old else 0.0,
            )
            for load, old in stylist_pairs(current, previous)
        ]
        return {
            "appointments": compared(self.gettext("Appointments"), paired(appointment_rows), self._count),
            "revenue": compared(self.gettext("Revenue"), paired(revenue_rows), self._money),
            "payments": compared(self.gettext("Payments"), paired(payment_rows), self._money),
            "staff": compared(self.gettext("Booked share of each stylist's working hours"), stylists, self._percent),
            "sources": compared(self.gettext("Where bookings came from"), paired(source_rows), self._count),
            "messages": compared(self.gettext("Messages"), paired(message_totals), self._count),
        }

    def _send_csv(self, section: str, current: Report, previous: Report) -> None:
        out = io.StringIO()
        writer = csv.writer(out)
        for row in _csv_rows(section, current, previous, self.salon.currency):
            writer.writerow([_cell(value) for value in row])
        name = f"salonbook-{self.salon.slug}-{section}-{current.period.first}-{current.period.last}.csv"
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="{name}"')
        self.finish("\ufeff" + out.getvalue())  # the mark tells spreadsheets the file is UTF-8


def _cell(value: object) -> object:
    """A name that a spreadsheet would run as a formula (=, +, -, @ first) is written as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_rows(section: str, current: Report, previous: Report, currency: str) -> Iterator[list[object]]:
    """One section's rows: a header, then one row per figure with this period's value and the previous one's."""
    periods = [f"{r.period.first} to {r.period.last}" for r in (current, previous)]
    if section == "staff":
        yield ["stylist", *(f"{what} ({p})" for p in periods for what in ("booked minutes", "working minutes"))]
        for load, old in stylist_pairs(current, previous):
            yield [load.staff_name, load.booked_minutes, load.working_minutes,
                   old.booked_minutes if old else 0, old.working_minutes if old else 0]  # fmt: skip
    elif section == "messages":
        yield ["period", "channel", "type", "sent", "delivered", "failed"]
        for label, report in zip(periods, (current, previous), strict=True):
            for m in report.messages:
                yield [label, m.channel, m.type, m.sent, "" if m.delivered is None else m.delivered, m.failed]
    elif section == "payments":
        yield ["figure", *(f"{p} ({currency})" for p in periods)]
        for (label, now), (_, before) in zip(payment_rows(current), payment_rows(previous), strict=True):
            yield [label, f"{now / 100:.2f}", f"{before / 100:.2f}"]
    elif section == "revenue":
        yield ["figure", *periods]
        yield [f"revenue ({currency})", f"{current.revenue_cents / 100:.2f}", f"{previous.revenue_cents / 100:.2f}"]
    else:
        rows = appointment_rows if section == "appointments" else source_rows
        yield ["figure", *periods]
        for (label, now), (_, before) in zip(rows(current), rows(previous), strict=True):
            yield [label, now, before]

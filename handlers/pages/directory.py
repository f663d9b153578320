"""The salon's lists: clients, staff and services, each listed, added and edited the same way."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from booking import access, clients, fields, locales, paths, payments, services, staff
from booking.errors import Invalid
from booking.models import (
    Client,
    ClientDetails,
    Deposit,
    Role,
    Salon,
    Service,
    ServiceDetails,
    Staff,
    StaffDetails,
    StaffOverride,
    WorkingHours,
)
from handlers.base import camel, outside_name
from handlers.html import Form
from handlers.pages.base import SalonPage, page_id

MAX_HOUR_ROWS = 50
PER_PAGE = 200  # rows of a list page


class Directory:
    """One kind of thing a salon keeps a list of: how to list, read, show and save it."""

    path = ""
    noun = ""
    form_fields: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()  # of the list page, for static/live.js
    shown_to: frozenset[Role] = access.DESK  # who may open one item's page; only the desk lists, adds, saves

    async def check_own(self, page: SalonPage, item_id: uuid.UUID) -> None:
        """Refuses (404) an item a stylist may not see; the desk sees all."""

    async def list(self, page: SalonPage, after: uuid.UUID | None, limit: int) -> list[Any]:
        """Up to ``limit`` items in the list's order, after the item ``after``."""
        raise NotImplementedError

    async def get(self, page: SalonPage, item_id: uuid.UUID) -> Any:
        raise NotImplementedError

    def to_form(self, page: SalonPage, item: Any) -> Form:
        raise NotImplementedError

    async def save(self, page: SalonPage, form: Form, item_id: uuid.UUID | None) -> None:
        """Creates (no id) or updates; raises Invalid naming the field, NotFound for another salon's id."""
        raise NotImplementedError

    def empty_form(self) -> Form:
        return dict.fromkeys(self.form_fields, "")

    def read_form(self, page: SalonPage) -> Form:
        return page.read_form(self.form_fields)

    async def form_context(self, page: SalonPage, form: Form) -> dict[str, Any]:
        return {}

    def rearranged(self, page: SalonPage, form: Form) -> Form | None:
        """The form changed by a button that edits it rather than saves it (add a row...), or None: save."""
        return None


class ClientDirectory(Directory):
    path, noun = paths.CLIENTS(), "client"
    form_fields = ("firstName", "lastName", "email", "phone", "optedInReminders")
    parts = ("client_list",)  # the search's results, as they are typed
    shown_to = access.EVERYONE  # a stylist sees their own clients

    async def check_own(self, page: SalonPage, item_id: uuid.UUID) -> None:
        await page.own_client(item_id)

    async def list(self, page: SalonPage, after: uuid.UUID | None, limit: int) -> list[Client]:
        search, region = page.get_query_argument("q", ""), page.salon.country
        return await clients.list_clients(page.db, page.salon.id, search, region=region, after=after, limit=limit)

    def empty_form(self) -> Form:
        return super().empty_form() | {"optedInReminders": "on"}  # a new client gets reminders unless unticked

    async def get(self, page: SalonPage, item_id: uuid.UUID) -> Client:
        return await clients.get_client(page.db, page.salon.id, item_id)

    def to_form(self, page: SalonPage, item: Client) -> Form:
        return {
            "firstName": item.first_name,
            "lastName": item.last_name,
            "email": item.email or "",
            "phone": item.phone or "",
            "optedInReminders": "on" if item.opted_in_reminders else "",
        }

    async def save(self, page: SalonPage, form: Form, item_id: uuid.UUID | None) -> None:
        details, salon = client_details(form), page.salon
        region, texted = salon.country, salon.sms_countries
        if item_id is None:
            await clients.create_client(page.db, salon.id, details, region=region, sms_countries=texted)
        else:
            await clients.update_client(page.db, salon.id, item_id, details, region=region, sms_countries=texted)


def client_details(form: Form) -> ClientDetails:
    """A client's fields as typed into a client form (also the booking form's new-client part)."""
    return ClientDetails(
        first_name=form["firstName"],
        last_name=form["lastName"],
        email=form["email"],
        phone=form["phone"],
        opted_in_reminders=bool(form["optedInReminders"]),
    )


def member_field(staff_id: uuid.UUID | str, part: str) -> str:
    """A service form's field about one staff member: ``staff.<id>.performs``, ``.durationMinutes``, ``.priceCents``."""
    return f"staff.{staff_id}.{part}"


MEMBER_PARTS = ("performs", "durationMinutes", "priceCents")


class ServiceDirectory(Directory):
    path, noun = paths.SERVICES(), "service"
    form_fields = (
        "name",
        "durationMinutes",
        "priceCents",
        "bufferMinutes",
        "performedBy",
        "deposit",
        "depositPercent",
        "depositAmount",
    )

    async def list(self, page: SalonPage, after: uuid.UUID | None, limit: int) -> list[Service]:
        return await services.list_services(page.db, page.salon.id, after=after, limit=limit)

    async def get(self, page: SalonPage, item_id: uuid.UUID) -> Service:
        return await services.get_service(page.db, page.salon.id, item_id)

    def empty_form(self) -> Form:
        return super().empty_form() | {"bufferMinutes": "0", "performedBy": "everyone"}

    def to_form(self, page: SalonPage, item: Service) -> Form:
        locale, currency = page.salon.locale, page.salon.currency
        form = {
            "name": item.name,
            "durationMinutes": str(item.duration_minutes),
            "priceCents": locales.plain_amount(item.price_cents, currency, locale),
            "bufferMinutes": str(item.buffer_minutes),
            "performedBy": "everyone" if item.staff_ids is None else "chosen",
            "depositPercent": str(item.deposit.percent or "") if item.deposit else "",
            "depositAmount": locales.plain_amount(item.deposit.amount_cents, currency, locale) if item.deposit else "",
        }
        for member in item.staff_ids or ():
            form[member_field(member, "performs")] = "on"
        for own in item.staff_overrides:
            form[member_field(own.staff_id, "durationMinutes")] = str(own.duration_minutes or "")
            form[member_field(own.staff_id, "priceCents")] = locales.plain_amount(own.price_cents, currency, locale)
        return form

    def read_form(self, page: SalonPage) -> Form:
        """The service's fields and every staff member's row the form sent."""
        form = page.read_form(self.form_fields)
        members = {name for name in page.request.body_arguments if name.startswith("staff.")}
        return form | page.read_form(sorted(members))

    async def form_context(self, page: SalonPage, form: Form) -> dict[str, Any]:
        return {
            "members": await staff.list_staff(page.db, page.salon.id),
            "member_field": member_field,
            "takes_payments": await payments.takes_payments(page.db, page.salon.id),
        }

    async def save(self, page: SalonPage, form: Form, item_id: uuid.UUID | None) -> None:
        details = ServiceDetails("", 0)
        try:
            details = self._details(page, form)
            if not form["deposit"] and item_id is not None:  # the form showed no deposit: it stays as it is
                kept = await services.get_service(page.db, page.salon.id, item_id)
                details = dataclasses.replace(details, deposit=kept.deposit)
            if item_id is None:
                await services.create_service(page.db, page.salon.id, details)
            else:
                await services.update_service(page.db, page.salon.id, item_id, details)
        except Invalid as error:
            raise _on_the_form(error, details, page) from None

    @staticmethod
    def _details(page: SalonPage, form: Form) -> ServiceDetails:
        salon = page.salon
        rows = sorted({name.split(".")[1] for name in form if name.startswith("staff.")})
        overrides, performers = [], []
        for row in rows:
            member = fields.identifier(row, member_field(row, "performs"))
            if form.get(member_field(row, "performs")):
                performers.append(member)
            duration, price = (
                form.get(member_field(row, "durationMinutes"), ""),
                form.get(member_field(row, "priceCents"), ""),
            )
            if duration.strip() or price.strip():
                overrides.append(StaffOverride(
                    member,
                    fields.whole_number(duration, member_field(row, "durationMinutes")) if duration.strip() else None,
                    fields.money(price, member_field(row, "priceCents"), salon.currency, salon.locale),
                ))  # fmt: skip
        return ServiceDetails(
            name=form["name"],
            duration_minutes=fields.whole_number(form["durationMinutes"], "duration_minutes"),
            price_cents=fields.money(form["priceCents"], "price_cents", salon.currency, salon.locale),
            buffer_minutes=fields.whole_number(form["bufferMinutes"] or "0", "buffer_minutes"),
            staff_ids=None if form["performedBy"] != "chosen" else tuple(performers),
            staff_overrides=tuple(overrides),
            deposit=_deposit_of(form, salon) if form["deposit"] else None,
        )


def _deposit_of(form: Form, salon: Salon) -> Deposit | None:
    """The deposit the form asks: a percent, or an amount in the salon's money (both empty: none)."""
    percent = form["depositPercent"].strip()
    amount = fields.money(form["depositAmount"], "deposit_amount", salon.currency, salon.locale)
    if not percent and amount is None:
        return None
    return Deposit(fields.whole_number(percent, "deposit_percent") if percent else None, amount)


def _on_the_form(error: Invalid, details: ServiceDetails, page: SalonPage) -> Invalid:
    """The domain names a staff member's entry by its place in a list; the form names it by the member, in the
    member's row (where the message says "it", in the page's language)."""
    if error.field and error.field[0] == "staff_overrides" and len(error.field) == 3:
        _, index, part = error.field
        member = details.staff_overrides[int(index)].staff_id
        field = member_field(member, "performs" if part == "staff_id" else camel(str(part)))
    elif error.field and error.field[0] == "staff_ids" and len(error.field) == 2:
        field = member_field((details.staff_ids or ())[int(error.field[1])], "performs")
    elif error.field and error.field[0] == "deposit" and len(error.field) == 2:
        field = "depositPercent" if error.field[1] == "percent" else "depositAmount"
    elif error.field and str(error.field[0]).startswith("staff."):  # read from the member's row itself
        field = str(error.field[0])
    else:
        return error
    # Apart: inside Invalid(...) pybabel would not extract "it".
    said = error.describe(lambda _: page.gettext("it"), page.words.gettext)
    return Invalid(said, field)


def hour_field(row: int, part: str) -> str:
    return outside_name(("working_hours", row, part))


Row = tuple[int, str, str]  # a row of the hours table as typed: weekday, start, end


def typed_rows(form: Form) -> list[Row]:
    """The hours table's rows as typed, in the form's order (a tampered weekday is left out)."""
    rows = []
    for row in range(MAX_HOUR_ROWS):
        weekday = form.get(hour_field(row, "weekday"))
        if weekday is None:
            break
        if weekday in {str(day) for day in range(7)}:
            rows.append((int(weekday), form[hour_field(row, "start")], form[hour_field(row, "end")]))
    return rows


def hour_rows(rows: list[Row]) -> Form:
    """The hours table's fields, day by day in week order, each day's rows in the order given; a day with none
    gets one empty row (a day off)."""
    form: Form = {}
    row = 0
    for weekday in range(7):
        for _, start, end in [r for r in rows if r[0] == weekday] or [(weekday, "", "")]:
            form |= {hour_field(row, "weekday"): str(weekday), hour_field(row, "start"): start,
                     hour_field(row, "end"): end}  # fmt: skip
            row += 1
    return form


def parse_hours(form: Form) -> tuple[tuple[WorkingHours, ...], list[int]]:
    """The hours of each row with times, and the row each came from; a row with both times empty is a day off."""
    spans, rows = [], []
    for row in range(MAX_HOUR_ROWS):
        weekday = form.get(hour_field(row, "weekday"))
        if weekday is None:
            break
        start, end = form[hour_field(row, "start")].strip(), form[hour_field(row, "end")].strip()
        if not start and not end:
            continue
        if not (start and end):
            raise Invalid("give a start and an end, or leave both empty for a day off", ("working_hours", row, "end"))
        spans.append(
            WorkingHours(
                fields.whole_number(weekday, ("working_hours", row, "start"), 0, 6),  # a hidden field: tampered with
                fields.clock(start, ("working_hours", row, "start")),
                fields.clock(end, ("working_hours", row, "end")),
            )
        )
        rows.append(row)
    return tuple(spans), rows


class StaffDirectory(Directory):
    path, noun = paths.STAFF(), "staff member"
    form_fields = ("firstName", "lastName", "email")

    async def list(self, page: SalonPage, after: uuid.UUID | None, limit: int) -> list[Staff]:
        return await staff.list_staff(page.db, page.salon.id, after=after, limit=limit)

    async def get(self, page: SalonPage, item_id: uuid.UUID) -> Staff:
        return await staff.get_staff(page.db, page.salon.id, item_id)

    def to_form(self, page: SalonPage, item: Staff) -> Form:
        names = {"firstName": item.first_name, "lastName": item.last_name, "email": item.email or ""}
        return names | self._hour_rows(item.working_hours)

    def empty_form(self) -> Form:
        return super().empty_form() | self._hour_rows(())

    @staticmethod
    def _hour_rows(hours: tuple[WorkingHours, ...]) -> Form:
        """One row per weekday (more on a day with a break); an empty row is a day off."""
        return hour_rows([(h.weekday, h.start.strftime("%H:%M"), h.end.strftime("%H:%M")) for h in hours])

    def rearranged(self, page: SalonPage, form: Form) -> Form | None:
        """A shift added to a day, a row removed, or a day's shifts copied to every day: the form shown again."""
        action, _, value = page.get_body_argument("action", "").partition(":")
        if action not in ("add", "remove", "copy") or not value.isdigit():
            return None
        rows, at = typed_rows(form), int(value)
        if action == "add" and at <= 6 and len(rows) < MAX_HOUR_ROWS:
            rows.append((at, "", ""))
        elif action == "remove" and at < len(rows):
            rows.pop(at)
        elif action == "copy" and at <= 6:
            day = [(start, end) for weekday, start, end in rows if weekday == at]
            rows = [(weekday, start, end) for weekday in range(7) for start, end in day][:MAX_HOUR_ROWS]
        names = {name: value for name, value in form.items() if not name.startswith("workingHours")}
        return names | hour_rows(rows)

    def read_form(self, page: SalonPage) -> Form:
        form = page.read_form(self.form_fields)
        for row in range(MAX_HOUR_ROWS):
            if page.get_body_argument(hour_field(row, "weekday"), None) is None:
                break
            form |= page.read_form(hour_field(row, part) for part in ("weekday", "start", "end"))
        return form

    async def form_context(self, page: SalonPage, form: Form) -> dict[str, Any]:
        rows = [
            (row, int(form[hour_field(row, "weekday")]) % 7)
            for row in range(MAX_HOUR_ROWS)
            if form.get(hour_field(row, "weekday"), "") in {str(day) for day in range(7)}
        ]
        return {
            "hour_rows": rows,
            "weekdays": locales.weekday_names(page.page_locale),
            "hour_field": hour_field,
            "most_rows": MAX_HOUR_ROWS,
        }

    async def save(self, page: SalonPage, form: Form, item_id: uuid.UUID | None) -> None:
        spans, rows = parse_hours(form)
        details = StaffDetails(
            first_name=form["firstName"], last_name=form["lastName"], email=form["email"], working_hours=spans
        )
        try:
            if item_id is None:
                await staff.create_staff(page.db, page.salon.id, details)
            else:
                await staff.update_staff(page.db, page.salon.id, item_id, details)
        except Invalid as error:
            if error.field and error.field[0] == "working_hours" and len(error.field) == 3:
                _, index, part = error.field  # the domain counts the spans it was given; the form counts rows
                raise Invalid(error.words, ("working_hours", rows[int(index)], part), **error.values) from None
            raise


class DirectoryPage(SalonPage):
    directory: Directory

    def initialize(self, directory: Directory) -> None:
        self.directory = directory
        self.parts = directory.parts

    async def form_context(self, form: Form, item_id: uuid.UUID | None) -> dict[str, Any]:
        """What the form template needs besides the form and its errors."""
        return {
            "item_id": item_id,
            "noun": self.directory.noun,
            "list_path": self.directory.path,
            **await self.directory.form_context(self, form),
        }

    async def show_form(self, form: Form, item_id: uuid.UUID | None) -> None:
        self.render_page(self.template("_form"), form=form, errors={}, **await self.form_context(form, item_id))

    async def save(self, item_id: uuid.UUID | None) -> None:
        form = self.directory.read_form(self)
        changed = self.directory.rearranged(self, form)
        if changed is not None:
            await self.show_form(changed, item_id)
            return
        try:
            await self.directory.save(self, form, item_id)
        except Invalid as error:
            context = await self.form_context(form, item_id)
            self.render_form_error(self.template("_form"), error, form, **context)
            return
        self.redirect(self.directory.path, status=303)

    def template(self, suffix: str = "") -> str:
        return f"{self.directory.path.strip('/')}{suffix}.html"


class DirectoryListPage(DirectoryPage):
    async def get(self) -> None:
        items, next_page = self.one_page(await self.directory.list(self, self.page_after(), PER_PAGE + 1), PER_PAGE)
        self.render_page(
            self.template(),
            items=items,
            next_page=next_page,
            q=self.get_query_argument("q", ""),
            short_weekdays=locales.weekday_names(self.page_locale, "abbreviated"),
        )


class DirectoryNewPage(DirectoryPage):
    async def get(self) -> None:
        await self.show_form(self.directory.empty_form(), None)

    async def post(self) -> None:
        await self.save(None)


class DirectoryEditPage(DirectoryPage):
    def admitted(self) -> frozenset[Role]:
        return self.directory.shown_to if self.request.method in ("GET", "HEAD") else self.roles

    async def get(self, item_id: str) -> None:
        if self.is_stylist:  # their own client's details, to read
            await self.directory.check_own(self, page_id(item_id))
            self.render_page(self.template("_stylist"), item=await self.directory.get(self, page_id(item_id)))
            return
        item = await self.directory.get(self, page_id(item_id))
        await self.show_form(self.directory.to_form(self, item), item.id)

    async def post(self, item_id: str) -> None:
        await self.save(page_id(item_id))


DIRECTORIES = (ClientDirectory(), StaffDirectory(), ServiceDirectory())

"""The OpenAPI 3.1 document of the JSON API, served at /api/v1/openapi.json.

Answers are described from the domain's own dataclasses, the way ``handlers.api.to_json`` writes
them, so the document cannot drift from what the API sends; requests are described here, beside
the list of operations. A fuzzer (schemathesis, in the tests) holds the API to this document.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import types
import typing
import uuid
from functools import cache
from typing import Any

from booking import client_data, fields, own_words, salon_export
from booking.appointments import (
    EVERY_WEEKS,
    MAX_NOTES,
    OCCURRENCES,
    OUTCOME_WINDOW,
    PAST_GRACE,
    AppointmentDetail,
    SeriesBooked,
)
from booking.calendar_feeds import FeedAddress
from booking.client_notes import MAX_NOTE, ClientNote
from booking.clients import MAX_SEARCH
from booking.jobs import STATUSES, Job
from booking.locales import SPOKEN
from booking.models import Appointment, Client, ClientOnFile, Outcome, Salon, Service, Staff, TimeOff
from booking.notice_types import EDITABLE, TYPES
from booking.online import CardAsked, DepositStarted
from booking.own_words import OwnWords
from booking.payments import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET, AccountStatus, Payment
from booking.reports import MAX_DAYS, AppointmentCounts, MessageCounts, PaymentTotals, StaffLoad
from booking.salons import MAX_ADDRESS, MAX_REMINDERS, MAX_THANKS_HOURS, MAX_URL, REMINDER_MINUTES
from booking.services import MAX_BUFFER_MINUTES, MAX_DURATION_MINUTES, MAX_PRICE_CENTS
from booking.team import Invitation, Team
from booking.time_off import MAX_LENGTH as MAX_TIME_OFF
from booking.time_off import MAX_REASON
from booking.waitlist import Entry
from booking.wording import Preview
from handlers.api import DEFAULT_LIMIT, MAX_LIMIT
from handlers.base import BaseHandler, camel

Schema = dict[str, Any]

_SCALARS: dict[Any, Schema] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    uuid.UUID: {"type": "string", "format": "uuid"},
    dt.datetime: {"type": "string", "format": "date-time"},
    dt.date: {"type": "string", "format": "date"},
    dt.time: {"type": "string", "pattern": fields.CLOCK["pattern"]},
}


def _schema_of(kind: Any, components: dict[str, Schema]) -> Schema:
    """The JSON schema of a Python type as to_json writes it; dataclasses go to ``components``."""
    if kind in _SCALARS:
        return dict(_SCALARS[kind])
    if isinstance(kind, type) and issubclass(kind, enum.Enum):  # a state: one of its values
        return {"type": "string", "enum": [member.value for member in kind]}
    origin, arguments = typing.get_origin(kind), typing.get_args(kind)
    if origin in (types.UnionType, typing.Union):
        options = [_schema_of(argument, components) for argument in arguments if argument is not type(None)]
        schema = options[0] if len(options) == 1 else {"anyOf": options}
        return {"anyOf": [schema, {"type": "null"}]} if type(None) in arguments else schema
    if origin in (tuple, list):
        return {"type": "array", "items": _schema_of(arguments[0], components)}
    if origin is dict or kind is Any:
        return {"type": "object"} if kind is not Any else {}
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        name = kind.__name__
        if name not in components:
            components[name] = {}  # claimed first: a dataclass may refer to itself
            hints = typing.get_type_hints(kind)
            fields = dataclasses.fields(kind)
            components[name] = {
                "type": "object",
                "properties": {camel(f.name): _schema_of(hints[f.name], components) for f in fields},
                "required": [camel(f.name) for f in fields],
            }
        return {"$ref": f"#/components/schemas/{name}"}
    raise TypeError(f"no JSON schema for {kind!r}")


def _or_null(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def _optional(schema: Schema) -> Schema:
    """An optional email or phone: null or blank is none (the readers take blank as not given)."""
    return {"anyOf": [schema, fields.BLANK, {"type": "null"}]}


def _body(properties: dict[str, Schema], required: list[str]) -> Schema:
    return {"type": "object", "properties": properties, "required": required}


# Requests are described with the schemas booking.fields writes beside each reader (fields.DATE beside
# fields.date, ...): what the document allows is what the server reads, and the other way round.
_ID = fields.ID
_LAST_NAME = _or_null(fields.TEXT)
_IN_THE_PAST = (
    f"; more than {int(PAST_GRACE.total_seconds() // 60)} minutes in the past is refused (400), as JSON Schema "
    "cannot say it"
)
_WORKING_HOURS = {
    "type": ["array", "null"],
    "items": _body({"weekday": {"type": "integer", "minimum": 0, "maximum": 6}, "start": fields.CLOCK,
                    "end": fields.CLOCK}, ["weekday", "start", "end"]),
}  # fmt: skip
_PERSON = {"firstName": fields.REQUIRED_TEXT, "lastName": _LAST_NAME, "email": _optional(fields.EMAIL),
           "phone": _optional(fields.PHONE), "optedInReminders": {"type": ["boolean", "null"]}}  # fmt: skip
_MINUTES = {"type": "integer", "minimum": 5, "maximum": MAX_DURATION_MINUTES}
_PRICE = {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_PRICE_CENTS}
_SERVICE = {
    "name": fields.REQUIRED_TEXT,
    "durationMinutes": _MINUTES,
    "priceCents": _PRICE,
    "bufferMinutes": {
        "type": ["integer", "null"],
        "minimum": 0,
        "maximum": MAX_BUFFER_MINUTES,
        "description": "the stylist stays busy this long after it; not the client's time",
    },
    "staffIds": {"type": ["array", "null"], "items": _ID, "description": "who performs it; null: everyone"},
    "staffOverrides": {
        "type": ["array", "null"],
        "items": _body({"staffId": _ID, "durationMinutes": _or_null(_MINUTES), "priceCents": _PRICE}, ["staffId"]),
    },
    "deposit": _or_null(
        _body(
            {
                "percent": {"type": ["integer", "null"], "minimum": 1, "maximum": 100},
                "amountCents": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_PRICE_CENTS},
            },
            [],
        )
        | {
            "description": "asked at online booking once the salon's Stripe account is connected: a percent of "
            "the price or an amount, not both (400); null or {}: none"
        }
    ),
}
_WISH = {"serviceId": _ID, "staffId": _or_null(_ID),
         "fromDate": fields.DATE | {"description": "the first salon-local day the client can come"},
         "toDate": fields.DATE | {"description": "the last; not before fromDate nor today, within a year (else 400)"},
         "earliest": _or_null(fields.CLOCK | {"description": "the earliest start time, salon-local"}),
         "latest": _or_null(fields.CLOCK | {"description": "the latest start time; not before earliest"})}  # fmt: skip
_WISHED = ["serviceId", "fromDate", "toDate"]
REQUESTS: dict[str, Schema] = {
    "StaffInput": _body(
        {"firstName": fields.REQUIRED_TEXT, "lastName": _LAST_NAME, "email": _optional(fields.EMAIL),
         "workingHours": _WORKING_HOURS},
        ["firstName"],
    ),
    "StaffChange": _body(
        {"firstName": fields.REQUIRED_TEXT, "lastName": _LAST_NAME, "email": _optional(fields.EMAIL),
         "workingHours": _WORKING_HOURS},
        [],
    ),
    "ServiceInput": _body(_SERVICE, ["name", "durationMinutes"]),
    "ServiceChange": _body(_SERVICE, []),
    "TimeOffInput": _body(
        {"start": fields.INSTANT, "end": fields.INSTANT | {"description": fields.INSTANT["description"]
                                                           + f"; after the start, within {MAX_TIME_OFF.days} days"},
         "reason": _or_null(fields.TEXT | {"maxLength": MAX_REASON})},
        ["start", "end"],
    ),
    "ClientInput": _body(_PERSON, ["firstName"]),
    "ClientChange": _body(_PERSON | {"firstName": fields.REQUIRED_TEXT}, []),
    "BookingInput": _body(
        {"clientId": _ID, "staffId": _ID, "serviceId": _ID,
         "startTime": fields.INSTANT | {"description": fields.INSTANT["description"] + _IN_THE_PAST},
         "notes": _or_null(fields.TEXT | {"maxLength": MAX_NOTES}),
         "repeat": _or_null(_body(
             {"everyWeeks": {"type": "integer", "minimum": EVERY_WEEKS[0], "maximum": EVERY_WEEKS[1]},
              "count": {"type": "integer", "minimum": OCCURRENCES[0], "maximum": OCCURRENCES[1],
                        "description": "occurrences, the first included"}},
             ["everyWeeks", "count"]))},
        ["clientId", "staffId", "serviceId", "startTime"],
    ),
    "CancelInput": _body(
        {"following": {"type": ["boolean", "null"],
                       "description": "also the later booked ones of its repeat booking"},
         "byClient": {"type": ["boolean", "null"],
                      "description": "the desk cancels at the client's word: the client's cancellation (inside the "
                                     "salon's cut-off a late one, charged the salon's late-cancellation fee)"}}, []),
    "NoteInput": _body({"text": fields.REQUIRED_TEXT | {"maxLength": MAX_NOTE}}, ["text"]),
    "OutcomeInput": _body({"outcome": {"type": "string", "enum": list(Outcome)}}, ["outcome"]),
    "HoldInput": _body(
        {"serviceId": _ID, "staffId": _or_null(_ID),
         "startTime": fields.INSTANT | {"description": fields.INSTANT["description"] + "; one of the free times"},
         **_PERSON},
        ["serviceId", "startTime", "firstName"],
    ),
    "CodeInput": _body({"code": {"type": "string"}}, ["code"]),
    "WaitlistInput": _body({"clientId": _ID, **_WISH}, ["clientId", *_WISHED]),
    "WaitlistJoinInput": _body(
        {**_WISH, **_PERSON} | {"optedInReminders": {"type": ["boolean", "null"], "description": "ignored"}},
        [*_WISHED, "firstName"],
    ),
    "MoveInput": _body(
        {"startTime": _or_null(fields.INSTANT | {"description": fields.INSTANT["description"] + _IN_THE_PAST}),
         "staffId": _or_null(_ID),
         "following": {"type": ["boolean", "null"],
                       "description": "one of a repeat booking: the later ones move too, by as many days, to the "
                                      "same time and stylist; if one cannot, none moves (409 naming its day)"}},
        [],
    ),
    "InvitationInput": _body(
        {"email": fields.EMAIL, "role": {"type": ["string", "null"], "enum": ["receptionist", "stylist", None]},
         "staffId": _or_null(_ID)},
        ["email"],
    ),
    "RefundInput": _body(
        {"amountCents": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_PRICE_CENTS,
                         "description": "at most what is left of the deposit (else 400); none: all of it"}},
        [],
    ),
    "StripeAccountInput": _body(
        {"secretKey": _or_null({"type": "string", "pattern": f"^{SECRET_KEY.pattern}$"}),
         "publishableKey": _or_null({"type": "string", "pattern": f"^{PUBLISHABLE_KEY.pattern}$"}),
         "webhookSecret": _or_null({"type": "string", "pattern": f"^{WEBHOOK_SECRET.pattern}$"})},
        [],
    ),
    "SalonInput": _body(
        {"name": _or_null(fields.REQUIRED_TEXT), "address": _or_null(fields.TEXT | {"maxLength": MAX_ADDRESS}),
         "timezone": _or_null({"type": "string"}), "country": _or_null({"type": "string"}),
         "locale": _or_null({"type": "string"}), "currency": _or_null({"type": "string"}),
         "email": _optional(fields.EMAIL), "phone": _optional(fields.PHONE),
         "quietHours": _or_null(_body({"start": fields.CLOCK, "end": fields.CLOCK}, ["start", "end"])),
         "cancelCutoffMinutes": {"type": ["integer", "null"], "minimum": 0, "maximum": 43200},
         "rescheduleCutoffMinutes": {"type": ["integer", "null"], "minimum": 0, "maximum": 43200},
         "noShowFeePercent": {"type": ["integer", "null"], "minimum": 0, "maximum": 100,
                              "description": "a percent of the price, charged on the card saved at online booking "
                                             "when the desk marks a no-show (0: none; asks a card only with Stripe)"},
         "lateCancellationFeePercent": {"type": ["integer", "null"], "minimum": 0, "maximum": 100,
                                        "description": "a percent of the price, charged on the saved card when the "
                                                       "client cancels inside cancelCutoffMinutes (0: none)"},
         "onlineBooking": {"type": ["object", "null"], "properties": {
             "enabled": {"type": ["boolean", "null"]},
             "minNoticeMinutes": {"type": ["integer", "null"], "minimum": 0, "maximum": 43200},
             "maxDaysAhead": {"type": ["integer", "null"], "minimum": 1, "maximum": 365}}},
         "smsCountries": {"type": ["array", "null"], "items": {"type": "string"},
                          "description": "ISO 3166-1 alpha-2 codes: texts go to these countries' mobiles only "
                                         "(none: no texts); a salon starts with its own country"},
         "reminders": {"type": ["array", "null"], "maxItems": MAX_REMINDERS,
                       "items": _body({"minutesBefore": {"type": "integer", "minimum": REMINDER_MINUTES[0],
                                                         "maximum": REMINDER_MINUTES[1]}}, ["minutesBefore"]),
                       "description": "the reminder plan, each at most once (none: no reminders); 1440 and 120 "
                                      "are reminder_24h and reminder_2h, any other a reminder"},
         "thankYou": _or_null(_body({"enabled": {"type": ["boolean", "null"]},
                                     "hoursAfter": {"type": ["integer", "null"], "minimum": 0,
                                                    "maximum": MAX_THANKS_HOURS},
                                     "reviewUrl": {"type": ["string", "null"], "maxLength": MAX_URL}}, []))
                    | {"description": "a thank-you hours after an appointment is marked completed, with the salon's "
                                      "review link (an http(s) address); null turns it off"}},
        [],
    ),
    "MessageInput": _body(
        {"subject": _or_null(fields.REQUIRED_TEXT | {"maxLength": own_words.MAX_SUBJECT}),
         "text": _or_null(fields.REQUIRED_TEXT | {"maxLength": own_words.MAX_TEXT}),
         "sms": _or_null(fields.REQUIRED_TEXT | {"maxLength": own_words.MAX_SMS})},
        [],
    ),
}  # fmt: skip
_PLACEHOLDERS = "placeholders: " + ", ".join(f"{{{name}}} ({about})" for name, about in own_words.PLACEHOLDERS.items())


def _query(name: str, schema: Schema, about: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": about}


_PAGE = [
    _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}, "items"),
    _query("after", _ID, "the last item of the previous page (from the Link header)"),
]
_DATE = _query("date", fields.DATE, "a salon-local day; today if not given")


def _operation(
    summary: str,
    answer: Any,
    *,
    status: int = 200,
    body: str | None = None,
    parameters: list[Schema] | None = None,
    paged: bool = False,
    refusals: tuple[int, ...] = (400, 404),
    public: bool = False,
    media: str = "application/json",
    body_required: bool = True,
) -> Schema:
    """One operation; a ``public`` one (the online booking API) needs no token; ``media``: what it answers."""
    success: Schema = {"description": summary}
    if answer is not None:  # None: no content (204)
        success["content"] = {media: {"schema": answer}}
    if paged:
        success["headers"] = {"Link": {"description": 'the next page: <…>; rel="next"', "schema": {"type": "string"}}}
    responses: dict[str, Schema] = {str(status): success}
    for refused in sorted({400, *refusals, *(() if public else (401, 403)), 429, 503}):  # 400: a malformed query
        responses[str(refused)] = {"$ref": f"#/components/responses/{refused}"}
    operation: Schema = {"summary": summary, "responses": responses, "parameters": parameters or []}
    if public:
        operation["security"] = []
    if body:
        content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}}
        operation["requestBody"] = {"required": body_required, "content": content}
    return operation


def _no_content(summary: str, parameters: list[Schema]) -> Schema:
    """An operation that answers 204 with no body."""
    operation = _operation(summary, {}, status=204, parameters=parameters)
    operation["responses"]["204"] = {"description": summary}
    return operation


def _id_in_path(name: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": _ID}


@cache
def document() -> Schema:
    components: dict[str, Schema] = dict(REQUESTS)

    def answer(kind: Any) -> Schema:
        return _schema_of(kind, components)

    staff, service, client, time_off = answer(Staff), answer(Service), answer(Client), answer(TimeOff)
    appointment, job = answer(Appointment), answer(Job)
    entry = answer(Entry)
    counts = {"type": "object", "properties": {status: {"type": "integer"} for status in STATUSES}}
    job_filters = [
        _query("status", {"type": "string", "enum": list(STATUSES)}, "only jobs of this status"),
        _query("type", {"type": "string", "enum": list(TYPES)}, "only jobs of this type"),
        _query("appointmentId", _ID, "only this appointment's jobs"),
        _query("date", fields.DATE, "only jobs due that salon-local day"),
    ]
    conflict = (400, 404, 409)
    salon = answer(Salon)
    _notice = [
        {"name": "type", "in": "path", "required": True, "schema": {"enum": list(EDITABLE)}},
        {"name": "locale", "in": "path", "required": True,
         "schema": {"type": "string", "pattern": "^(" + "|".join(SPOKEN) + ")(-[A-Za-z]+)?$"},
         "description": "a language the product speaks, or a locale of it (de-AT)"},
    ]  # fmt: skip
    paths = {
        "/salon": {
            "get": _operation("The salon: details, country, language and policies", salon, refusals=()),
            "patch": _operation("Change the salon's settings (fields left out stay)", salon, body="SalonInput",
                                refusals=(400,)),
        },
        "/salon/export": {"get": _salon_export(answer)},
        "/salon/messages/{type}/{locale}": {
            "get": _operation("The salon's own words for a notice in a language (null: the product's)",
                              answer(OwnWords), parameters=_notice),
            "put": _operation("Word a notice the salon's way (a part null: the product's); " + _PLACEHOLDERS,
                              answer(OwnWords), body="MessageInput", parameters=_notice),
            "delete": _operation("Back to the product's wording", None, status=204, parameters=_notice),
        },
        "/salon/messages/{type}/{locale}/preview": {
            "post": _operation("A sample appointment's notice as a client would receive it: the body's words, the "
                               "saved ones for parts it leaves out", answer(Preview), body="MessageInput",
                               parameters=_notice),
        },
        "/salon/stripe": {
            "get": _operation("The salon's Stripe account: whether each key is set (a secret is never shown)",
                              answer(AccountStatus), refusals=()),
            "put": _operation("Connect or change the salon's Stripe account (a key left out stays)",
                              answer(AccountStatus), body="StripeAccountInput", refusals=(400,)),
            "delete": _no_content("Disconnect the Stripe account: no deposit is asked any more", []),
        },
        "/staff": {
            "get": _operation("The salon's staff, by name", {"type": "array", "items": staff}, parameters=_PAGE,
                              paged=True),
            "post": _operation("Add a staff member", staff, status=201, body="StaffInput", refusals=(400, 409)),
        },
        "/staff/{staffId}": {
            "get": _operation("One staff member", staff, parameters=[_id_in_path("staffId")]),
            "patch": _operation("Change a staff member (fields left out stay; workingHours is the whole week)", staff,
                                body="StaffChange", parameters=[_id_in_path("staffId")]),
        },
        "/staff/{staffId}/time-off": {
            "get": _operation("A staff member's time off not yet ended (by the day `from`, if given: past time off "
                              "too), soonest first, with the appointments booked inside", {"type": "array",
                              "items": time_off}, parameters=[_id_in_path("staffId"), _query("from", fields.DATE,
                              "a salon-local day: time off ended before it is left out; now if not given")]),
            "post": _operation("Add time off; `affected` lists the appointments booked inside it (none is moved)",
                               time_off, status=201, body="TimeOffInput", parameters=[_id_in_path("staffId")]),
        },
        "/staff/{staffId}/time-off/{timeOffId}": {
            "delete": _no_content("Remove time off", [_id_in_path("staffId"), _id_in_path("timeOffId")]),
        },
        "/staff/{staffId}/calendar-feed": {
            "post": _operation("A new calendar feed address for the staff member (the old one stops); the "
                               "owner's, or a stylist's own", answer(FeedAddress), status=201,
                               parameters=[_id_in_path("staffId")]),
            "delete": _no_content("Stop the staff member's calendar feed", [_id_in_path("staffId")]),
        },
        "/services": {
            "get": _operation("The salon's services, by name", {"type": "array", "items": service},
                              parameters=_PAGE, paged=True),
            "post": _operation("Add a service", service, status=201, body="ServiceInput", refusals=(400, 404, 409)),
        },
        "/services/{serviceId}": {
            "get": _operation("One service", service, parameters=[_id_in_path("serviceId")]),
            "patch": _operation("Change a service (fields left out stay)", service, body="ServiceChange",
                                parameters=[_id_in_path("serviceId")]),
        },
        "/clients": {
            "get": _operation("The salon's clients, by name", {"type": "array", "items": client}, paged=True,
                              parameters=[_query("q", {"type": "string", "maxLength": MAX_SEARCH},
                                                 "name or email contains it (any case), or phone its digits"),
                                          _query("search", {"type": "string", "maxLength": MAX_SEARCH},
                                                 "the same as q (its name before q)") | {"deprecated": True},
                                          *_PAGE]),
            "post": _operation("Add a client", client, status=201, body="ClientInput"),
        },
        "/clients/{clientId}": {
            "get": _operation("One client, with what their appointments add up to", answer(ClientOnFile),
                              parameters=[_id_in_path("clientId")]),
            "patch": _operation("Change a client (fields left out stay)", client, body="ClientChange",
                                refusals=(400, 404, 409), parameters=[_id_in_path("clientId")]),
        },
        "/clients/{clientId}/export": {
            "get": _operation("Everything the salon holds about a client", _client_export(answer, components),
                              parameters=[_id_in_path("clientId")]),
        },
        "/clients/{clientId}/appointments": {
            "get": _operation("A client's appointments, coming and past, newest first",
                              {"type": "array", "items": appointment}, paged=True,
                              parameters=[_id_in_path("clientId"), *_PAGE]),
        },
        "/clients/{clientId}/notes": {
            "get": _operation("What the salon noted about a client, newest first",
                              {"type": "array", "items": answer(ClientNote)}, paged=True,
                              parameters=[_id_in_path("clientId"), *_PAGE]),
            "post": _operation("Note something about a client (by the token's maker; 409: their data was erased)",
                               answer(ClientNote), status=201, body="NoteInput", refusals=conflict,
                               parameters=[_id_in_path("clientId")]),
        },
        "/clients/{clientId}/erase": {
            "post": _operation("Erase a client's personal data (the appointments stay)", client,
                               parameters=[_id_in_path("clientId")]),
        },
        "/appointments": {
            "get": _operation("A day's appointments, in time order", {"type": "array", "items": appointment},
                              parameters=[_DATE, *_PAGE], paged=True),
            "post": _operation("Book an appointment; with repeat, each free occurrence (the answer lists the "
                               "booked ones and, for each taken one, the nearest free times of its day)",
                               {"anyOf": [appointment, answer(SeriesBooked)]}, status=201, body="BookingInput",
                               refusals=conflict),
        },
        "/appointments/{appointmentId}": {
            "get": _operation("One appointment, with the card saved for its fees and its waitlist offers",
                              answer(AppointmentDetail),
                              parameters=[_id_in_path("appointmentId")]),
            "patch": _operation("Move an appointment (and the later ones of its series with following)", appointment,
                                body="MoveInput", refusals=conflict, parameters=[_id_in_path("appointmentId")]),
        },
        "/appointments/{appointmentId}/cancel": {
            "post": _operation("Cancel an appointment (and the later ones of its series with following)",
                               appointment, refusals=conflict, parameters=[_id_in_path("appointmentId")],
                               body="CancelInput", body_required=False),
        },
        "/appointments/{appointmentId}/outcome": {
            "post": _operation(f"Mark an appointment completed or a no-show (from its start until "
                               f"{OUTCOME_WINDOW.days} days after; 409 outside that)", appointment,
                               body="OutcomeInput", refusals=conflict, parameters=[_id_in_path("appointmentId")]),
        },
        "/appointments/{appointmentId}/payments": {
            "get": _operation("Every money movement on the appointment (deposits, fees, refunds), oldest first",
                              {"type": "array", "items": answer(Payment)}, parameters=[_id_in_path("appointmentId")]),
        },
        "/appointments/{appointmentId}/refund": {
            "post": _operation("Refund the deposit paid on the appointment, or amountCents of it (the owner's; once "
                               "per request however often it is sent: a refund whose answer was lost is asked again "
                               "under its own idempotency key)", answer(Payment), status=201, body="RefundInput",
                               refusals=(400, 404, 409, 502), parameters=[_id_in_path("appointmentId")],
                               body_required=False),
        },
        "/reports": {"get": _reports(answer)},
        "/waitlist": {
            "get": _operation("The waitlist, in the order clients joined (offers go in that order)",
                              {"type": "array", "items": entry}, parameters=_PAGE, paged=True),
            "post": _operation("Put a client on the waitlist", entry, status=201, body="WaitlistInput",
                               refusals=conflict),
        },
        "/jobs": {
            "get": _operation("The salon's notification jobs, newest first", {"type": "array", "items": job},
                              parameters=[*job_filters, *_PAGE], paged=True),
        },
        "/jobs/stats": {"get": _operation("The salon's jobs per status", counts, refusals=())},
        "/jobs/{jobId}": {"get": _operation("One job with its attempts", job, parameters=[_id_in_path("jobId")])},
        "/jobs/{jobId}/retry": {
            "post": _operation("Send a failed or cancelled job again", job, refusals=conflict,
                               parameters=[_id_in_path("jobId")]),
        },
        "/team": {"get": _operation("Who may log in, and the invitations not yet taken up (owner only)",
                                    answer(Team), refusals=())},
        "/team/invitations": {
            "post": _operation("Invite a receptionist, or a stylist as one staff member (owner only); the same "
                               "answer whether or not the email has an account elsewhere", answer(Invitation),
                               status=201, body="InvitationInput", refusals=(400, 404, 409)),
        },
        "/jobs/{jobId}/cancel": {
            "post": _operation("Cancel a pending job", job, refusals=conflict, parameters=[_id_in_path("jobId")]),
        },
    }  # fmt: skip
    paths = {f"/api/v1{path}": item for path, item in paths.items()} | _public_paths(answer)
    components["Error"] = _body(
        {"error": _body({"code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"},
                         "fields": {"type": "array", "description": "every field found wrong, when more than one",
                                    "items": _body({"field": {"type": "string"}, "message": {"type": "string"}},
                                                   ["field", "message"])}},
                        ["code", "message"])},
        ["error"],
    )  # fmt: skip
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    why = {
        400: "a field, the body or a query parameter is not right; `field` names it (`code` sms_country or "
        "sms_number: a phone number the salon does not text)",
        401: "no valid API token",
        403: "the token's maker's role may not do this (settings, team and exports are the owner's; a stylist "
        "reaches only their own calendar feed)",
        404: "no such thing in this salon (another salon's ids too)",
        409: "the time is taken (`code` unavailable: the staff member has time off then; not_offered: they do not "
        "perform the service), the state forbids the change, or a limit is reached",
        429: "too many requests for this token or from this address, online bookings from this address, or codes "
        "to that email address or number or from the salon; see Retry-After",
        502: "the salon's payment provider (Stripe) could not be reached, or refused the salon's key",
        503: "the database is unreachable; try again shortly",
    }
    responses = {str(status): {"description": words, "content": error} for status, words in why.items()}
    if "ClientHistory" in components:  # what the spend counts (booking/client_history.py)
        components["ClientHistory"]["properties"]["spentCents"]["description"] = (
            "money taken from the client, each cent once: completed appointments at their price as booked (a paid "
            "deposit is part of it), plus succeeded fees, plus succeeded deposits of appointments not completed, "
            "less succeeded refunds"
        )
    for counted in ("ClientHistory", "AppointmentCounts"):  # the same rule on a client's page and in reports
        components[counted]["properties"]["lateCancellations"]["description"] = (
            "the client's cancellations (cancelledBy client, or unrecorded: from before who cancelled was kept) "
            "inside the salon's cancellation cut-off as it is now; never the salon's own"
        )
    components["AppointmentDetail"]["properties"]["cardOnFile"]["description"] = (
        "the card saved at booking for the salon's fees, as Stripe named it (brand and last4 null when Stripe "
        "could not say); null when no card is saved"
    )
    components["AppointmentDetail"]["properties"]["waitlistOffers"]["description"] = (
        "the offers to waiting clients of the time this appointment freed (cancelled or moved away), and the offer "
        "whose claim booked it, oldest first; lists of appointments leave them out"
    )
    components["OfferNote"]["properties"]["status"]["description"] = (
        "claimed: its claim booked appointmentId; pending: not claimed (another's claim may have taken the time)"
    )
    responses["429"]["headers"] = {"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Salonbook API", "version": "1"},
        "servers": [{"url": "/"}],
        "security": [{"token": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "responses": responses,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
    }


def _reports(answer: Any) -> Schema:
    """The salon's report: the figures of the days from ``from`` to ``to`` (booking.reports)."""
    figures = _body(
        {"from": fields.DATE, "to": fields.DATE, "appointments": answer(AppointmentCounts),
         "revenueCents": {"type": "integer"}, "staff": {"type": "array", "items": answer(StaffLoad)},
         "messages": {"type": "array", "items": answer(MessageCounts)},
         "payments": {"anyOf": [answer(PaymentTotals), {"type": "null"}],
                      "description": "money through the salon's Stripe account: the payments that succeeded, in the "
                                     "period their row was made; netCents is deposits and fees less refunds. Null "
                                     "when the salon takes no payments and none moved in the period"}},
        ["from", "to", "appointments", "revenueCents", "staff", "messages", "payments"],
    )  # fmt: skip
    days = [
        _query(name, fields.DATE, f"{about} day of the report (salon-local, included)") | {"required": True}
        for name, about in (("from", "the first"), ("to", "the last"))
    ]
    return _operation(
        f"The salon's figures over up to {MAX_DAYS} days: appointments by outcome and source, revenue (the "
        "prices as booked, of completed appointments), each stylist's booked and working minutes, and messages "
        "sent, delivered (texts only: mail servers do not say) and failed per channel and type; deposits, fees and "
        "refunds through the salon's Stripe account",
        figures, parameters=days, refusals=(400,),
    )  # fmt: skip


def _client_export(answer: Any, components: dict[str, Schema]) -> Schema:
    """A client's export: the client and each of its lists (booking.client_data.LISTS)."""
    lists = {camel(name): {"type": "array", "items": answer(kind)} for name, kind in client_data.LISTS.items()}
    components["ClientExport"] = _body({"client": answer(Client), **lists}, ["client", *lists])
    return {"$ref": "#/components/schemas/ClientExport"}


def _salon_export(answer: Any) -> Schema:
    """The salon's export: a zip of JSON files (booking.salon_export.LISTS), described in words."""
    files = ", ".join(
        f"`{name}.json` (an array of {answer(kind)['$ref'].rsplit('/', 1)[1]})"
        for name, kind in salon_export.LISTS.items()
    )
    operation = _operation(
        "The salon's own data: a zip of JSON files", {"type": "string", "contentMediaType": "application/zip"},
        refusals=(), media="application/zip",
    )  # fmt: skip
    success = operation["responses"]["200"]
    success["description"] = (
        f"A zip of `salon.json` (the salon, as GET /api/v1/salon answers it), {files}: every row of the salon, "
        "as the API shows each, and no secret (booking codes and invitation links are left out of the "
        "notifications' payloads). Written as it is read: a failure part-way cuts the connection."
    )
    success["headers"] = {
        "Content-Disposition": {
            "description": 'attachment; filename="salonbook-<slug>-<YYYY-MM-DD>.zip"',
            "schema": {"type": "string"},
        }
    }
    return operation


def _public_paths(answer: Any) -> dict[str, Schema]:
    """The online booking API, under /api/public/{slug}, for a salon that takes bookings online."""
    slug = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
    slot = _body(
        {"startTime": _SCALARS[dt.datetime], "staffId": _ID, "staffName": {"type": "string"}},
        ["startTime", "staffId", "staffName"],
    )
    hold = _body(
        {
            "holdId": _ID,
            "expiresAt": _SCALARS[dt.datetime],
            "verifyBy": {"enum": ["email", "sms"]},
            "sentTo": {"type": "string", "description": "where the code went, masked: a…@example.com, ••• 0123"},
        },
        ["holdId", "expiresAt", "verifyBy", "sentTo"],
    )
    joined = _body(
        {
            "entryId": _ID,
            "expiresAt": _SCALARS[dt.datetime],
            "verifyBy": {"enum": ["email", "sms"]},
            "sentTo": {"type": "string", "description": "where the code went, masked: a…@example.com, ••• 0123"},
        },
        ["entryId", "expiresAt", "verifyBy", "sentTo"],
    )
    return {
        "/api/public/{slug}/waitlist": {"post": _operation(
            "Join the waitlist when no time suits: a code goes to the email if given, else by text", joined,
            status=202, body="WaitlistJoinInput", parameters=[slug], refusals=(400, 404), public=True)},
        "/api/public/{slug}/waitlist/{entryId}/verify": {"post": _operation(
            "The code: the client is on the waitlist", answer(Entry), status=201, body="CodeInput",
            parameters=[slug, _id_in_path("entryId")], refusals=(400, 404, 409), public=True)},
        "/api/public/{slug}/services": {"get": _operation(
            "The services clients may book", {"type": "array", "items": answer(Service)}, parameters=[slug],
            refusals=(404,), public=True)},
        "/api/public/{slug}/slots": {"get": _operation(
            "Free times on a day (from the minimum notice on, none beyond the horizon)",
            _body({"slots": {"type": "array", "items": slot}}, ["slots"]),
            parameters=[slug, _query("serviceId", _ID, "the service (required)") | {"required": True},
                        _query("date", fields.DATE, "a salon-local day (required)")
                        | {"required": True},
                        _query("staffId", _ID, "one staff member; anyone free if not given")],
            public=True)},
        "/api/public/{slug}/bookings": {"post": _operation(
            "Hold a time and send a code (by email if given, else by text)", hold, status=202, body="HoldInput",
            parameters=[slug], refusals=(400, 404, 409), public=True)},
        "/api/public/{slug}/bookings/{holdId}/verify": {"post": _verify(answer, slug)},
    }  # fmt: skip


def _verify(answer: Any, slug: Schema) -> Schema:
    """The code books the time (201), or, for a service with a deposit or where a fee may apply at a salon with its
    Stripe account, keeps it held while the card field pays it or saves the card (202): booked once Stripe says it
    succeeded."""
    operation = _operation(
        "The code: books the held time, or (a deposit asked) holds it while it is paid", answer(Appointment),
        status=201, body="CodeInput", parameters=[slug, _id_in_path("holdId")], refusals=(400, 404, 409, 502),
        public=True,
    )  # fmt: skip
    operation["responses"]["202"] = {
        "description": "a deposit to pay with Stripe's card field (its client secret pays this PaymentIntent only; "
                       "with fees, the card that pays is saved too), or, without a deposit where a fee may apply, the "
                       "card to save (a SetupIntent, nothing paid; the fees it may be charged)",
        "content": {"application/json": {"schema": {"anyOf": [answer(DepositStarted), answer(CardAsked)]}}},
    }  # fmt: skip
    return operation


class OpenApiHandler(BaseHandler):
    """The document itself needs no token: it says nothing about any salon."""

    def get(self) -> None:
        self.send_json(document())

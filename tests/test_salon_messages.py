"""Messages the salon owns (issue 24): its reminder plan, its own words, a thank-you after the visit."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import re
import urllib.parse
import uuid
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import psycopg2.errors
import pytest

from booking import appointments, clients, jobs, notifications, own_words, salons, wording
from booking.errors import Invalid
from booking.links import Links
from booking.locales import wall_clock
from booking.models import Client, QuietHours, Revision, Salon
from booking.notice_types import REMINDER, REMINDER_24H, THANK_YOU, reminder_kind
from booking.own_words import OwnWords
from handlers.app import Salonbook, WebSettings
from jobqueue import queue
from tests.api_fixtures import IN_A_WEEK, set_up_directory
from tests.desk import book_at, set_up_desk
from tests.page_fixtures import add_receptionist
from tests.servers import SmsApi, SmtpServer
from tests.worker_fixtures import LATER, claimed_job, delivery_for
from worker.delivery import stale_reason
from worker.messages import render_email, render_sms

PUBLIC_URL = "https://book.salon.example"


@pytest.fixture
def app(db) -> Salonbook:
    return Salonbook(db=db, cookie_secret="test-cookie-secret", settings=WebSettings(public_url=PUBLIC_URL))


ANN = Client(uuid.uuid4(), "Ann", "Lee", email="ann@example.com", phone=None, opted_in_reminders=True)
NOW = dt.datetime(2030, 5, 1, 9, tzinfo=dt.UTC)
UTC = ZoneInfo("UTC")
START = dt.datetime(2030, 5, 10, 14, tzinfo=dt.UTC)


def _reminders(plan: tuple[int, ...], start: dt.datetime = START) -> list[tuple[str, int | None, dt.datetime]]:
    end = start + dt.timedelta(hours=1)
    jobs = notifications.for_booking(
        ANN, start, end, Revision(0, NOW), NOW, quiet_hours=None, zone=UTC, sms_countries=("GB",), plan=plan
    )
    return [(job.type, job.minutes_before, job.run_at) for job in jobs if job.type != "booking_confirmation"]


# --- the reminder plan ----------------------------------------------------------------------------------------


def test_the_default_plan_is_the_released_24_and_2_hour_reminders() -> None:
    assert _reminders(notifications.DEFAULT_PLAN) == [
        ("reminder_24h", 1440, START - dt.timedelta(hours=24)),
        ("reminder_2h", 120, START - dt.timedelta(hours=2)),
    ]


def test_a_plan_of_48_and_3_hours_makes_reminders_with_their_minutes() -> None:
    assert _reminders((180, 2880)) == [
        ("reminder", 2880, START - dt.timedelta(hours=48)),
        ("reminder", 180, START - dt.timedelta(hours=3)),
    ], "latest first, each its own minutes; 1,440 and 120 alone keep the released types"
    assert reminder_kind(1440).name == "reminder_24h" and reminder_kind(120).name == "reminder_2h"


def test_an_empty_plan_makes_no_reminders_and_a_passed_moment_none_either() -> None:
    assert _reminders(()) == []
    soon = NOW + dt.timedelta(hours=5)
    assert [minutes for _, minutes, _ in _reminders((2880, 180), soon)] == [180], "48 h before has passed"


async def test_the_plan_is_read_and_changed_through_the_api_and_bookings_follow_it(api, make_salon) -> None:
    salon = await make_salon()
    status, got = await api("GET", "/salon", salon.api_token)
    assert got["reminders"] == [{"minutesBefore": 1440}, {"minutesBefore": 120}], "a salon that changed nothing"
    assert got["thankYou"] == {"enabled": False, "hoursAfter": 2, "reviewUrl": ""}
    ids = await set_up_directory(api, salon.api_token)
    status, booked = await api("POST", "/appointments", salon.api_token, ids | {"startTime": IN_A_WEEK.isoformat()})
    assert status == 201, booked
    assert [(job["type"], job["minutesBefore"]) for job in booked["notificationJobs"]] == [
        ("booking_confirmation", None), ("reminder_24h", 1440), ("reminder_2h", 120)]  # fmt: skip

    plan = {"reminders": [{"minutesBefore": 180}, {"minutesBefore": 2880}]}
    status, changed = await api("PATCH", "/salon", salon.api_token, plan)
    assert status == 200, changed
    assert changed["reminders"] == [{"minutesBefore": 2880}, {"minutesBefore": 180}]
    later = (IN_A_WEEK + dt.timedelta(days=1)).isoformat()
    status, other = await api("POST", "/appointments", salon.api_token, ids | {"startTime": later})
    reminders = [(job["type"], job["minutesBefore"], job["runAt"]) for job in other["notificationJobs"][1:]]
    start = dt.datetime.fromisoformat(other["startTime"])
    assert [(kind, minutes, dt.datetime.fromisoformat(at)) for kind, minutes, at in reminders] == [
        ("reminder", 2880, start - dt.timedelta(hours=48)),
        ("reminder", 180, start - dt.timedelta(hours=3)),
    ]
    status, job = await api("GET", f"/jobs/{other['notificationJobs'][1]['id']}", salon.api_token)
    assert (job["type"], job["minutesBefore"]) == ("reminder", 2880), "the job's answer says when it goes"

    moved_to = (IN_A_WEEK + dt.timedelta(days=2)).isoformat()
    status, moved = await api("PATCH", f"/appointments/{booked['id']}", salon.api_token, {"startTime": moved_to})
    assert status == 200, moved
    live = [(job["type"], job["minutesBefore"]) for job in moved["notificationJobs"] if job["status"] == "pending"]
    assert live == [("rescheduled", None), ("reminder", 2880), ("reminder", 180)], "a move plans by the plan in force"
    cancelled = [job["type"] for job in moved["notificationJobs"] if job["status"] == "cancelled"]
    assert sorted(cancelled) == ["booking_confirmation", "reminder_24h", "reminder_2h"], "the old plan's reminders go"


async def test_a_bad_plan_is_a_400_naming_the_reminders(api, make_salon) -> None:
    salon = await make_salon()
    for plan in (
        [{"minutesBefore": 29}],
        [{"minutesBefore": 10081}],
        [{"minutesBefore": 60}, {"minutesBefore": 60}],
        [{"minutesBefore": m} for m in (60, 120, 180, 240)],
    ):
        status, answer = await api("PATCH", "/salon", salon.api_token, {"reminders": plan})
        assert (status, answer["error"]["field"]) == (400, "reminders"), (plan, answer)
    status, answer = await api("PATCH", "/salon", salon.api_token, {"reminders": [{"minutes": 60}]})
    assert (status, answer["error"]["field"]) == (400, "reminders[0].minutesBefore"), answer
    status, answer = await api("PATCH", "/salon", salon.api_token, {"reminders": []})
    assert (status, answer["reminders"]) == (200, []), "no reminders at all is a plan too"


# --- the salon's own words: placeholders ----------------------------------------------------------------------


def test_a_text_is_read_into_literal_runs_and_known_placeholders() -> None:
    assert own_words.parse("Hi {client_first_name}, see you {when}.") == (
        ("Hi ", "client_first_name"), (", see you ", "when"), (".", ""))  # fmt: skip
    assert own_words.parse("no placeholders") == (("no placeholders", ""),)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("{salon_name.__class__}", "'salon_name.__class__'"),
        ("{0}", "'0'"),
        ("{}", "''"),
        ("{salon_name!r}", "'salon_name!r'"),
        ("{when:%Y}", "'when:%Y'"),
        ("{SALON_NAME}", "'SALON_NAME'"),
        ("{{salon_name}}", "'{'"),
        ("{{", "'{'"),
        ("closing }", "'}'"),
        ("{salon_name", "'{'"),
        ("{field}", "'field'"),
    ],
)
def test_anything_but_a_known_placeholder_in_braces_is_refused_naming_it(text: str, named: str) -> None:
    with pytest.raises(Invalid) as refused:
        own_words.checked(OwnWords(text=f"Hello {text}"))
    assert refused.value.field == ("text",)
    message = refused.value.describe(lambda path: str(path[0]))
    assert message.startswith("text has ") and named in message, message


def test_empty_or_blank_parts_and_a_subject_on_two_lines_are_refused_each_named() -> None:
    with pytest.raises(Invalid) as refused:
        own_words.checked(OwnWords(subject="Hi\r\nBcc: victim@example.com", text=" \n ", sms=""))
    assert sorted(error.field[0] for error in refused.value.every) == ["sms", "subject", "text"]  # type: ignore[index]


def test_values_are_inserted_as_text_and_never_read_again() -> None:
    job = claimed_job(REMINDER.name)
    delivery = delivery_for(job, client_first_name="{salon_name} <b>{{", own_text="Hi {client_first_name}!",
                            own_subject="For {client_first_name}", own_sms="Hi {client_first_name}")  # fmt: skip
    message = email_of(render_email(delivery, "bookings@salonbook.test"))
    assert message["Subject"] == "For {salon_name} <b>{{"
    assert plain_part(message).startswith("Hi {salon_name} <b>{{!")
    html = html_part(message)
    assert "<p>Hi {salon_name} &lt;b&gt;{{!</p>" in html, "escaped in the HTML, and not filled twice"
    assert render_sms(delivery).startswith("Hi {salon_name} <b>{{ ")


def test_a_line_break_typed_into_a_name_cannot_add_a_header_through_the_salons_subject() -> None:
    delivery = delivery_for(claimed_job(REMINDER.name), salon_name="Ann\r\nBcc: victim@example.com",
                            own_subject="{salon_name} says hi")  # fmt: skip
    message = email_of(render_email(delivery, "bookings@salonbook.test"))
    assert message["Bcc"] is None
    assert message["Subject"] == "Ann Bcc: victim@example.com says hi"


def test_the_manage_link_the_opt_out_and_the_confirm_word_are_added_when_the_text_leaves_them_out() -> None:
    links = Links(PUBLIC_URL, "secret")
    delivery = delivery_for(claimed_job(REMINDER.name), links=links, own_text="See you {when}.",
                            own_sms="See you {when}.")  # fmt: skip
    text = (
        email_of(render_email(delivery, "bookings@salonbook.test"))
        .get_body(("plain",))
        .get_content()
        .replace("\r\n", "\n")
    )
    assert delivery.manage_link and delivery.unsubscribe_link
    assert text == (
        f"See you {delivery.local(delivery.starts)}.\n\nConfirm, move or cancel it here:\n{delivery.manage_link}"
        f"\n\nTo get no more reminders from us:\n{delivery.unsubscribe_link}"
    )
    sms = render_sms(delivery)
    assert sms == (f"See you {delivery.local(delivery.starts, long=False)}. Reply YES to confirm. "
                   f"Confirm, move or cancel: {delivery.manage_link} Reply STOP to get no more texts.")  # fmt: skip
    written = delivery_for(claimed_job(REMINDER.name), links=links, own_text="Change it: {manage_link}",
                           own_sms="Text YES or STOP, or go to {manage_link}")  # fmt: skip
    assert render_sms(written) == f"Text YES or STOP, or go to {written.manage_link}", "nothing twice"
    html = (
        email_of(render_email(written, "bookings@salonbook.test"))
        .get_body(("html",))
        .get_content()
        .replace("\r\n", "\n")
    )
    assert html.count(f'<a href="{written.manage_link}">') == 1, "the link is a link, once"


def test_a_salon_that_changed_nothing_gets_the_products_words_byte_for_byte() -> None:
    delivery = delivery_for(claimed_job(REMINDER_24H.name), links=Links(PUBLIC_URL, "secret"))
    assert delivery.own_words == OwnWords()
    message = email_of(render_email(delivery, "bookings@salonbook.test"))
    assert message["Subject"] == "Reminder: your appointment at Hair by Ann is tomorrow"
    assert plain_part(message) == PRODUCT_REMINDER.format(
        when=delivery.local(delivery.starts), manage=delivery.manage_link
    )
    assert render_sms(delivery) == (
        f"Hair by Ann: see you tomorrow, {delivery.local(delivery.starts, long=False)}, for your Cut & colour. "
        f"Reply YES to confirm. Confirm, move or cancel: {delivery.manage_link}")  # fmt: skip


# What the released version wrote (its templates, unchanged): a salon without words of its own gets exactly this.
PRODUCT_REMINDER = """Hello Ann,

A reminder: your appointment at Hair by Ann is tomorrow.

When:  {when}
What:  Cut & colour
With:  Bea Cutter
Where: 1 High Street, Bath

If you cannot come, please let us know.

Confirm, move or cancel it here:
{manage}

Hair by Ann - 01225 123456 - desk@hair.example"""


def plain(raw: bytes) -> str:
    return plain_part(email_of(raw))


def html_of(raw: bytes) -> str:
    return html_part(email_of(raw))


def plain_part(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content()).replace("\r\n", "\n")


def html_part(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content()).replace("\r\n", "\n")


def email_of(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.parametrize(
    ("text", "encoding", "count"),
    [
        ("", "GSM-7", 0),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # each two units: 160
        ("€" * 81, "GSM-7", 2),
        ("Grüße aus München", "GSM-7", 1),  # ü and ö are GSM-7; ß too
        ("Café", "GSM-7", 1),  # é is GSM-7
        ("Ça coûte", "UCS-2", 1),  # û is not
        ("ä" * 69 + "ê", "UCS-2", 1),
        ("ê" * 71, "UCS-2", 2),
        ("ê" * 134, "UCS-2", 2),
        ("ê" * 135, "UCS-2", 3),
        ("💇" * 35, "UCS-2", 1),  # an emoji is two UTF-16 units
        ("💇" * 36, "UCS-2", 2),
    ],
)
def test_a_texts_segments_are_counted_as_phones_count_them(text: str, encoding: str, count: int) -> None:
    assert wording.sms_segments(text) == wording.Segments(encoding, count)


# --- the salon's own words through the API ---------------------------------------------------------------------

GERMAN_REMINDER = {
    "subject": "Bis bald, {client_first_name}!",
    "text": "Hallo {client_first_name},\n\nwir sehen uns am {when} bei {staff_first_name} ({service}).\n\n"
    "Ihr Team von {salon_name}\n\nTermin ändern: {manage_link}",
    "sms": "{salon_name}: {service} am {when}. Bis bald!",
}


async def test_a_salons_words_are_read_saved_previewed_and_reset_through_the_api(api, make_salon) -> None:
    salon = await make_salon(country="DE", timezone="Europe/Berlin")
    path = "/salon/messages/reminder/de"
    status, words = await api("GET", path, salon.api_token)
    assert (status, words) == (200, {"subject": None, "text": None, "sms": None}), "the product's words"
    status, saved = await api("PUT", path, salon.api_token, GERMAN_REMINDER)
    assert (status, saved) == (200, GERMAN_REMINDER)
    status, words = await api("GET", "/salon/messages/reminder/de-AT", salon.api_token)
    assert words == GERMAN_REMINDER, "a locale names its language"

    status, preview = await api("POST", f"{path}/preview", salon.api_token, {})
    assert status == 200, preview
    assert preview["subject"] == "Bis bald, Ann!"
    assert preview["text"].startswith("Hallo Ann,\n\nwir sehen uns am ") and "bei Bea (Cut & colour)" in preview["text"]
    assert re.search(r"Termin ändern: https?://\S+/m/\S+\n\nWenn Sie keine Erinnerungen", preview["text"])
    assert "<p>Hallo Ann,</p>" in preview["html"] and "Cut &amp; colour" in preview["html"]
    assert re.fullmatch(
        r".+: Cut & colour am .+\. Bis bald! Antworten Sie JA zur Bestätigung\. Bestätigen, verschieben oder absagen: "
        r"\S+/m/\S+ Antworten Sie STOPP, um keine SMS mehr zu erhalten\.",
        preview["sms"],
    ), preview["sms"]
    assert (preview["smsSegments"], preview["smsEncoding"]) == (wording.sms_segments(preview["sms"]).count, "GSM-7")
    status, draft = await api("POST", f"{path}/preview", salon.api_token, {"sms": "Hallo 💇 {client_first_name}"})
    assert draft["sms"].startswith("Hallo 💇 Ann") and draft["smsEncoding"] == "UCS-2", "a draft, not saved"
    assert draft["subject"] == "Bis bald, Ann!", "the saved words for the parts the draft leaves out"

    status, _ = await api("DELETE", path, salon.api_token)
    assert status == 204
    status, words = await api("GET", path, salon.api_token)
    assert words == {"subject": None, "text": None, "sms": None}, "reset: the product's words again"
    status, preview = await api("POST", f"{path}/preview", salon.api_token, {})
    assert preview["subject"].startswith("Erinnerung: Ihr Termin bei "), preview["subject"]


async def test_bad_words_are_a_400_naming_the_part_and_the_placeholder(api, make_salon) -> None:
    salon = await make_salon()
    path = "/salon/messages/booking_confirmation/en"
    for body, field, named in [
        ({"text": "Hi {salon_name.__class__}"}, "text", "salon_name.__class__"),
        ({"sms": "{0}"}, "sms", "'0'"),
        ({"text": "{{client_first_name}}"}, "text", "'{'"),
        ({"subject": "Hi\r\nBcc: victim@example.com"}, "subject", "one line"),
        ({"subject": ""}, "subject", "empty"),
        ({"text": "   "}, "text", "empty"),
        ({"sms": 42}, "sms", "string"),
    ]:
        for method, where in (("PUT", path), ("POST", f"{path}/preview")):
            status, answer = await api(method, where, salon.api_token, body)
            assert (status, answer["error"]["field"]) == (400, field), (body, answer)
            assert named in answer["error"]["message"], answer
    status, words = await api("GET", path, salon.api_token)
    assert words == {"subject": None, "text": None, "sms": None}, "nothing refused was kept"
    for where, field in (("/salon/messages/team_invite/en", "type"), ("/salon/messages/reminder/fr", "locale")):
        status, answer = await api("GET", where, salon.api_token)
        assert (status, answer["error"]["field"]) == (404, field), answer


async def test_one_salon_cannot_read_or_change_anothers_words(api, make_salon, db) -> None:
    ours, theirs = await make_salon(), await make_salon()
    path = "/salon/messages/reminder/en"
    await api("PUT", path, theirs.api_token, {"sms": "Theirs: {when}"})
    status, words = await api("GET", path, ours.api_token)
    assert status == 200
    assert words["sms"] is None, "a salon reads its own words only"
    await api("PUT", path, ours.api_token, {"sms": "Ours: {when}"})
    await api("DELETE", path, ours.api_token)
    _, words = await api("GET", path, theirs.api_token)
    assert words["sms"] == "Theirs: {when}", "writing and resetting touch the salon's own words only"
    assert await own_words.get(db, theirs.salon.id, "reminder", "en") == OwnWords(sms="Theirs: {when}")


async def test_a_german_salon_with_its_own_reminder_at_48_and_3_hours_sends_exactly_that(
    api, make_salon, db, pages, smtp_server: SmtpServer, sms_api: SmsApi, start_worker
) -> None:
    made = await make_salon(country="DE", timezone="Europe/Berlin", email="team@salon.example", phone="030 1234567")
    token = made.api_token
    plan = {"reminders": [{"minutesBefore": 2880}, {"minutesBefore": 180}]}
    status, salon_json = await api("PATCH", "/salon", token, plan)
    assert status == 200, salon_json
    assert (await api("PUT", "/salon/messages/reminder/de", token, GERMAN_REMINDER))[0] == 200
    salon = await salons.get_salon(db, made.salon.id)
    desk = await set_up_desk(db, salon)
    await db.execute("UPDATE clients SET phone = '+4915123456789' WHERE id = %s", (desk.client.id,))
    await db.execute("UPDATE salons SET sms_countries = '{DE}' WHERE id = %s", (salon.id,))
    desk = dataclasses.replace(desk, client=dataclasses.replace(desk.client, phone="+4915123456789"))
    booked = await book_at(db, salon, desk, dt.time(10))
    jobs = {(job.type, job.minutes_before): job for job in booked.notification_jobs}
    assert set(jobs) == {("booking_confirmation", None), ("reminder", 2880), ("reminder", 180)}
    await db.execute(  # the confirmation has gone, the reminders' moments have come; other tests' jobs wait
        """UPDATE notification_jobs SET status = 'cancelled' WHERE status = 'pending' AND type <> 'reminder';
           UPDATE notification_jobs SET run_at = now() WHERE appointment_id = %s AND type = 'reminder'""",
        (booked.id,),
    )
    worker = await start_worker(smtp=smtp_server, sms=sms_api, public_url=PUBLIC_URL)
    mails = await smtp_server.wait_for(2)
    texts = await sms_api.wait_for(2)
    await worker.stop()

    start = booked.start_time
    when = wording_when(salon, start, long=True)
    for mail in mails:
        assert mail["Subject"] == "Bis bald, Ann!"
        text = plain_part(mail)
        manage = re.search(rf"Termin ändern: ({re.escape(PUBLIC_URL)}(/m/[\w-]+))\n", text)
        assert manage, text
        assert text.startswith(
            f"Hallo Ann,\n\nwir sehen uns am {when} bei Bea (Cut).\n\nIhr Team von {salon.name}\n\n"
            f"Termin ändern: {manage[1]}\n\nWenn Sie keine Erinnerungen mehr von uns möchten:\n{PUBLIC_URL}/u/"
        ), text
        assert f'<a href="{manage[1]}">' in html_part(mail)
        page = await pages().get(manage[2])
        assert page.code == 200 and salon.name in page.body.decode(), "the manage link works"
    short = wording_when(salon, start, long=False)
    for text in texts:
        link = re.search(rf"{re.escape(PUBLIC_URL)}/m/[\w-]+", text["Body"])
        assert link, text["Body"]
        assert text["Body"] == (
            f"{salon.name}: Cut am {short}. Bis bald! Antworten Sie JA zur Bestätigung. "
            f"Bestätigen, verschieben oder absagen: {link[0]} Antworten Sie STOPP, um keine SMS mehr zu erhalten."
        )


def wording_when(salon: Salon, start: dt.datetime, *, long: bool) -> str:
    return wall_clock(start, salon.zone, salon.locale, long=long)


# --- the thank-you ----------------------------------------------------------------------------------------------


async def test_a_completed_visit_gets_one_thank_you_hours_later_with_the_review_link(
    api, make_salon, db, smtp_server: SmtpServer, start_worker
) -> None:
    made = await make_salon()
    thanks = {"thankYou": {"enabled": True, "hoursAfter": 3, "reviewUrl": "https://reviews.example/hair"}}
    status, changed = await api("PATCH", "/salon", made.api_token, thanks)
    assert (status, changed["thankYou"]) == (
        200,
        {"enabled": True, "hoursAfter": 3, "reviewUrl": thanks["thankYou"]["reviewUrl"]},
    )
    salon = await salons.get_salon(db, made.salon.id)
    desk = await set_up_desk(db, salon)
    visit, missed = await book_at(db, salon, desk, dt.time(10)), await book_at(db, salon, desk, dt.time(14))
    done_at = visit.start_time + dt.timedelta(minutes=50)
    await appointments.record_outcome(db, salon, visit.id, "completed", now=done_at)
    await appointments.record_outcome(db, salon, missed.id, "no_show", now=missed.start_time + dt.timedelta(hours=1))
    thank_yous = await db.fetch_all(
        "SELECT appointment_id, run_at, status FROM notification_jobs WHERE type = 'thank_you' AND salon_id = %s",
        (salon.id,),
    )
    assert thank_yous == [{"appointment_id": visit.id, "run_at": done_at + dt.timedelta(hours=3), "status": "pending"}]

    await db.execute("UPDATE appointments SET status = 'booked' WHERE id = %s", (visit.id,))
    await appointments.record_outcome(db, salon, visit.id, "completed", now=done_at + dt.timedelta(hours=1))
    again = await db.fetch_one(
        "SELECT count(*) AS n FROM notification_jobs WHERE type = 'thank_you' AND appointment_id = %s", (visit.id,)
    )
    assert again == {"n": 1}, "never twice"

    await db.execute(  # its moment has come; other tests' jobs wait
        """UPDATE notification_jobs SET status = 'cancelled' WHERE status = 'pending' AND type <> 'thank_you';
           UPDATE notification_jobs SET run_at = now() WHERE appointment_id = %s AND type = 'thank_you'""",
        (visit.id,),
    )
    worker = await start_worker(smtp=smtp_server, public_url=PUBLIC_URL)
    [mail] = await smtp_server.wait_for(1)
    await worker.stop()
    assert mail["Subject"] == f"Thank you for your visit to {salon.name}"
    assert "We would love to hear how it was:\nhttps://reviews.example/hair" in plain_part(mail)
    assert '<a href="https://reviews.example/hair"' in html_part(mail)


async def test_no_thank_you_unless_the_salon_sends_them_and_none_once_the_visit_is_no_longer_completed(
    make_salon, db
) -> None:
    made = await make_salon()
    desk = await set_up_desk(db, made.salon)
    visit = await book_at(db, made.salon, desk, dt.time(10))
    await appointments.record_outcome(db, made.salon, visit.id, "completed", now=visit.end_time)
    kinds = await db.fetch_all("SELECT type FROM notification_jobs WHERE appointment_id = %s", (visit.id,))
    assert THANK_YOU.name not in {row["type"] for row in kinds}, "off by default"
    for status, reason in (("no_show", "appointment is marked no show"), ("booked", "appointment is booked")):
        delivery = delivery_for(claimed_job(THANK_YOU.name), appointment_status=status)
        assert stale_reason(delivery, LATER) == reason
    assert stale_reason(delivery_for(claimed_job(THANK_YOU.name), appointment_status="completed"), LATER) is None


@pytest.mark.parametrize(
    ("thanks", "field"),
    [
        ({"hoursAfter": -1}, "thankYou.hoursAfter"),
        ({"hoursAfter": 721}, "thankYou.hoursAfter"),
        ({"reviewUrl": "javascript:alert(1)"}, "thankYou.reviewUrl"),
        ({"reviewUrl": "https://x.example/a b"}, "thankYou.reviewUrl"),
        ({"enabled": "yes"}, "thankYou.enabled"),
    ],
)
async def test_a_bad_thank_you_setting_is_a_400_naming_it(api, make_salon, thanks, field) -> None:
    salon = await make_salon()
    status, answer = await api("PATCH", "/salon", salon.api_token, {"thankYou": thanks})
    assert (status, answer["error"]["field"]) == (400, field), answer


# --- the settings pages -----------------------------------------------------------------------------------------


async def test_the_owner_sets_the_plan_and_the_thank_you_on_the_messages_page(logged_in, db) -> None:
    session, made = await logged_in()
    page = (await session.get("/settings/messages")).body.decode()
    assert 'name="reminders.0" type="text" value="1440"' in page and 'value="120"' in page
    form = {"reminders.0": "2880", "reminders.1": "", "reminders.2": "180", "thankYou.enabled": "on",
            "thankYou.hoursAfter": "4", "thankYou.reviewUrl": "https://reviews.example/us"}  # fmt: skip
    refused = await session.post("/settings/messages", form | {"reminders.1": "10"})
    assert refused.code == 400
    assert re.search(r'id="reminders-error">[^<]*30 to 10080 minutes', refused.body.decode()), "beside the plan"
    assert 'value="10"' in refused.body.decode(), "what was typed stays"
    saved = await session.post("/settings/messages", form)
    assert (saved.code, saved.headers["Location"]) == (303, "/settings/messages?saved=1")
    salon = await salons.get_salon(db, made.salon.id)
    assert salon.reminder_plan == (2880, 180)
    assert (salon.thank_you.enabled, salon.thank_you.hours_after) == (True, 4)


async def test_the_owner_previews_saves_and_resets_a_message_on_its_page(logged_in, db) -> None:
    session, made = await logged_in()
    path = "/settings/messages/reminder/en"
    page = (await session.get(path)).body.decode()
    assert "Our words" in page and "Reminder: your appointment at" in page, "the product's words, for a sample"
    words = {"subject": "See you, {client_first_name}", "text": "<b>Hi</b> {client_first_name}!", "sms": ""}
    preview = await session.post(path, words | {"action": "preview"})
    body = preview.body.decode()
    assert preview.code == 200 and "See you, Ann" in body, "previewed for the sample client"
    assert "&lt;p&gt;&amp;lt;b&amp;gt;Hi&amp;lt;/b&amp;gt; Ann!&lt;/p&gt;" in body, (
        "typed markup escaped, twice in srcdoc"
    )
    assert await own_words.get(db, made.salon.id, "reminder", "en") == OwnWords(), "a preview saves nothing"
    bad = await session.post(path, words | {"text": "Hi {name}", "action": "save"})
    assert bad.code == 400 and re.search(r'id="text-error">[^<]*unknown placeholder', bad.body.decode())
    saved = await session.post(path, words | {"action": "save"})
    assert (saved.code, saved.headers["Location"]) == (303, f"{path}?saved=1")
    assert await own_words.get(db, made.salon.id, "reminder", "en") == OwnWords(words["subject"], words["text"])
    listed = (await session.get("/settings/messages")).body.decode()
    assert 'href="/settings/messages/reminder/en">your words</a>' in listed
    reset = await session.post(f"{path}/reset", {})
    assert reset.code == 303
    assert await own_words.get(db, made.salon.id, "reminder", "en") == OwnWords()
    assert (await session.get("/settings/messages/team_invite/en")).code == 404


async def test_a_receptionist_cannot_open_the_messages_pages(logged_in, pages, db) -> None:
    _, made = await logged_in()
    session = pages()
    await session.login(await add_receptionist(db, made.salon.id))
    for path in ("/settings/messages", "/settings/messages/reminder/en"):
        assert (await session.get(path)).code == 403, path
    assert (await session.post("/settings/messages/reminder/en", {"sms": "{when}"})).code == 403
    assert await own_words.get(db, made.salon.id, "reminder", "en") == OwnWords()


def test_a_plans_reminder_falling_in_quiet_hours_goes_when_they_end_or_not_at_all() -> None:
    london = ZoneInfo("Europe/London")
    quiet = QuietHours(dt.time(21), dt.time(8))
    start = dt.datetime(2030, 5, 10, 9, 0, tzinfo=london)  # 3 h before is 06:00, 48 h before is 09:00
    around = {"quiet_hours": quiet, "zone": london, "sms_countries": ("GB",)}
    planned = notifications.for_booking(
        ANN, start, start + dt.timedelta(hours=1), Revision(0, NOW), NOW, plan=(2880, 180), **around
    )
    reminders = {job.minutes_before: job.run_at for job in planned if job.minutes_before}
    assert reminders[2880] == start - dt.timedelta(hours=48), "outside quiet hours: at its moment"
    assert reminders[180] == dt.datetime(2030, 5, 10, 8, 0, tzinfo=london), "06:00 is quiet: at 08:00 instead"
    late = start.replace(hour=8, minute=15)
    planned = notifications.for_booking(
        ANN, late, late + dt.timedelta(hours=1), Revision(0, NOW), NOW, plan=(180,), **around
    )
    assert [job.type for job in planned] == ["booking_confirmation"], "08:00 is too near 08:15: no reminder"


@pytest.mark.parametrize(
    ("minutes", "words"),
    [(2880, "Reminder, 2 days before"), (1440, "Reminder, 24 h before"), (180, "Reminder, 3 h before"),
     (90, "Reminder, 90 min before"), (None, "Reminder")],
)  # fmt: skip
def test_the_desk_reads_when_a_reminder_goes_in_its_name(minutes: int | None, words: str) -> None:
    kind = reminder_kind(minutes) if minutes else REMINDER
    job = jobs.Job(
        uuid.uuid4(), uuid.uuid4(), None, None, kind.name, {}, ("email",), (), queue.JobStatus.PENDING, 0, 3, None,
        NOW, None, None, NOW, NOW, None, "Ann", None, None, minutes_before=minutes,
    )  # fmt: skip
    assert job.label == words


async def test_a_client_who_turns_reminders_off_gets_no_thank_you_either(make_salon, db) -> None:
    made = await make_salon()
    await db.execute("UPDATE salons SET thank_you_enabled = true WHERE id = %s", (made.salon.id,))
    salon = await salons.get_salon(db, made.salon.id)
    desk = await set_up_desk(db, salon)
    visit = await book_at(db, salon, desk, dt.time(10))
    await appointments.record_outcome(db, salon, visit.id, "completed", now=visit.end_time)
    await clients.unsubscribe(db, desk.client.id)
    [thanks] = await db.fetch_all(
        "SELECT status, error FROM notification_jobs WHERE appointment_id = %s AND type = 'thank_you'", (visit.id,)
    )
    assert thanks == {"status": "cancelled", "error": "the client turned reminders off (the link in an email)"}


async def test_the_preview_alone_answers_as_the_page_script_asks_while_the_owner_types(logged_in, db) -> None:
    session, made = await logged_in()
    path = "/settings/messages/cancellation/en"
    page = (await session.get(path)).body.decode()
    assert 'data-preview="message_preview"' in page and "message_preview.js" in page
    await session.get(path)  # the form's token
    form = {"subject": "", "text": "", "sms": "Sorry {client_first_name}, see you another day", "action": "preview",
            "_xsrf": session.cookies["_xsrf"]}  # fmt: skip
    body = urllib.parse.urlencode(form).encode()
    part = await session.fetch(path, "POST", body, headers={"X-Salonbook-Part": "message_preview"})
    html = part.body.decode()
    assert part.code == 200 and html.startswith('<div id="message-preview" data-part="message_preview">'), html[:200]
    assert "Sorry Ann, see you another day Reply STOP to get no more texts." in html and "<nav" not in html
    assert await own_words.get(db, made.salon.id, "cancellation", "en") == OwnWords(), "nothing saved"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE salons SET reminder_minutes = '{10}' WHERE id = %(salon)s",
        "UPDATE salons SET reminder_minutes = '{60,120,180,240}' WHERE id = %(salon)s",
        "UPDATE salons SET reminder_minutes = '{60,NULL}' WHERE id = %(salon)s",
        "UPDATE salons SET thank_you_hours_after = -1 WHERE id = %(salon)s",
        "INSERT INTO salon_messages (salon_id, type, language, subject) VALUES (%(salon)s, 'reminder', 'en', E'a\\nb')",
        "INSERT INTO salon_messages (salon_id, type, language, sms) VALUES (%(salon)s, 'reminder', 'en', '  ')",
        "INSERT INTO salon_messages (salon_id, type, language) VALUES (%(salon)s, 'reminder', 'en')",
        "INSERT INTO notification_jobs (salon_id, type, channels, payload) VALUES (%(salon)s, 'reminder', '{email}',"
        ' \'{"email": "a@example.com"}\')',
    ],
)
async def test_the_database_holds_the_rules_of_plans_and_words(make_salon, db, statement: str) -> None:
    made = await make_salon()
    with pytest.raises(psycopg2.errors.CheckViolation):
        await db.execute(statement, {"salon": made.salon.id})

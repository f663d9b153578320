"""A client's own data on request: exported whole through the API and the owner's page, or erased for good."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import uuid

import pytest

from booking import client_data
from db import Database
from outbox import messages
from tests.api_fixtures import IN_A_WEEK, set_up_directory
from tests.page_fixtures import add_receptionist
from tests.servers import SmtpServer

EMAIL, PHONE = "ann@example.com", "+447400900123"


async def booked_and_notified(api, db: Database, salon, smtp_server: SmtpServer, start_worker) -> dict[str, str]:
    """Ann, booked twice; her confirmations sent (email to the SMTP server, SMS kept in the outbox)."""
    token = salon.api_token
    ids = await set_up_directory(api, token, email=EMAIL, phone="07400 900123")
    for n in (0, 1):
        start = IN_A_WEEK + dt.timedelta(hours=5 * n)
        status, _ = await api("POST", "/appointments", token, ids | {"startTime": start.isoformat()})
        assert status == 201
    await start_worker(smtp=smtp_server)
    await smtp_server.wait_for(2)
    for _ in range(100):  # and recorded
        done = await db.fetch_row(
            """SELECT count(*) AS n FROM notification_jobs
                WHERE salon_id = %s AND type = 'booking_confirmation' AND status = 'completed'""",
            (salon.salon.id,),
        )
        if done["n"] == 2:
            break
        await asyncio.sleep(0.05)
    await messages.store(
        db,
        salon_id=salon.salon.id,
        channel="email",
        sender="desk@salon.example",
        recipients=["someone.else@example.com"],
        subject="not hers",
        message_id=None,
        body="kept",
    )
    return ids


async def test_a_client_is_exported_with_appointments_messages_and_kept_copies(
    api, db, make_salon, smtp_server, start_worker
) -> None:
    salon = await make_salon()
    ids = await booked_and_notified(api, db, salon, smtp_server, start_worker)
    status, exported = await api("GET", f"/clients/{ids['clientId']}/export", salon.api_token)
    assert status == 200
    assert (exported["client"]["email"], exported["client"]["phone"]) == (EMAIL, PHONE)
    assert len(exported["appointments"]) == 2
    assert {a["clientName"] for a in exported["appointments"]} == {"Ann Lee"}
    confirmations = [n for n in exported["notifications"] if n["type"] == "booking_confirmation"]
    assert len(confirmations) == 2
    assert all(a["outcome"] == "sent" for n in confirmations for a in n["history"]), confirmations
    assert {m["channel"] for m in exported["keptMessages"]} == {"sms"}, "the SMS kept in the outbox, no one else's"
    assert exported["payments"] == [], "no money moved yet"
    other = await make_salon()
    status, _ = await api("GET", f"/clients/{ids['clientId']}/export", other.api_token)
    assert status == 404, "another salon's client is not found"


async def test_a_clients_export_read_a_row_at_a_time_is_the_same_export(
    api, db, make_salon, smtp_server, start_worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    salon = await make_salon()
    ids = await booked_and_notified(api, db, salon, smtp_server, start_worker)
    status, whole = await api("GET", f"/clients/{ids['clientId']}/export", salon.api_token)
    assert status == 200 and len(whole["notifications"]) > 2
    monkeypatch.setattr(client_data, "export", functools.partial(client_data.export, page_size=1))
    status, paged = await api("GET", f"/clients/{ids['clientId']}/export", salon.api_token)
    assert status == 200 and paged == whole
    assert [job["id"] for job in paged["notifications"]] == sorted(
        (job["id"] for job in paged["notifications"]), key=uuid.UUID
    ), "in id order"


async def test_erasing_a_client_keeps_the_books_and_nothing_of_the_person(
    api, db, make_salon, smtp_server, start_worker
) -> None:
    salon = await make_salon()
    token = salon.api_token
    ids = await booked_and_notified(api, db, salon, smtp_server, start_worker)
    status, erased = await api("POST", f"/clients/{ids['clientId']}/erase", token)
    assert status == 200, erased
    person = (erased["firstName"], erased["lastName"], erased["email"], erased["phone"])
    assert person == ("Erased", "client", None, None)
    assert erased["erasedAt"] is not None and erased["optedInReminders"] is False

    status, day = await api("GET", f"/appointments?date={IN_A_WEEK.astimezone(salon.salon.zone).date()}", token)
    assert [a["clientName"] for a in day] == ["Erased client", "Erased client"], "the books keep the appointments"
    live = await db.fetch_all(
        "SELECT status, error FROM notification_jobs WHERE client_id = %s AND type LIKE 'reminder%%'",
        (ids["clientId"],),
    )
    assert live and all(job["status"] == "cancelled" for job in live), "no reminder goes to an erased client"
    leftovers = await db.fetch_one(
        """SELECT (SELECT count(*) FROM notification_attempts a JOIN notification_jobs j ON j.id = a.job_id
                    WHERE j.client_id = %(client)s AND (a.detail LIKE %(email)s OR a.detail LIKE %(phone)s)) AS details,
                  (SELECT count(*) FROM outbox_messages
                    WHERE salon_id = %(salon)s AND %(raw_phone)s = ANY(recipients)) AS copies,
                  (SELECT count(*) FROM outbox_messages
                    WHERE salon_id = %(salon)s AND subject = 'not hers') AS others""",
        {
            "client": ids["clientId"],
            "salon": salon.salon.id,
            "email": f"%{EMAIL}%",
            "phone": f"%{PHONE}%",
            "raw_phone": PHONE,
        },
    )
    assert (leftovers["details"], leftovers["copies"], leftovers["others"]) == (0, 0, 1)

    _, listed = await api("GET", "/clients", token)
    assert ids["clientId"] not in [client["id"] for client in listed]
    later = (IN_A_WEEK + dt.timedelta(days=3)).isoformat()
    status, refused = await api("POST", "/appointments", token, ids | {"startTime": later})
    assert (status, refused["error"]["field"]) == (409, "clientId")


async def test_the_owner_downloads_and_erases_from_the_clients_page_after_confirming(
    api, db, make_salon, smtp_server, start_worker, logged_in, pages
) -> None:
    session, salon = await logged_in()
    ids = await booked_and_notified(api, db, salon, smtp_server, start_worker)
    client_page = (await session.get(f"/clients/{ids['clientId']}/edit")).body.decode()
    assert "Download their data" in client_page and "Erase their personal data" in client_page
    download = await session.get(f"/clients/{ids['clientId']}/export")
    assert download.code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert json.loads(download.body)["client"]["email"] == EMAIL

    confirm = await session.get(f"/clients/{ids['clientId']}/erase")
    assert confirm.code == 200 and b"This cannot be undone" in confirm.body
    assert (await db.fetch_row("SELECT email FROM clients WHERE id = %s", (ids["clientId"],)))["email"] == EMAIL

    desk = pages()
    await desk.login(await add_receptionist(db, salon.salon.id))
    assert "Erase their personal data" not in (await desk.get(f"/clients/{ids['clientId']}/edit")).body.decode()
    assert (await desk.post(f"/clients/{ids['clientId']}/erase", {})).code == 403
    assert (await desk.get(f"/clients/{ids['clientId']}/export")).code == 403

    erased = await session.post(f"/clients/{ids['clientId']}/erase", {})
    assert (erased.code, erased.headers["Location"]) == (303, "/clients")
    row = await db.fetch_row(
        "SELECT first_name, email, phone, erased_at FROM clients WHERE id = %s", (ids["clientId"],)
    )
    assert (row["first_name"], row["email"], row["phone"]) == ("Erased", None, None) and row["erased_at"]


async def test_a_clients_export_holds_the_money_their_appointments_moved_and_no_one_elses(
    api, db, make_salon, smtp_server, start_worker
) -> None:
    salon = await make_salon()
    ids = await booked_and_notified(api, db, salon, smtp_server, start_worker)
    theirs = await db.fetch_row(
        "SELECT id FROM appointments WHERE client_id = %s ORDER BY start_time LIMIT 1", (ids["clientId"],)
    )
    status, bo = await api("POST", "/clients", salon.api_token, {"firstName": "Bo"})
    assert status == 201
    start = (IN_A_WEEK + dt.timedelta(hours=2)).isoformat()
    status, other = await api(
        "POST", "/appointments", salon.api_token, ids | {"clientId": bo["id"], "startTime": start}
    )
    assert status == 201, other
    for appointment, intent in ((theirs["id"], "pi_ann"), (other["id"], "pi_bo")):
        await db.execute(
            """INSERT INTO payments (salon_id, appointment_id, kind, reason, amount_cents, currency,
                                     stripe_payment_intent_id, status)
               VALUES (%s, %s, 'deposit', 'deposit', 1500, 'GBP', %s, 'succeeded')""",
            (salon.salon.id, appointment, intent),
        )
    status, exported = await api("GET", f"/clients/{ids['clientId']}/export", salon.api_token)
    assert status == 200
    assert [(p["stripePaymentIntentId"], p["amountCents"], p["appointmentId"]) for p in exported["payments"]] == [
        ("pi_ann", 1500, str(theirs["id"]))
    ], "Ann's deposit, not Bo's"

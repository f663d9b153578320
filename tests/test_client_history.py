"""Clients the salon knows: their history, what it adds up to, and the salon's notes, through every door."""

from __future__ import annotations

import datetime as dt
import uuid

from booking import appointments, client_history, client_notes, clients, services, staff
from booking.models import Actor, ClientDetails, ServiceDetails, StaffDetails
from db import Database

MONDAY = dt.datetime(2030, 5, 6, 9, 0, tzinfo=dt.UTC)
HOUR, DAY, WEEK = dt.timedelta(hours=1), dt.timedelta(days=1), dt.timedelta(days=7)


async def _regular(db: Database, salon):
    """A stylist, a £40 colour and a client, Cy."""
    bea = await staff.create_staff(db, salon.id, StaffDetails(first_name="Bea"))
    colour = await services.create_service(
        db, salon.id, ServiceDetails(name="Colour", duration_minutes=60, price_cents=4000)
    )
    cy = await clients.create_client(db, salon.id, ClientDetails(first_name="Cy", email="cy@example.com"))
    return bea, colour, cy


async def _book(db: Database, salon, bea, colour, cy, start: dt.datetime):
    return await appointments.book(
        db, salon, client_id=cy.id, staff_id=bea.id, service_id=colour.id, start_time=start, now=start - 3 * DAY
    )


async def test_the_counts_are_visits_no_shows_late_cancellations_and_spend_at_the_prices_booked(
    db: Database, make_salon
) -> None:
    salon = (await make_salon()).salon  # cancellations online until 24 hours before
    bea, colour, cy = await _regular(db, salon)
    starts = [MONDAY + n * WEEK for n in range(8)]
    booked = [await _book(db, salon, bea, colour, cy, start) for start in starts]
    await appointments.record_outcome(db, salon, booked[0].id, "completed", now=starts[0] + HOUR)
    await db.execute("UPDATE services SET price_cents = 9900 WHERE id = %s", (colour.id,))  # the price goes up
    await appointments.record_outcome(db, salon, booked[1].id, "completed", now=starts[1] + HOUR)
    await appointments.record_outcome(db, salon, booked[2].id, "no_show", now=starts[2] + HOUR)
    in_time = starts[3] - DAY  # online, a client may cancel until exactly 24 hours before
    await appointments.cancel(db, salon, booked[3].id, by=Actor.CLIENT, now=in_time)
    late = starts[4] - DAY + dt.timedelta(seconds=1)  # the desk cancels when the client calls, a second too late
    await appointments.cancel(db, salon, booked[4].id, by=Actor.CLIENT, at_desk=True, now=late)
    await appointments.cancel(db, salon, booked[5].id, by=Actor.SALON, now=starts[5] - HOUR)  # a sick stylist
    await appointments.cancel(db, salon, booked[6].id, by=Actor.SALON, now=starts[6] - HOUR)
    await db.execute("UPDATE appointments SET cancelled_by = NULL WHERE id = %s", (booked[6].id,))  # before 0009
    # the last one, still booked, counts for nothing yet

    found = await client_history.on_file(db, salon.id, cy.id)
    assert found.name == "Cy"
    assert (found.history.visits, found.history.no_shows) == (2, 1)
    assert found.history.late_cancellations == 2, (
        "the client's a second after the cut-off and one from before who cancelled was recorded; not in time, "
        "not the salon's own"
    )
    assert found.history.spent_cents == 8000, "each visit at the price it was booked at"


async def test_a_late_cancellation_is_the_clients_not_the_salons_on_the_page_and_in_the_api(
    api, app, logged_in, db: Database
) -> None:
    session, new = await logged_in()
    salon = new.salon  # cancellations online until 24 hours before
    bea, colour, cy = await _regular(db, salon)
    by_link, at_their_word, sick_stylist = [await _book(db, salon, bea, colour, cy, MONDAY + n * DAY) for n in range(3)]
    await appointments.cancel(db, salon, by_link.id, by=Actor.CLIENT, now=MONDAY - DAY)  # in time: not late
    app.clock = lambda: MONDAY + DAY - HOUR
    status, body = await api("POST", f"/appointments/{at_their_word.id}/cancel", new.api_token, {"byClient": True})
    assert status == 200 and body["cancelledBy"] == "client", body
    app.clock = lambda: MONDAY + 2 * DAY - HOUR
    status, body = await api("POST", f"/appointments/{sick_stylist.id}/cancel", new.api_token)
    assert status == 200 and body["cancelledBy"] == "salon", body

    status, found = await api("GET", f"/clients/{cy.id}", new.api_token)
    assert status == 200 and found["history"]["lateCancellations"] == 1, found["history"]
    page = (await session.get(f"/clients/{cy.id}")).body.decode()
    assert "<dt>Late cancellations</dt><dd>1</dd>" in page, "the salon's own cancellation is not held against Cy"


async def test_the_history_pages_newest_first_through_coming_and_past(db: Database, make_salon) -> None:
    salon = (await make_salon()).salon
    bea, colour, cy = await _regular(db, salon)
    starts = [MONDAY + n * WEEK for n in range(5)]
    for start in starts:
        await _book(db, salon, bea, colour, cy, start)
    first = await appointments.client_history(db, salon.id, cy.id, after=None, limit=2)
    assert [a.start_time for a in first.rows] == [starts[4], starts[3]]
    assert first.next == first.rows[-1].id
    second = await appointments.client_history(db, salon.id, cy.id, after=first.next, limit=2)
    last = await appointments.client_history(db, salon.id, cy.id, after=second.next, limit=2)
    assert [a.start_time for a in (*second.rows, *last.rows)] == [starts[2], starts[1], starts[0]]
    assert last.next is None
    assert all(a.price_cents == 4000 and a.notification_jobs == () for a in first.rows), "Cy wants no reminders"


async def test_the_api_shows_a_clients_history_counts_and_notes(api, make_salon, db: Database) -> None:
    new = await make_salon()
    salon, token = new.salon, new.api_token
    bea, colour, cy = await _regular(db, salon)
    for n in range(3):
        await _book(db, salon, bea, colour, cy, MONDAY + n * WEEK)

    status, found = await api("GET", f"/clients/{cy.id}", token)
    assert status == 200, found
    assert found["history"] == {"visits": 0, "noShows": 0, "lateCancellations": 0, "spentCents": 0}
    status, page, link = await api("GET", f"/clients/{cy.id}/appointments?limit=2", token, headers=True)
    assert status == 200 and len(page) == 2 and page[0]["priceCents"] == 4000
    assert link is not None and f"after={page[1]['id']}" in link
    status, rest, link = await api("GET", f"/clients/{cy.id}/appointments?limit=2&after={page[1]['id']}", token,
                                   headers=True)  # fmt: skip
    assert status == 200 and [a["startTime"] for a in rest] == [(MONDAY).astimezone(salon.zone).isoformat()]
    assert link is None

    status, note = await api("POST", f"/clients/{cy.id}/notes", token, {"text": "6/0 + 20 vol, 35 min"})
    assert status == 201, note
    assert note["text"] == "6/0 + 20 vol, 35 min" and note["author"] == new.owner.email and "createdAt" in note
    status, refused = await api("POST", f"/clients/{cy.id}/notes", token, {"text": "   "})
    assert status == 400 and refused["error"]["field"] == "text"
    status, notes = await api("GET", f"/clients/{cy.id}/notes", token)
    assert status == 200 and [n["id"] for n in notes] == [note["id"]]


async def test_no_other_salon_reaches_a_clients_history_or_notes(api, make_salon, db: Database) -> None:
    mine = await make_salon()
    bea, colour, cy = await _regular(db, mine.salon)
    await _book(db, mine.salon, bea, colour, cy, MONDAY)
    await client_notes.add(db, mine.salon.id, cy.id, "allergic to PPD", author="ann", author_id=None, now=MONDAY)
    theirs = await make_salon()
    for path in (f"/clients/{cy.id}", f"/clients/{cy.id}/appointments", f"/clients/{cy.id}/notes"):
        status, body = await api("GET", path, theirs.api_token)
        assert status == 404, (path, body)
    status, _ = await api("POST", f"/clients/{cy.id}/notes", theirs.api_token, {"text": "mine now"})
    assert status == 404
    assert len(await client_notes.list_notes(db, mine.salon.id, cy.id)) == 1
    assert await client_notes.list_notes(db, theirs.salon.id, cy.id) == []
    assert (await appointments.client_history(db, theirs.salon.id, cy.id, after=None, limit=10)).rows == []
    status, _ = await api("GET", f"/clients/{uuid.uuid4()}/notes", mine.api_token)
    assert status == 404


async def test_erasing_a_client_removes_the_salons_notes_about_them(api, make_salon, db: Database) -> None:
    new = await make_salon()
    _, _, cy = await _regular(db, new.salon)
    await client_notes.add(db, new.salon.id, cy.id, "lives at 3 Mill Lane", author="ann", author_id=None, now=MONDAY)
    status, _ = await api("POST", f"/clients/{cy.id}/erase", new.api_token)
    assert status == 200
    assert await client_notes.list_notes(db, new.salon.id, cy.id) == []
    status, refused = await api("POST", f"/clients/{cy.id}/notes", new.api_token, {"text": "back again"})
    assert status == 409 and refused["error"]["field"] == "clientId", "nothing new about an erased client"


async def test_the_client_page_shows_counts_notes_and_history_and_takes_a_note(logged_in, db: Database) -> None:
    session, new = await logged_in()
    salon = new.salon
    bea, colour, cy = await _regular(db, salon)
    done = await _book(db, salon, bea, colour, cy, MONDAY)
    await appointments.record_outcome(db, salon, done.id, "completed", now=MONDAY + HOUR)
    for n in range(1, 23):
        await _book(db, salon, bea, colour, cy, MONDAY + n * WEEK)

    page = (await session.get(f"/clients/{cy.id}")).body.decode()
    assert "<dt>Visits</dt><dd>1</dd>" in page and "£40.00" in page
    assert page.count('class="status status-booked"') == 20, "one page of the history"
    assert "Older" in page and "No notes yet" in page
    assert f'href="/waitlist?clientId={cy.id}#add-title"' in page
    waitlist_form = (await session.get(f"/waitlist?clientId={cy.id}")).body.decode()
    assert f'value="{cy.id}" required checked' in waitlist_form, "the client is chosen on the waitlist's form"

    typed = "<b>7/1</b> + 30 vol"
    answer = await session.post(f"/clients/{cy.id}/notes", {"text": typed})
    assert answer.code == 303 and answer.headers["Location"] == f"/clients/{cy.id}"
    page = (await session.get(f"/clients/{cy.id}")).body.decode()
    assert "&lt;b&gt;7/1&lt;/b&gt; + 30 vol" in page and new.owner.email in page, "escaped, with its author"

    blank = await session.post(f"/clients/{cy.id}/notes", {"text": " "})
    assert blank.code == 400 and 'class="field-error"' in blank.body.decode()
    assert (await session.get(f"/clients/{uuid.uuid4()}")).code == 404
    other, _ = await logged_in()
    assert (await other.get(f"/clients/{cy.id}")).code == 404, "another salon's client"
    assert (await other.post(f"/clients/{cy.id}/notes", {"text": "x"})).code == 404


async def paid(
    db: Database, salon_id: uuid.UUID, appointment_id: uuid.UUID | None, kind: str, reason: str, cents: int,
    status: str = "succeeded",
) -> None:  # fmt: skip
    """A payment's row as the deposit page, the fee jobs or a refund write it (their code is not needed to read)."""
    intent = f"pi_{uuid.uuid4().hex}" if kind != "fee" or status == "succeeded" else None
    key = None if kind == "deposit" else f"test-{uuid.uuid4()}"
    await db.execute(
        """INSERT INTO payments (salon_id, appointment_id, kind, reason, amount_cents, currency,
                                 stripe_payment_intent_id, stripe_refund_id, status, idempotency_key)
           VALUES (%s, %s, %s, %s, %s, 'GBP', %s, %s, %s, %s)""",
        (salon_id, appointment_id, kind, reason, cents, intent,
         f"re_{uuid.uuid4().hex}" if kind == "refund" else None, status, key),
    )  # fmt: skip


async def test_spend_is_the_money_taken_each_cent_once(api, make_salon, db: Database) -> None:
    new = await make_salon()
    salon = new.salon
    bea, colour, cy = await _regular(db, salon)  # £40 a colour, £8 deposits
    starts = [MONDAY + n * WEEK for n in range(7)]
    a = [await _book(db, salon, bea, colour, cy, start) for start in starts]
    for n in range(7):
        await paid(db, salon.id, a[n].id, "deposit", "deposit", 800)
    await appointments.record_outcome(db, salon, a[0].id, "completed", now=starts[0] + HOUR)  # 40.00: inside
    await appointments.record_outcome(db, salon, a[1].id, "no_show", now=starts[1] + HOUR)
    await paid(db, salon.id, a[1].id, "fee", "no_show", 2000)  # 8.00 + 20.00
    await paid(db, salon.id, a[1].id, "fee", "no_show", 2000, status="pending")  # not taken (yet)
    await paid(db, salon.id, a[1].id, "fee", "late_cancellation", 999, status="failed")  # never taken
    await appointments.cancel(db, salon, a[2].id, by=Actor.CLIENT, now=starts[2] - 3 * DAY)
    await paid(db, salon.id, a[2].id, "refund", "early_cancellation", 800)  # 8.00 - 8.00
    await appointments.cancel(db, salon, a[3].id, by=Actor.SALON, now=starts[3] - HOUR)
    await paid(db, salon.id, a[3].id, "fee", "late_cancellation", 1200)  # 8.00 + 12.00
    await appointments.record_outcome(db, salon, a[4].id, "completed", now=starts[4] + HOUR)
    await paid(db, salon.id, a[4].id, "refund", "owner", 300)  # 40.00 - 3.00
    # a[5] is still to come: its deposit is taken (8.00); a[6]'s deposit never went through
    await db.execute("UPDATE payments SET status = 'canceled' WHERE appointment_id = %s", (a[6].id,))
    await paid(db, salon.id, None, "deposit", "deposit", 800)  # paid after its hold ended: nobody's
    await paid(db, salon.id, None, "refund", "unbooked", 800)

    found = await client_history.on_file(db, salon.id, cy.id)
    assert found.history.spent_cents == 4000 + 2800 + 0 + 2000 + 3700 + 800, found.history
    status, shown = await api("GET", f"/clients/{cy.id}", new.api_token)
    assert status == 200 and shown["history"]["spentCents"] == 13300
    other = await clients.create_client(db, salon.id, ClientDetails(first_name="Di", email="di@example.com"))
    assert (await client_history.on_file(db, salon.id, other.id)).history.spent_cents == 0, "only Cy's money"


async def test_the_client_page_shows_the_spend_with_fees_and_refunds(logged_in, db: Database) -> None:
    session, new = await logged_in()
    salon = new.salon
    bea, colour, cy = await _regular(db, salon)
    done = await _book(db, salon, bea, colour, cy, MONDAY)
    await paid(db, salon.id, done.id, "deposit", "deposit", 800)
    await appointments.record_outcome(db, salon, done.id, "completed", now=MONDAY + HOUR)
    missed = await _book(db, salon, bea, colour, cy, MONDAY + WEEK)
    await appointments.record_outcome(db, salon, missed.id, "no_show", now=MONDAY + WEEK + HOUR)
    await paid(db, salon.id, missed.id, "fee", "no_show", 1550)
    page = (await session.get(f"/clients/{cy.id}")).body.decode()
    assert "<dt>Spent</dt><dd>£55.50</dd>" in page, "£40.00 (its £8.00 deposit inside) and a £15.50 fee"

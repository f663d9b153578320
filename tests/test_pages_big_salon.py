"""A salon at every limit (200 staff, 1,000 services, thousands of clients and a full day) gets every page,
each a bounded page of rows (a list is paged; a day shows its staff), while another salon's /healthz answers
meanwhile. How fast is measured in bench/ (its figures in docs/performance.md), not asserted here.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from booking.services import MAX_SERVICES
from booking.staff import MAX_STAFF
from handlers.pages import directory, jobs


async def fill_to_the_limits(db, salon) -> dict[str, str]:
    """Staff working every day 08-20, services, 5,000 clients, and five bookings per staff member tomorrow."""
    tomorrow = dt.datetime.now(salon.zone).date() + dt.timedelta(days=1)
    async with db.transaction() as cur:
        await cur.execute(
            """WITH s AS (INSERT INTO staff (salon_id, first_name, last_name)
                          SELECT %(salon)s, 'Stylist', lpad(n::text, 3, '0') FROM generate_series(1, %(staff)s) n
                          RETURNING id),
                    h AS (INSERT INTO working_hours (staff_id, weekday, starts, ends)
                          SELECT s.id, d, '08:00', '20:00' FROM s, generate_series(0, 6) d)
               INSERT INTO services (salon_id, name, duration_minutes)
               SELECT %(salon)s, 'Service ' || lpad(n::text, 4, '0'), 30 FROM generate_series(1, %(services)s) n""",
            {"salon": salon.id, "staff": MAX_STAFF, "services": MAX_SERVICES},
        )
        await cur.execute(
            """INSERT INTO clients (salon_id, first_name, last_name, email, opted_in_reminders)
               SELECT %s, 'Client', n::text, 'c' || n || '@example.com', true FROM generate_series(1, 5000) n""",
            (salon.id,),
        )
        await cur.execute(
            """WITH picked AS (SELECT (SELECT id FROM clients WHERE salon_id = %(salon)s LIMIT 1) AS client,
                                      (SELECT id FROM services WHERE salon_id = %(salon)s LIMIT 1) AS service),
                    a AS (INSERT INTO appointments (salon_id, client_id, staff_id, service_id, start_time, end_time)
                          SELECT %(salon)s, picked.client, s.id, picked.service, t, t + interval '30 minutes'
                            FROM picked, staff s,
                                 generate_series(%(first)s::timestamptz, %(first)s::timestamptz + interval '4 hours',
                                                 interval '1 hour') t
                           WHERE s.salon_id = %(salon)s
                       RETURNING id, client_id)
               INSERT INTO notification_jobs (salon_id, client_id, appointment_id, type, channels)
               SELECT %(salon)s, client_id, id, 'booking_confirmation', '{email}' FROM a""",
            {"salon": salon.id, "first": dt.datetime.combine(tomorrow, dt.time(9), salon.zone)},
        )
        await cur.execute(
            "SELECT (SELECT id FROM appointments WHERE salon_id = %(salon)s LIMIT 1) AS appointment,"
            " (SELECT id FROM services WHERE salon_id = %(salon)s ORDER BY name LIMIT 1) AS service",
            {"salon": salon.id},
        )
        row = await cur.fetchone()
    return {"day": tomorrow.isoformat(), "appointment": str(row["appointment"]), "service": str(row["service"])}


async def test_every_page_of_a_salon_at_its_limits_answers_with_a_bounded_page(
    logged_in, db, http_server_client
) -> None:
    session, salon = await logged_in()
    ids = await fill_to_the_limits(db, salon.salon)
    pages = [
        f"/?date={ids['day']}",
        f"/appointments/new?serviceId={ids['service']}&staffId=&day={ids['day']}",
        f"/appointments/{ids['appointment']}?day={ids['day']}",
        "/staff",
        "/services",
        "/clients",
        "/jobs",
        f"/jobs?date={ids['day']}",
    ]

    async def health_meanwhile() -> int:
        await asyncio.sleep(0)  # the page's request goes first
        return (await http_server_client.fetch("/healthz", raise_error=False)).code

    most_rows = {"/staff": directory.PER_PAGE, "/services": directory.PER_PAGE, "/clients": directory.PER_PAGE,
                 "/jobs": jobs.PER_PAGE}  # fmt: skip
    for path in pages:
        answer, health = await asyncio.gather(session.get(path), health_meanwhile())
        assert (answer.code, health) == (200, 200), path
        rows = answer.body.count(b"<tr")
        assert rows <= most_rows.get(path.partition("?")[0], MAX_STAFF) + 1, f"{path}: {rows} rows, not a page"

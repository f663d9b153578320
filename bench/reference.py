"""The two yardsticks the booking benchmark compares the product with.

    python bench/reference.py --database_url=... --smtp_port=... --port=...

* ``POST /ceiling``: the same inserts a booking makes (appointment, three jobs,
  NOTIFY) in one transaction, with tornado + aiopg and nothing else: no auth,
  no validation, no domain code. Nothing real can be faster.
* ``POST /floor``: the same inserts, then the confirmation sent inline before
  answering, as the seed's app did: the client waits for the SMTP server.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from email.message import EmailMessage

import aiopg
import aiosmtplib
import tornado.web
from tornado.options import define, options, parse_command_line

define("database_url", default="")
define("smtp_port", default=0)
define("port", default=0)

INSERT_APPOINTMENT = """
    INSERT INTO appointments (salon_id, client_id, staff_id, service_id, start_time, end_time)
    SELECT %(salon)s, %(client)s, %(staff)s, %(service)s, %(start)s,
           %(start)s::timestamptz + make_interval(mins => duration_minutes)
      FROM services WHERE id = %(service)s
    RETURNING id, start_time"""
INSERT_JOBS = """
    INSERT INTO notification_jobs (salon_id, client_id, appointment_id, type, channels, run_at)
    SELECT %(salon)s, %(client)s, %(appointment)s, type, '{email}', run_at
      FROM (VALUES ('booking_confirmation', now()),
                   ('reminder_24h', %(start)s::timestamptz - interval '24 hours'),
                   ('reminder_2h', %(start)s::timestamptz - interval '2 hours')) AS jobs (type, run_at)"""


class Ceiling(tornado.web.RequestHandler):
    def check_xsrf_cookie(self) -> None:
        pass

    async def book(self) -> dict:
        params = json.loads(self.request.body)
        pool: aiopg.Pool = self.application.settings["pool"]
        async with pool.acquire() as conn, conn.cursor() as cur, cur.begin():
            await cur.execute(INSERT_APPOINTMENT, params)
            appointment_id, start = await cur.fetchone()
            await cur.execute(INSERT_JOBS, params | {"appointment": appointment_id, "start": start})
            await cur.execute("NOTIFY salonbook_jobs")
        return {"id": str(appointment_id), "startTime": start.isoformat()}

    async def post(self) -> None:
        self.set_status(201)
        self.finish(await self.book())


class Floor(Ceiling):
    async def post(self) -> None:
        booking = await self.book()
        message = EmailMessage()
        message["From"], message["To"] = "salon@example.com", "client@example.com"
        message["Subject"] = "Your appointment is confirmed"
        message.set_content(f"See you at {booking['startTime']}")
        await aiosmtplib.send(message, hostname="127.0.0.1", port=options.smtp_port)
        self.set_status(201)
        self.finish(booking)


class Health(tornado.web.RequestHandler):
    def get(self) -> None:
        self.finish({"ok": True})


async def main() -> None:
    parse_command_line()
    pool = await aiopg.create_pool(options.database_url, maxsize=10, enable_hstore=False)
    app = tornado.web.Application([("/ceiling", Ceiling), ("/floor", Floor), ("/healthz", Health)], pool=pool)
    app.listen(options.port, "127.0.0.1")
    print(f"reference servers on {dt.datetime.now(dt.UTC):%H:%M:%S}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())

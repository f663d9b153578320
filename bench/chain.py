"""A chain of salons with two years of history, made in SQL on a migrated database, for the scale benchmark.

    generate(url, Size.chain(scale=1.0))            # 200 salons, 100,000 clients, 1,000,000 appointments
    generate(url, Size.chain(1.0, history=False))   # the same salons, staff and services; nothing else

Every statement is set-based (generate_series), so the whole chain takes
minutes, not hours. Ids are md5s of a row's number, so later statements find
the salon, staff, service and client of a number without joins. A salon's
appointments are 7 a day (one per hour 09:00-15:00, stylist = hour mod 5, so
nobody is ever double-booked), ending 30 days from today; each has its
confirmation and two reminders: done in the past (97 % completed, 2 % failed,
cancelled with a cancelled appointment), pending ahead. Done jobs have an
attempt row per channel; texts have the provider's delivery report.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg2

SALONS = 200
CLIENTS = 100_000
APPOINTMENTS = 1_000_000
STAFF_PER_SALON = 5
SERVICES_PER_SALON = 5
PER_DAY = 7  # appointments per salon per day
DAYS_AHEAD = 30  # the last appointments are this many days from today
JOBS_PER_APPOINTMENT = 3  # booking_confirmation, reminder_24h, reminder_2h
TOKEN = "chain-token-{}"  # salon n's API token  # noqa: S105
OWNER = "owner{}@chain.example"  # salon n's owner's login
TIMEZONE = "Europe/London"


@dataclass(frozen=True)
class Size:
    salons: int
    clients: int
    appointments: int

    @classmethod
    def chain(cls, scale: float = 1.0, *, history: bool = True) -> Size:
        """The chain at ``scale`` (1.0: 200 salons ...); without history, only the salons, staff and services."""
        salons = max(1, round(SALONS * scale))
        if not history:
            return cls(salons, 0, 0)
        return cls(salons, max(salons, round(CLIENTS * scale)), max(salons * PER_DAY, round(APPOINTMENTS * scale)))

    @property
    def days(self) -> int:
        """Days of appointments per salon, the last DAYS_AHEAD of them ahead of today."""
        return math.ceil(self.appointments / self.salons / PER_DAY)


SALON_ROWS = """
INSERT INTO salons (id, slug, name, address, timezone, email, phone, sms_countries)
SELECT md5('salon' || n)::uuid, 'chain-' || n, 'Chain Salon ' || n, n || ' High Street, Bath', %(zone)s,
       'salon' || n || '@chain.example', '+44117496' || lpad(n::text, 4, '0'), '{GB}'
  FROM generate_series(1, %(salons)s) n;
INSERT INTO users (salon_id, email, password_hash, role)
SELECT md5('salon' || n)::uuid, format(%(owner)s, n), %(password_hash)s, 'owner' FROM generate_series(1, %(salons)s) n;
INSERT INTO api_tokens (salon_id, token_hash, name)
SELECT md5('salon' || n)::uuid, sha256(convert_to(format(%(token)s, n), 'UTF8')), 'website'
  FROM generate_series(1, %(salons)s) n;
INSERT INTO staff (id, salon_id, first_name, last_name, email)
SELECT md5('staff' || n || '-' || k)::uuid, md5('salon' || n)::uuid,
       (ARRAY['Bea', 'Cy', 'Dee', 'Eve', 'Flo'])[k + 1], 'Stylist', NULL
  FROM generate_series(1, %(salons)s) n, generate_series(0, %(staff)s - 1) k;
INSERT INTO working_hours (staff_id, weekday, starts, ends)
SELECT md5('staff' || n || '-' || k)::uuid, d, '09:00', '18:00'
  FROM generate_series(1, %(salons)s) n, generate_series(0, %(staff)s - 1) k, generate_series(0, 5) d;
INSERT INTO services (id, salon_id, name, duration_minutes, price_cents)
SELECT md5('service' || n || '-' || k)::uuid, md5('salon' || n)::uuid,
       (ARRAY['Cut', 'Cut & blow-dry', 'Colour', 'Highlights', 'Beard trim'])[k + 1],
       (ARRAY[30, 45, 60, 60, 30])[k + 1], (ARRAY[3000, 4500, 6500, 8000, 1500])[k + 1]
  FROM generate_series(1, %(salons)s) n, generate_series(0, %(services)s - 1) k"""

# Client g belongs to salon g mod salons + 1; its number there, j = g / salons, names it (500 names a salon).
CLIENT_ROWS = """
INSERT INTO clients (id, salon_id, first_name, last_name, email, phone, opted_in_reminders, created_at)
SELECT md5('client' || g)::uuid, md5('salon' || (g %% %(salons)s + 1))::uuid, first, last,
       lower(first || '.' || last || g) || '@example.com',
       CASE WHEN g %% 5 < 2 THEN '+447700' || lpad(g::text, 6, '0') END,
       true, now() - (g %% 730) * interval '1 day'
  FROM generate_series(0, %(clients)s - 1) g,
       LATERAL (SELECT (ARRAY['Ann', 'Ben', 'Cara', 'Dan', 'Ella', 'Finn', 'Gail', 'Hugo', 'Isla', 'Jack',
                              'Kate', 'Liam', 'Maya', 'Noah', 'Olga', 'Paul', 'Rosa', 'Sam', 'Tara', 'Umar'])
                       [g / %(salons)s %% 20 + 1] AS first,
                       (ARRAY['Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies',
                              'Patel', 'Wright', 'Walker', 'Thompson', 'Evans', 'Roberts', 'Green', 'Hall',
                              'Wood', 'Hughes', 'Lewis', 'Clarke', 'Khan', 'Murphy', 'Price', 'Bennett', 'Cook'])
                       [g / %(salons)s / 20 %% 25 + 1] AS last) names"""

# Appointment g: salon n = g mod salons + 1, its i-th there: day i / 7 (from `days` ago), hour 9 + i mod 7.
APPOINTMENT_ROWS = """
INSERT INTO appointments (salon_id, client_id, staff_id, service_id, start_time, end_time, status, created_at,
                          updated_at, cancelled_by)
SELECT md5('salon' || n)::uuid, md5('client' || ((i * 7919) %% per_salon * %(salons)s + n - 1))::uuid,
       md5('staff' || n || '-' || (i %% 7 %% %(staff)s))::uuid, md5('service' || n || '-' || (i %% %(services)s))::uuid,
       start, start + (ARRAY[30, 45, 60, 60, 30])[i %% %(services)s + 1] * interval '1 minute',
       CASE WHEN start > now() THEN 'booked' WHEN g %% 100 < 5 THEN 'cancelled' WHEN g %% 100 < 8 THEN 'no_show'
            ELSE 'completed' END,
       least(now(), start - (1 + g %% 20) * interval '1 day'), least(now(), start),
       CASE WHEN start <= now() AND g %% 100 < 5 THEN 'salon' END
  FROM generate_series(0, %(appointments)s - 1) g,
       LATERAL (SELECT g %% %(salons)s + 1 AS n, g / %(salons)s AS i,
                       greatest(1, %(clients)s / %(salons)s) AS per_salon) ids,
       LATERAL (SELECT ((current_date + (i / 7 - %(days)s + %(ahead)s)) + (9 + i %% 7) * interval '1 hour')
                       AT TIME ZONE %(zone)s AS start) times"""

# Three jobs per appointment; the done ones finished two seconds after they were due.
JOB_ROWS = """
INSERT INTO notification_jobs (salon_id, client_id, appointment_id, type, payload, channels, channels_done, status,
                               attempts, error, run_at, locked_by, locked_at, created_at, updated_at, processed_at)
SELECT a.salon_id, a.client_id, a.id, kind, jsonb_build_object('startTime', to_char(a.start_time AT TIME ZONE 'UTC',
       'YYYY-MM-DD"T"HH24:MI:SS+00:00')), channels,
       CASE WHEN job = 'completed' THEN channels ELSE '{}' END, job,
       CASE WHEN job IN ('completed', 'failed') THEN 1 ELSE 0 END,
       CASE WHEN job = 'failed' THEN 'the mail server refused the address: 550 5.1.1 no such mailbox'
            WHEN job = 'cancelled' THEN 'its appointment was cancelled' END,
       run_at, CASE WHEN job IN ('completed', 'failed') THEN 'chain-worker' END,
       CASE WHEN job IN ('completed', 'failed') THEN run_at END, a.created_at,
       CASE WHEN job = 'pending' THEN a.created_at ELSE run_at + interval '2 seconds' END,
       CASE WHEN job = 'pending' THEN NULL ELSE run_at + interval '2 seconds' END
  FROM appointments a JOIN clients c ON c.id = a.client_id,
       LATERAL (SELECT CASE WHEN c.phone IS NULL THEN '{email}' ELSE '{email,sms}' END::text[] AS channels) ch,
       LATERAL (VALUES ('booking_confirmation', a.created_at), ('reminder_24h', a.start_time - interval '24 hours'),
                       ('reminder_2h', a.start_time - interval '2 hours')) AS planned (kind, run_at),
       LATERAL (SELECT CASE WHEN run_at > now() THEN 'pending'
                            WHEN a.status = 'cancelled' AND kind <> 'booking_confirmation' THEN 'cancelled'
                            WHEN hashtext(a.id::text || kind) %% 50 = 0 THEN 'failed'
                            ELSE 'completed' END AS job) s"""

ATTEMPT_ROWS = """
INSERT INTO notification_attempts (job_id, attempt, channel, outcome, detail, worker_id, created_at, finished_at,
                                   provider_id)
SELECT j.id, 1, channel, CASE WHEN j.status = 'completed' THEN 'sent' ELSE 'permanent' END,
       CASE WHEN j.status = 'failed' THEN j.error WHEN channel = 'email' THEN 'accepted by the mail server'
            ELSE 'accepted by the SMS provider' END,
       'chain-worker', j.run_at, j.processed_at,
       CASE WHEN channel = 'sms' AND j.status = 'completed' THEN 'SM' || md5(j.id::text) END
  FROM notification_jobs j, unnest(j.channels) channel
 WHERE j.status IN ('completed', 'failed')"""

DELIVERY_ROWS = """
INSERT INTO sms_deliveries (message_sid, status, rank, error_code, reported_at)
SELECT provider_id, CASE WHEN id %% 40 = 0 THEN 'undelivered' ELSE 'delivered' END, 3,
       CASE WHEN id %% 40 = 0 THEN 30003 END, finished_at + interval '5 seconds'
  FROM notification_attempts WHERE provider_id IS NOT NULL"""

TABLES = ("salons", "users", "api_tokens", "staff", "working_hours", "services", "clients", "appointments",
          "notification_jobs", "notification_attempts", "sms_deliveries")  # fmt: skip


def generate(
    url: str, size: Size, password_hash: str, progress: Callable[[str], None] = print, *, jobs: bool = True
) -> None:
    """Fills the migrated, empty database at ``url`` with the chain of ``size``; owners log in with the password
    whose hash is ``password_hash``. Ends with VACUUM ANALYZE: a chain's tables are vacuumed and analysed.
    ``jobs=False`` leaves out the notification jobs, their attempts and reports (a benchmark of bookings alone)."""
    params = {
        "salons": size.salons,
        "clients": size.clients,
        "appointments": size.appointments,
        "days": size.days,
        "ahead": DAYS_AHEAD,
        "staff": STAFF_PER_SALON,
        "services": SERVICES_PER_SALON,
        "zone": TIMEZONE,
        "owner": OWNER.replace("{}", "%s"),
        "token": TOKEN.replace("{}", "%s"),
        "password_hash": password_hash,
    }
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for name, statement in (
                ("salons, owners, tokens, staff, services", SALON_ROWS),
                ("clients", CLIENT_ROWS),
                ("appointments", APPOINTMENT_ROWS),
                *(
                    [("notification jobs", JOB_ROWS), ("attempts", ATTEMPT_ROWS), ("delivery reports", DELIVERY_ROWS)]
                    if jobs
                    else []
                ),
                ("vacuum analyze", "VACUUM (ANALYZE) " + ", ".join(TABLES)),
            ):
                started = time.perf_counter()
                cur.execute(statement, params)
                progress(f"  {name}: {time.perf_counter() - started:.1f} s")
    finally:
        conn.close()


def counts(url: str) -> dict[str, int]:
    """Rows per table of the chain."""
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(" UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in TABLES))
            return dict(cur.fetchall())
    finally:
        conn.close()

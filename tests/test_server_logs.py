"""A whole run's log, read as an attacker who got hold of it would: ids, never a client's email, phone number,
booking code or the token of a link. Also the net under the code (logs.private) on its own."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import psycopg2
import psycopg2.extras

import logs
from tests.processes import SERVER, clean_env, serving
from tests.servers import twilio_signature

EMAIL, PHONE = "ann.private@example.com", "+447700900123"
ONLINE_EMAIL = "eve.private@example.com"
AUTH_TOKEN = "log-test-auth-token"


def call(port: int, method: str, path: str, body: object = None, token: str = "") -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {}),
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - our own http:// URL
            text = answer.read()
            return answer.status, json.loads(text) if text.startswith(b"{") or text.startswith(b"[") else {}
    except urllib.error.HTTPError as refused:
        return refused.code, {}


def signed_text(port: int, public_url: str, sender: str, body: str) -> int:
    params = [("From", sender), ("To", "+441225000000"), ("Body", body), ("MessageSid", "SM" + "1" * 32)]
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/sms/inbound",
        data=urllib.parse.urlencode(params).encode(),
        headers={"X-Twilio-Signature": twilio_signature(f"{public_url}/sms/inbound", params, AUTH_TOKEN)},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - our own http:// URL
        return int(answer.status)


def wait_for_rows(database_url: str, sql: str, count: int) -> list[dict]:
    deadline = time.monotonic() + 30
    while True:
        with psycopg2.connect(database_url) as conn, conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(sql)
            rows = cur.fetchall()
        conn.close()
        if len(rows) >= count:
            return rows
        assert time.monotonic() < deadline, f"{len(rows)} of {count} rows after 30 s: {sql}"
        time.sleep(0.2)


def test_a_whole_run_logs_no_address_number_code_or_link_token(database_url: str) -> None:
    created = subprocess.run(
        [sys.executable, SERVER, f"--database_url={database_url}", "create-salon", "--name=Logged",
         "--timezone=Europe/London", "--owner_email=owner.private@example.com", "--owner_password=long enough!"],
        env=clean_env(), capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    made = json.loads(created.stdout)
    token, slug = made["api_token"], made["slug"]
    with serving(f"--database_url={database_url}", f"--sms_auth_token={AUTH_TOKEN}", "--poll_interval=0.2") as run:
        port = run.port
        public_url = f"http://127.0.0.1:{port}"
        hours = [{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(7)]
        staff = call(port, "POST", "/api/v1/staff", {"firstName": "Bea", "workingHours": hours}, token)[1]
        service = call(port, "POST", "/api/v1/services", {"name": "Cut", "durationMinutes": 45}, token)[1]
        client = {"firstName": "Ann", "email": EMAIL, "phone": PHONE, "optedInReminders": True}
        client_id = call(port, "POST", "/api/v1/clients", client, token)[1]["id"]
        start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
        booking = {"clientId": client_id, "staffId": staff["id"], "serviceId": service["id"]}
        assert call(port, "POST", "/api/v1/appointments", booking | {"startTime": start.isoformat()}, token)[0] == 201
        assert call(port, "GET", f"/api/v1/clients?q={urllib.parse.quote(EMAIL)}", token=token)[0] == 200

        call(port, "PATCH", "/api/v1/salon", {"onlineBooking": {"enabled": True, "minNoticeMinutes": 0}}, token)
        later = start + dt.timedelta(days=1)
        hold = {
            "serviceId": service["id"],
            "startTime": later.isoformat(),
            "firstName": "Eve",
            "email": ONLINE_EMAIL,
            "optedInReminders": True,
        }
        status, held = call(port, "POST", f"/api/public/{slug}/bookings", hold)
        assert status == 202, held
        [code_mail] = wait_for_rows(
            database_url, f"SELECT body FROM outbox_messages WHERE '{ONLINE_EMAIL}' = ANY(recipients)", 1
        )
        code = re.search(r"\b(\d{6})\b", code_mail["body"])[1]
        verified = call(port, "POST", f"/api/public/{slug}/bookings/{held['holdId']}/verify", {"code": code})
        assert verified[0] == 201

        sent = wait_for_rows(database_url, "SELECT body FROM outbox_messages WHERE channel = 'email'", 3)
        links = {found for mail in sent for found in re.findall(r"/(?:m|u)/[A-Za-z0-9_-]{16,}", mail["body"])}
        assert any(link.startswith("/m/") for link in links) and any(link.startswith("/u/") for link in links)
        for link in links:
            assert call(port, "GET", link)[0] == 200, link
        assert signed_text(port, public_url, PHONE, "Running late, sorry") == 200
    log = run.output
    assert "GET /m/…" in log and "GET /u/…" in log, "the requests are logged, their tokens are not"
    secrets = [EMAIL, ONLINE_EMAIL, "owner.private@example.com", PHONE, PHONE[3:], token,
               *(link.split("/")[2] for link in links)]  # fmt: skip
    for secret in secrets:
        assert secret not in log, f"{secret} is in the log:\n{log}"
    assert not re.search(rf"(?<!\d){code}(?!\d)", log), f"the booking code {code} is in the log"


def test_the_net_under_the_log_blots_out_what_slipped_through() -> None:
    line = "Key (email)=(ann@example.com) exists; texted +447700900123; GET /m/AbCdEfGhIjKlMnOpQrStUv (1.2.3.4)"
    assert logs.private(line) == "Key (email)=(…@…) exists; texted +…; GET /m/… (1.2.3.4)"
    assert logs.private("GET /cal/AbCdEfGhIjKlMnOpQrStUv.ics") == "GET /cal/….ics", "a calendar feed's token"
    assert logs.private("POST /w/AbCdEfGhIjKlMnOpQrStUv/claim") == "POST /w/…/claim", "a waitlist offer's link"

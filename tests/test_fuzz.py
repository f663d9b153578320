"""Property-based attacks on a real server process: the API against its own OpenAPI document
(schemathesis), the front desk's forms and query strings with random and tricky text (hypothesis).

Neither may find a 5xx, nor an answer the document does not describe. Both runs are bounded.
"""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from tests.processes import SERVER, Served, clean_env, serving

OWNER, PASSWORD = "owner@fuzz.example", "correct horse battery"
TRICKY = [
    "", " ", "0", "-1", "²", "٣", "9" * 400, "1e30", "NaN", "9999-12-31", "0001-01-01", "2030-02-30",
    "09:00+01:00", "24:00", "\x00", "\r\n", "%00", "'; DROP TABLE clients; --", "<script>", "{field}",
    "\U0001d518\U0001d52b", "00000000-0000-0000-0000-000000000000", "//evil.example", "a" * 5000,
]  # fmt: skip
values = st.one_of(st.sampled_from(TRICKY), st.text(st.characters(exclude_categories=("Cs",)), max_size=60))
# JSON can carry what a form cannot: half of a surrogate pair ("\ud800"), which no UTF-8 text holds.
json_values = st.one_of(values, st.text(st.characters(categories=("Cs", "Nd")), min_size=1, max_size=8))


@dataclass
class Desk:
    served: Served
    token: str
    ids: dict[str, str]
    opener: urllib.request.OpenerDirector
    xsrf: str

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.served.port}{path}"

    def api(self, method: str, path: str, body: object = None) -> dict:
        request = urllib.request.Request(  # noqa: S310 - our own http:// URL
            self.url(f"/api/v1{path}"),
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - our own http:// URL
            return json.loads(answer.read())

    def status_of(self, path: str, form: dict[str, str] | None = None) -> int:
        """GET ``path``, or POST ``form`` to it, as the logged-in owner; the status, never raising."""
        data = urllib.parse.urlencode(form | {"_xsrf": self.xsrf}).encode() if form is not None else None
        try:
            with self.opener.open(self.url(path), data=data, timeout=10) as answer:
                return answer.status
        except urllib.error.HTTPError as refused:
            return refused.code


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_: object, **__: object) -> None:
        return None  # a 303 after a form is an answer to look at, not a page to fetch


@pytest.fixture(scope="module")
def desk(database_url: str) -> Iterator[Desk]:
    """A server process with a salon that has staff, a service, a client and a booking; its owner logged in."""
    created = subprocess.run(
        [sys.executable, SERVER, f"--database_url={database_url}", "create-salon", "--name=Fuzz",
         "--timezone=Europe/London", f"--owner_email={OWNER}", f"--owner_password={PASSWORD}"],
        env=clean_env(), capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    made = json.loads(created.stdout)
    token = made["api_token"]
    options = (
        f"--database_url={database_url}",
        "--worker=false",
        "--smtp_host=127.0.0.1",
        "--api_rate=100000",
        "--public_rate=100000",
    )
    with serving(*options) as served:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirects)
        desk = Desk(served, token, {}, opener, "")
        desk.status_of("/login")
        desk.xsrf = next(cookie.value for cookie in jar if cookie.name == "_xsrf")
        assert desk.status_of("/login", {"email": OWNER, "password": PASSWORD}) == 303
        hours = [{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(7)]
        staff = desk.api("POST", "/staff", {"firstName": "Bea", "workingHours": hours})
        service = desk.api("POST", "/services", {"name": "Cut", "durationMinutes": 45})
        client = desk.api(
            "POST", "/clients", {"firstName": "Ann", "email": "ann@example.com", "optedInReminders": True}
        )
        start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
        ids = {"clientId": client["id"], "staffId": staff["id"], "serviceId": service["id"]}
        booked = desk.api("POST", "/appointments", ids | {"startTime": start.isoformat()})
        desk.ids = {"staff": staff["id"], "service": service["id"], "client": client["id"], "appointment": booked["id"],
                    "slug": made["slug"]}  # fmt: skip
        desk.api("PATCH", "/salon", {"onlineBooking": {"enabled": True}})
        yield desk


def test_the_api_keeps_to_its_openapi_document_whatever_it_is_sent(desk: Desk, tmp_path: Path) -> None:
    checks = ",".join(
        ("not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance",
         "response_headers_conformance", "negative_data_rejection")
    )  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", desk.url("/api/v1/openapi.json"),
         "--url", desk.url(""), "--header", f"Authorization: Bearer {desk.token}", "--checks", checks,
         "--max-examples", "25", "--max-time", "60", "--seed", "20261128", "--no-color",
         "--generation-database", "none", "--report-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=240, check=False, cwd=ROOT,
        env=clean_env() | {"SCHEMATHESIS_HOOKS": "tests.fuzz_hooks", "SALONBOOK_FUZZ_SLUG": desk.ids["slug"]},
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=values, last=values, email=values, phone=values, opted=values)
def test_the_client_form_never_fails_on_what_is_typed(desk: Desk, first, last, email, phone, opted) -> None:
    form = {"firstName": first, "lastName": last, "email": email, "phone": phone, "optedInReminders": opted}
    assert desk.status_of("/clients/new", form) in (303, 400, 409)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=values, minutes=values, price=values, weekday=values, start=values, end=values)
def test_the_service_and_staff_forms_never_fail(desk: Desk, name, minutes, price, weekday, start, end) -> None:
    assert desk.status_of("/services/new", {"name": name, "durationMinutes": minutes, "priceCents": price}) in (
        303, 400, 409,
    )  # fmt: skip
    staff_form = {"firstName": name, "lastName": "", "email": "", "workingHours[0].weekday": weekday,
                  "workingHours[0].start": start, "workingHours[0].end": end}  # fmt: skip
    assert desk.status_of("/staff/new", staff_form) in (303, 400, 409)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=values, when=values, notes=values, staff=values, slot=values, after=values)
def test_booking_moving_and_browsing_never_fail(desk: Desk, day, when, notes, staff, slot, after) -> None:
    ids = desk.ids
    new_client = dict.fromkeys(("firstName", "lastName", "email", "phone", "optedInReminders"), "")
    booking = {"serviceId": ids["service"], "staffId": staff, "day": day, "clientId": ids["client"],
               "startTime": slot, "notes": notes}  # fmt: skip
    assert desk.status_of("/appointments/new", booking | new_client) in (303, 400, 404, 409)
    move = {"startTime": when, "staffId": staff, "day": day}
    assert desk.status_of(f"/appointments/{ids['appointment']}/reschedule", move) in (303, 400, 404, 409)
    for path in (f"/?date={day}", f"/jobs?status={staff}&type={notes}&date={day}&after={after}",
                 f"/clients?q={notes}&after={after}", f"/appointments/new?serviceId={ids['service']}&day={day}",
                 f"/appointments/{ids['appointment']}?day={day}&staffId={staff}"):  # fmt: skip
        quoted = urllib.parse.quote(path, safe="/?&=")
        assert desk.status_of(quoted) in (200, 302, 400, 404), path


def _public(desk: Desk, method: str, path: str, body: object = None) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 - our own http:// URL
        desk.url(f"/api/public/{desk.ids['slug']}{path}"),
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - our own http:// URL
            return int(answer.status), json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, {}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=values, email=values, phone=values, when=values, day=values, code=values, typed=json_values)
def test_the_public_booking_never_fails(desk: Desk, first, email, phone, when, day, code, typed) -> None:
    """Strangers' input to the online booking API, its page and the clients' links: an answer, never a 500."""
    ids = desk.ids
    hold = {"serviceId": ids["service"], "staffId": ids["staff"], "startTime": when, "firstName": first,
            "email": email, "phone": phone, "optedInReminders": code}  # fmt: skip
    status, held = _public(desk, "POST", "/bookings", hold)
    assert status in (202, 400, 404, 409, 429)
    hold_id = held.get("holdId") or urllib.parse.quote(code, safe="")
    assert _public(desk, "POST", f"/bookings/{hold_id}/verify", {"code": typed})[0] in (400, 404, 409)
    slots = f"/slots?{urllib.parse.urlencode({'serviceId': ids['service'], 'date': day, 'staffId': first})}"
    assert _public(desk, "GET", slots)[0] in (200, 400, 404)
    page = f"/book/{ids['slug']}"
    form = {"serviceId": ids["service"], "staffId": "any", "startTime": when, "firstName": first, "email": email,
            "phone": phone}  # fmt: skip
    assert desk.status_of(page, form) in (303, 400, 404, 409, 429)
    choices = urllib.parse.urlencode({"serviceId": ids["service"], "staffId": first, "date": day, "startTime": when})
    assert desk.status_of(f"{page}?{choices}") in (200, 400, 404)
    assert desk.status_of(f"/m/{urllib.parse.quote(code, safe='')}") in (404,)

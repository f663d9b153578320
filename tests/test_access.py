"""Who may open what (booking/access.py): every route of the application, asked by each role, answers as this
table says; a route the table does not know fails the test, so no route goes without a decision."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from booking import access, api_tokens
from booking.models import Role
from handlers.app import Salonbook, WebSettings
from handlers.base import allowed_methods
from tests.desk import set_up_desk
from tests.page_fixtures import PageSession, add_receptionist, add_stylist

OPEN = "the same for every role"  # no login: public pages and API, the provider's webhooks, logging in
E, D, OWN = access.EVERYONE, access.DESK, access.OWNER  # everyone, the front desk, the owner
ID, TOKEN = "([^/]+)", "([A-Za-z0-9_-]+)"

# The route table's patterns, as Tornado holds them -> the roles each method admits (or one set for all).
EXPECTED: dict[str, object] = {
    r"/(robots\.txt)$": OPEN,
    r"/(favicon\.ico)$": OPEN,
    r"/static/(.*)$": OPEN,
    "/api/v1/salon$": OWN,
    "/api/v1/salon/export$": OWN,
    f"/api/v1/salon/messages/{ID}/{ID}$": OWN,
    f"/api/v1/salon/messages/{ID}/{ID}/preview$": OWN,
    "/api/v1/salon/stripe$": OWN,  # the salon's Stripe keys: the owner's alone
    f"/api/v1/appointments/{ID}/payments$": D,
    f"/api/v1/appointments/{ID}/refund$": OWN,
    "/api/v1/staff$": D,
    f"/api/v1/staff/{ID}$": D,
    f"/api/v1/staff/{ID}/calendar-feed$": access.FEEDS,  # a stylist's own only (tests/test_calendar_feeds.py)
    "/api/v1/services$": D,
    f"/api/v1/services/{ID}$": D,
    "/api/v1/clients$": D,
    f"/api/v1/clients/{ID}$": D,
    f"/api/v1/clients/{ID}/export$": OWN,
    f"/api/v1/clients/{ID}/erase$": OWN,
    "/api/v1/appointments$": D,
    f"/api/v1/appointments/{ID}$": D,
    f"/api/v1/appointments/{ID}/cancel$": D,
    f"/api/v1/appointments/{ID}/outcome$": D,
    f"/api/v1/clients/{ID}/appointments$": D,
    f"/api/v1/clients/{ID}/notes$": D,
    "/api/v1/reports$": OWN,
    f"/api/v1/staff/{ID}/time-off$": D,
    f"/api/v1/staff/{ID}/time-off/{ID}$": D,
    "/api/v1/jobs$": D,
    "/api/v1/jobs/stats$": D,
    f"/api/v1/jobs/{ID}$": D,
    f"/api/v1/jobs/{ID}/retry$": D,
    f"/api/v1/jobs/{ID}/cancel$": D,
    "/api/v1/team$": OWN,
    "/api/v1/team/invitations$": OWN,
    r"/api/v1/openapi\.json$": OPEN,
    f"/api/public/{ID}/services$": OPEN,
    f"/api/public/{ID}/slots$": OPEN,
    f"/api/public/{ID}/bookings$": OPEN,
    f"/api/public/{ID}/bookings/{ID}/verify$": OPEN,
    f"/api/public/{ID}/waitlist$": OPEN,
    f"/api/public/{ID}/waitlist/{ID}/verify$": OPEN,
    "/api/v1/waitlist$": D,
    "/api/public/(.*)$": OPEN,
    "/api/(.*)$": E,  # an unknown endpoint: 404 for every token
    "/healthz$": OPEN,
    "/metrics$": OPEN,
    f"/m/{TOKEN}$": OPEN,
    f"/m/{TOKEN}/confirm$": OPEN,
    f"/m/{TOKEN}/cancel$": OPEN,
    f"/m/{TOKEN}/reschedule$": OPEN,
    f"/u/{TOKEN}$": OPEN,
    f"/book/{ID}$": OPEN,
    f"/book/{ID}/code/{ID}$": OPEN,
    f"/book/{ID}/pay/{ID}$": OPEN,
    f"/book/{ID}/paid/{ID}$": OPEN,
    f"/book/{ID}/waitlist$": OPEN,
    f"/book/{ID}/waitlist/{ID}$": OPEN,
    "/w/([A-Za-z0-9_-]+)$": OPEN,
    "/w/([A-Za-z0-9_-]+)/claim$": OPEN,
    "/w/([A-Za-z0-9_-]+)/leave$": OPEN,
    "/waitlist$": D,
    f"/waitlist/{ID}/remove$": D,
    "/sms/inbound$": OPEN,
    "/sms/status$": OPEN,
    f"/stripe/webhook/{ID}$": OPEN,  # signed with the salon's own webhook secret
    rf"/cal/{TOKEN}\.ics$": OPEN,
    "/setup$": OPEN,
    "/login$": OPEN,
    "/logout$": OPEN,
    "/account$": E,
    "/account/language$": E,
    "/$": E,
    "/appointments/new$": D,
    f"/appointments/{ID}$": E,  # a stylist's own only (test below)
    f"/appointments/{ID}/cancel$": D,
    f"/appointments/{ID}/reschedule$": D,
    f"/appointments/{ID}/visit$": D,
    f"/appointments/{ID}/refund$": OWN,
    "/clients$": D,
    "/clients/new$": D,
    f"/clients/{ID}/edit$": {"GET": E, "POST": D},  # a stylist reads their own clients (test below)
    f"/clients/{ID}$": E,  # a stylist's own clients only, with their notes
    f"/clients/{ID}/notes$": E,
    "/reports$": OWN,
    "/settings/messages$": OWN,
    f"/settings/messages/{ID}/{ID}$": OWN,
    f"/settings/messages/{ID}/{ID}/reset$": OWN,
    rf"/staff/{ID}/time\-off$": D,
    rf"/staff/{ID}/time\-off/{ID}/remove$": D,
    "/staff$": D,
    "/staff/new$": D,
    f"/staff/{ID}/edit$": D,
    rf"/staff/{ID}/calendar\-feed$": access.FEEDS,
    rf"/staff/{ID}/calendar\-feed/revoke$": access.FEEDS,
    "/services$": D,
    "/services/new$": D,
    f"/services/{ID}/edit$": D,
    "/jobs$": D,
    f"/jobs/{ID}$": D,
    f"/jobs/{ID}/retry$": D,
    f"/jobs/{ID}/cancel$": D,
    "/inbox$": D,
    f"/inbox/{ID}$": D,
    "/outbox$": D,
    f"/outbox/texts/{ID}$": D,
    f"/outbox/{ID}$": D,
    f"/clients/{ID}/export$": OWN,
    f"/clients/{ID}/erase$": OWN,
    "/team$": OWN,
    f"/team/members/{ID}/remove$": OWN,
    f"/team/invitations/{ID}/withdraw$": OWN,
    f"/invite/{ID}$": OPEN,
    "/tokens$": OWN,
    f"/tokens/{ID}/revoke$": OWN,
    "/settings$": OWN,
    "/settings/export$": OWN,
    "/settings/backups/newest$": OWN,
    "/settings/sessions/end$": OWN,
    "/settings/stripe$": OWN,
    "/settings/stripe/remove$": OWN,
    "/settings/fees$": OWN,
    "/(.*)$": OPEN,
}
ENDS_SESSIONS = {"/logout$", "/settings/sessions/end$"}  # after these, everyone logs in again


@pytest.fixture
def app(db) -> Salonbook:
    """With the outbox in use (else its pages are not there for anyone), and no rate limit in the way."""
    many = WebSettings(api_rate=1000, public_rate=1000)
    return Salonbook(db=db, cookie_secret="test-cookie-secret", settings=many, outbox_enabled=True)


def a_path(pattern: str, an_id: uuid.UUID) -> str:
    """A path the pattern matches: each id ``an_id`` (the stylist's staff member's: no other thing's), each
    token one of nothing."""
    filled = {ID: str(an_id), TOKEN: "no-such-token", "(.*)": "nothing/here"}
    path = pattern.removesuffix("$")
    for group, value in filled.items():
        path = path.replace(group, value)
    return re.sub(r"\((.*?)\)", r"\1", path).replace("\\", "")


def routes(app: Salonbook) -> list[tuple[str, str]]:
    """(pattern, method) of every route, every method it answers but HEAD (GET's twin)."""
    return [
        (rule.matcher.regex.pattern, method)
        for rule in app.wildcard_router.rules
        for method in allowed_methods(rule.target)
        if method != "HEAD"
    ]


async def test_every_route_answers_each_role_as_the_table_says(app, db, make_salon, pages, http_server_client) -> None:
    salon = await make_salon()
    desk = await set_up_desk(db, salon.salon)
    emails = {
        Role.OWNER: salon.owner.email,
        Role.RECEPTIONIST: await add_receptionist(db, salon.salon.id),
        Role.STYLIST: await add_stylist(db, salon.salon.id, desk.staff.id),
    }
    tokens = {}
    async with db.transaction() as cur:
        for role, email in emails.items():
            await cur.execute("SELECT id FROM users WHERE email = %s", (email,))
            tokens[role] = await api_tokens.add(cur, salon.salon.id, (await cur.fetchone())["id"], role)
    sessions: dict[Role, PageSession] = {}

    async def log_in_all() -> None:
        for role, email in emails.items():
            sessions[role] = pages()
            await sessions[role].login(email)

    async def ask(role: Role, path: str, method: str) -> int:
        if path.startswith("/api/") and not path.startswith("/api/public/"):
            body = b"{}" if method in ("POST", "PATCH", "PUT") else None
            headers = {"Authorization": f"Bearer {tokens[role]}", "Content-Type": "application/json"}
            response = await http_server_client.fetch(
                path,
                method=method,
                body=body,
                headers=headers,
                raise_error=False,
                follow_redirects=False,
                allow_nonstandard_methods=True,
            )
            return int(response.code)
        session = sessions[role]
        body = b"" if method in ("PATCH", "PUT") else None
        response = await (session.post(path, {}) if method == "POST" else session.fetch(path, method, body))
        if response.code in (302, 303) and response.headers.get("Location", "").startswith("/login?next="):
            return 401  # sent to log in: a page that lost its session, never an answer here
        return int(response.code)

    await log_in_all()
    unknown = sorted({pattern for pattern, _ in routes(app)} - EXPECTED.keys())
    assert not unknown, f"routes without a decision in EXPECTED (and booking/access.py): {unknown}"
    wrong = []
    for pattern, method in routes(app):
        expected = EXPECTED[pattern]
        admitted = expected.get(method, D) if isinstance(expected, dict) else expected
        path = a_path(pattern, desk.staff.id)
        answers = {role: await ask(role, path, method) for role in Role}
        if pattern in ENDS_SESSIONS:
            await log_in_all()
        if admitted == OPEN:
            if len(set(answers.values())) != 1:
                wrong.append(f"{method} {path}: {answers}, expected the same for all")
            continue
        assert isinstance(admitted, frozenset)
        for role, code in answers.items():
            if (code == 403) == (role in admitted) or code == 401:
                wrong.append(f"{method} {path} as {role}: {code}, expected {'not ' if role in admitted else ''}403")
    assert not wrong, "\n".join(wrong)


async def test_a_refused_api_call_says_why_in_json(api, db, make_salon) -> None:
    salon = await make_salon()
    desk = await set_up_desk(db, salon.salon)
    email = await add_stylist(db, salon.salon.id, desk.staff.id)
    async with db.transaction() as cur:
        await cur.execute("SELECT id FROM users WHERE email = %s", (email,))
        token = await api_tokens.add(cur, salon.salon.id, (await cur.fetchone())["id"], "a stylist's")
    status, body = await api("GET", "/team", token)
    assert status == 403 and body["error"]["code"] == "forbidden", json.dumps(body)


async def test_a_token_of_no_user_is_the_salons_own(api, db, make_salon) -> None:
    """Tokens written outside the product (the benchmark's chain, a restore of an old script's) have no maker:
    they act for the salon, as its owner's, and an invitation they send comes from the salon."""
    salon = await make_salon()
    await db.execute(
        "INSERT INTO api_tokens (salon_id, token_hash, name) VALUES (%s, sha256('no one''s'::bytea), 'script')",
        (salon.salon.id,),
    )
    assert (await api("GET", "/team", "no one's"))[0] == 200
    status, _ = await api("POST", "/team/invitations", "no one's", {"email": "new@salon.example"})
    assert status == 201
    job = await db.fetch_row(
        "SELECT payload->>'invited_by' AS by FROM notification_jobs WHERE payload->>'email' = 'new@salon.example'"
    )
    assert job["by"] == salon.salon.name

"""Stylists log in: invited as one staff member of the salon, they see the calendar, their own appointments and
their own clients, and nothing of the front desk's or the owner's (tests/test_access.py asks every route)."""

from __future__ import annotations

import datetime as dt
import re

import psycopg2.errors
import pytest

from booking import appointments, clients
from booking.models import ClientDetails
from tests.desk import book_at, set_up_desk
from tests.page_fixtures import add_stylist
from tests.servers import SmtpServer


async def invitation_link(db, email: str) -> str:
    job = await db.fetch_row(
        "SELECT payload->'secret'->>'link' AS link FROM notification_jobs WHERE payload->>'email' = %s", (email,)
    )
    return "/invite/" + job["link"].rsplit("/invite/", 1)[1]


async def test_a_stylist_is_invited_as_a_staff_member_and_sees_only_their_own(logged_in, pages, db) -> None:
    owner, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    form = {"email": "bea@salon.example", "role": "stylist"}
    assert (await owner.post("/team", form | {"staffId": ""})).code == 400, "a stylist is one staff member"
    invited = await owner.post("/team", form | {"staffId": str(desk.staff.id)})
    assert invited.code == 303
    team_page = (await owner.get("/team")).body.decode()
    assert "invited: stylist (Bea Cutter)" in team_page

    bea = pages()
    link = await invitation_link(db, "bea@salon.example")
    joined = await bea.post(link, {"password": "long enough", "repeated": "long enough"})
    assert joined.code == 303
    mine = await book_at(db, salon.salon, desk, dt.time(10))
    theirs = await book_at(db, salon.salon, desk, dt.time(10), desk.other_staff)
    stranger = await clients.create_client(db, salon.salon.id, ClientDetails(first_name="Zed", last_name="Other"))
    await appointments.book(
        db,
        salon.salon,
        client_id=stranger.id,
        staff_id=desk.other_staff.id,
        service_id=desk.service.id,
        start_time=dt.datetime.combine(desk.day, dt.time(12), desk.zone),
    )

    assert (await bea.get(f"/?date={desk.day}")).code == 200, "the calendar"
    own = await bea.get(f"/appointments/{mine.id}")
    assert own.code == 200 and b"Ann Example" in own.body
    assert b"/reschedule" not in own.body and b"/jobs/" not in own.body, "the desk's forms and notices are not hers"
    assert (await bea.get(f"/appointments/{theirs.id}")).code == 404, "another stylist's appointment"
    client_page = await bea.get(f"/clients/{desk.client.id}/edit")
    assert (
        client_page.code == 200
        and b"ann@example.com" in client_page.body
        and b'<form method="post" action="/clients' not in client_page.body
    )
    assert (await bea.get(f"/clients/{stranger.id}/edit")).code == 404, "another stylist's client"
    own_client = (await bea.get(f"/clients/{desk.client.id}")).body.decode()
    assert "Ann Example" in own_client
    for desk_only in ("/appointments/new", "/waitlist", "/edit"):
        assert desk_only not in own_client, f"no way to {desk_only} on a stylist's client page"
    assert (await bea.post(f"/clients/{desk.client.id}/edit", {"firstName": "Changed"})).code == 403
    for refused in ("/team", "/settings", "/tokens", "/clients", "/jobs", "/staff", "/appointments/new"):
        assert (await bea.get(refused)).code == 403, refused
    menu = (await bea.get("/")).body.decode()
    assert 'href="/team"' not in menu and 'href="/jobs"' not in menu and "My week" in menu


async def test_the_team_api_invites_a_stylist_of_this_salon_only(api, db, make_salon) -> None:
    salon, elsewhere = await make_salon(), await make_salon()
    desk, other_desk = await set_up_desk(db, salon.salon), await set_up_desk(db, elsewhere.salon)
    token = salon.api_token
    body = {"email": "cy@salon.example", "role": "stylist"}
    status, answer = await api("POST", "/team/invitations", token, body)
    assert (status, answer["error"]["field"]) == (400, "staffId")
    status, answer = await api("POST", "/team/invitations", token, body | {"role": "owner"})
    assert (status, answer["error"]["field"]) == (400, "role")
    as_desk = {"email": "desk@salon.example", "role": "receptionist", "staffId": str(desk.staff.id)}
    status, answer = await api("POST", "/team/invitations", token, as_desk)
    assert (status, answer["error"]["field"]) == (400, "staffId"), "a receptionist is nobody's staff member"
    status, answer = await api("POST", "/team/invitations", token, body | {"staffId": str(other_desk.staff.id)})
    assert (status, answer["error"]["field"]) == (404, "staffId"), "another salon's staff member"
    status, answer = await api("POST", "/team/invitations", token, body | {"staffId": str(desk.other_staff.id)})
    assert status == 201 and answer["role"] == "stylist" and answer["staffId"] == str(desk.other_staff.id)
    status, answer = await api("POST", "/team/invitations", token, {"email": "desk@salon.example"})
    assert status == 201 and answer["role"] == "receptionist" and answer["staffId"] is None
    status, team = await api("GET", "/team", token)
    assert status == 200
    assert {(i["email"], i["role"]) for i in team["invitations"]} == {
        ("cy@salon.example", "stylist"),
        ("desk@salon.example", "receptionist"),
    }
    assert [(m["role"], m["staffId"]) for m in team["members"]] == [("owner", None)]
    status, elsewhere_team = await api("GET", "/team", elsewhere.api_token)
    assert elsewhere_team["invitations"] == [], "another salon's team is not shown"


async def test_the_database_holds_a_stylist_to_one_staff_member_of_their_own_salon(db, make_salon) -> None:
    salon, elsewhere = await make_salon(), await make_salon()
    other_desk = await set_up_desk(db, elsewhere.salon)
    with pytest.raises(psycopg2.errors.ForeignKeyViolation):
        await add_stylist(db, salon.salon.id, other_desk.staff.id)
    with pytest.raises(psycopg2.errors.CheckViolation):
        await db.execute(
            "INSERT INTO users (salon_id, email, password_hash, role) VALUES (%s, 'x@example.com', 'x', 'stylist')",
            (salon.salon.id,),
        )
    await add_stylist(db, elsewhere.salon.id, other_desk.staff.id)
    with pytest.raises(psycopg2.errors.UniqueViolation):
        await db.execute(
            """INSERT INTO users (salon_id, email, password_hash, role, staff_id)
               VALUES (%s, 'again@example.com', 'x', 'stylist', %s)""",
            (elsewhere.salon.id, other_desk.staff.id),
        )


# (locale, the stylist's subject and words, the receptionist's subject and words, the front desk as the words say it)
INVITATION_WORDS = [
    ("en-GB", "{salon} invites you to Salonbook: your day and your appointments",
     "invites you to {salon} on Salonbook as a stylist: your own week, your appointments and your clients",
     "{salon} invites you to its front desk on Salonbook", "invites you to the front desk of {salon} on Salonbook",
     "front desk"),
    ("de-DE", "{salon} lädt Sie zu Salonbook ein: Ihr Tag und Ihre Termine",
     "lädt Sie als Stylistin oder Stylist zu {salon} auf Salonbook ein: Ihre eigene Woche, Ihre Termine",
     "{salon} lädt Sie an seinen Empfang bei Salonbook ein", "lädt Sie an den Empfang von {salon} auf Salonbook ein",
     "Empfang"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("locale", "stylist_subject", "stylist_words", "desk_subject", "desk_words", "front_desk"), INVITATION_WORDS
)
async def test_a_stylists_invitation_speaks_of_their_day_and_a_receptionists_of_the_front_desk(
    logged_in,
    pages,
    db,
    smtp_server: SmtpServer,
    start_worker,
    locale: str,
    stylist_subject: str,
    stylist_words: str,
    desk_subject: str,
    desk_words: str,
    front_desk: str,
) -> None:
    owner, salon = await logged_in(locale=locale)
    name = salon.salon.name
    desk = await set_up_desk(db, salon.salon)
    stylist, receptionist = f"dee-{locale}@salon.example", f"rae-{locale}@salon.example"
    form = {"email": stylist, "role": "stylist", "staffId": str(desk.other_staff.id)}
    assert (await owner.post("/team", form)).code == 303
    assert (await owner.post("/team", {"email": receptionist, "role": "receptionist"})).code == 303
    await start_worker(smtp=smtp_server)
    mails = await smtp_server.wait_for(2)
    while not {stylist, receptionist} <= {mail["To"] for mail in mails}:  # the module's earlier mails come too
        mails = await smtp_server.wait_for(len(mails) + 1)
    sent = {mail["To"]: mail for mail in mails}

    to_stylist = sent[stylist]
    words = to_stylist.get_body(("plain",)).get_content() + to_stylist.get_body(("html",)).get_content()
    # A subject too long for one line goes whole onto the next (the email package's folding): unfolded, it starts
    # with the space that folded it.
    assert to_stylist["Subject"].strip() == stylist_subject.format(salon=name)
    assert stylist_words.format(salon=name) in words, words
    assert front_desk not in to_stylist["Subject"] + words, "a stylist is not asked to the front desk"

    to_desk = sent[receptionist]
    words = to_desk.get_body(("plain",)).get_content() + to_desk.get_body(("html",)).get_content()
    assert to_desk["Subject"].strip() == desk_subject.format(salon=name)
    assert desk_words.format(salon=name) in words, words
    assert "Stylist" not in words and "stylist" not in words, "a receptionist's is the front desk's"

    for mail, opens_the_front_desk in ((to_stylist, False), (to_desk, True)):  # the page is in the reader's language
        link = re.search(r"/invite/[\w-]+", mail.get_body(("plain",)).get_content())
        assert link, "the email carries its link"
        page = (await pages().get(link[0])).body.decode()
        assert ("front desk" in page) == opens_the_front_desk, page

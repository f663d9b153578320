"""The team: the owner invites a receptionist by email (through the queue), the link works once, the
receptionist works the front desk but not the owner's pages, and removing them ends their logins."""

from __future__ import annotations

import re

import pytest

from handlers.app import Salonbook, WebSettings
from tests.servers import SmtpServer


@pytest.fixture
def app(db) -> Salonbook:
    return Salonbook(
        db=db, cookie_secret="test-cookie-secret", settings=WebSettings(public_url="https://desk.salon.example")
    )


async def test_a_receptionist_is_invited_joins_once_and_can_be_removed(
    logged_in, pages, db, smtp_server: SmtpServer, start_worker
) -> None:
    owner, salon = await logged_in()
    assert (await owner.post("/team", {"email": "not an email"})).code == 400
    invited = await owner.post("/team", {"email": "desk@salon.example"})
    assert (invited.code, invited.headers["Location"]) == (303, "/team")
    assert "desk@salon.example" in (await owner.get("/team")).body.decode()
    assert (await owner.post("/team", {"email": salon.owner.email})).code == 400, "already in the team"

    await start_worker(smtp=smtp_server)
    [mail] = await smtp_server.wait_for(1)
    assert mail["To"] == "desk@salon.example"
    assert mail["Subject"] == f"{salon.salon.name} invites you to its front desk on Salonbook"
    link = re.search(r"https://desk\.salon\.example(/invite/[\w-]+)", mail.get_body(("plain",)).get_content())
    assert link, "the link starts with the public address"

    newcomer = pages()
    assert (await newcomer.get(link[1])).code == 200
    mismatch = await newcomer.post(link[1], {"password": "long enough", "repeated": "long enuff"})
    assert mismatch.code == 400 and b"the two passwords differ" in mismatch.body
    joined = await newcomer.post(link[1], {"password": "long enough", "repeated": "long enough"})
    assert (joined.code, joined.headers["Location"]) == (303, "/")
    assert (await newcomer.get("/")).code == 200, "logged in"
    for owners_only in ("/team", "/settings", "/tokens"):
        assert (await newcomer.get(owners_only)).code == 403, owners_only
    assert b'href="/team"' not in (await newcomer.get("/")).body
    assert (await pages().get(link[1])).code == 404, "the link works once"

    member = await db.fetch_row("SELECT id FROM users WHERE email = 'desk@salon.example'")
    assert (await owner.post(f"/team/members/{member['id']}/remove", {})).code == 303
    assert (await newcomer.get("/")).code == 302, "removed: the login ended at once"
    owner_id = salon.owner.id
    assert (await owner.post(f"/team/members/{owner_id}/remove", {})).code == 404, "the owner stays"


async def test_an_invitation_can_be_withdrawn_and_its_email_is_not_sent(logged_in, pages, db) -> None:
    owner, _ = await logged_in()
    await owner.post("/team", {"email": "late@salon.example"})
    invitation = await db.fetch_row("SELECT id FROM invitations WHERE email = 'late@salon.example'")
    job = await db.fetch_row(
        """SELECT id, payload->'secret'->>'link' AS link FROM notification_jobs
            WHERE payload->>'email' = 'late@salon.example'"""
    )
    assert (await owner.post(f"/team/invitations/{invitation['id']}/withdraw", {})).code == 303
    assert "late@salon.example" not in (await owner.get("/team")).body.decode()
    path = job["link"].removeprefix("https://desk.salon.example")
    assert (await pages().get(path)).code == 404, "a withdrawn invitation's link is dead"
    queued = await db.fetch_row("SELECT status, payload FROM notification_jobs WHERE id = %s", (job["id"],))
    assert queued["status"] == "cancelled", "its email does not go out with a dead link"
    assert "secret" not in queued["payload"], "and the link is forgotten"


async def test_inviting_someone_with_an_account_elsewhere_answers_as_for_anyone(
    logged_in, make_salon, pages, smtp_server: SmtpServer, start_worker
) -> None:
    """The owner learns nothing of other salons' accounts; only the invitation's holder is told, on accepting."""
    owner, _ = await logged_in()
    elsewhere = (await make_salon()).owner.email
    answers = [await owner.post("/team", {"email": email}) for email in ("nobody@salon.example", elsewhere)]
    assert [(a.code, a.headers["Location"]) for a in answers] == [(303, "/team")] * 2
    team_page = (await owner.get("/team")).body.decode()
    assert "nobody@salon.example" in team_page and elsewhere in team_page, "both are invited alike"

    await start_worker(smtp=smtp_server)
    invited = {"nobody@salon.example", elsewhere}  # the module's earlier invitations may come too, in any order
    while not invited <= {mail["To"] for mail in smtp_server.messages}:
        await smtp_server.wait_for(len(smtp_server.messages) + 1)
    mails = {mail["To"]: mail for mail in smtp_server.messages}
    link = re.search(
        r"https://desk\.salon\.example(/invite/[\w-]+)", mails[elsewhere].get_body(("plain",)).get_content()
    )
    assert link
    refused = await pages().post(link[1], {"password": "long enough", "repeated": "long enough"})
    assert refused.code == 400 and b"already has a Salonbook account" in refused.body, "the form, with why"

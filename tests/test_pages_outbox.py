"""The outbox page: what the built-in mail catcher kept, per salon, shown safely."""

from __future__ import annotations

import email.message

import pytest

from handlers.app import Salonbook
from outbox import messages


@pytest.fixture
def app(db) -> Salonbook:
    """The application as `python server.py` builds it without --smtp_host: the outbox is on."""
    return Salonbook(db=db, cookie_secret="test-cookie-secret", outbox_enabled=True)


def raw_email(subject: str) -> str:
    message = email.message.EmailMessage()
    message["Subject"], message["To"], message["From"] = subject, "ann@example.com", "desk@salon.example"
    message.set_content("See you on Tue 3 Dec, 10:00 (Europe/London).")
    message.add_alternative("<p>See you <b>soon</b></p><script>alert('x')</script>", subtype="html")
    message.add_attachment(b"BEGIN:VCALENDAR", maintype="text", subtype="calendar", filename="invite.ics")
    return message.as_string()


async def keep(db, salon_id, channel: str, subject: str, body: str) -> int:
    return await messages.store(
        db,
        salon_id=salon_id,
        channel=channel,
        sender="desk@salon.example",
        recipients=["ann@example.com" if channel == "email" else "+447400900123"],
        subject=subject,
        message_id=None,
        body=body,
    )


async def test_the_outbox_lists_the_salons_email_and_sms_newest_first(logged_in, db) -> None:
    session, salon = await logged_in()
    _, theirs = await logged_in()
    await keep(db, salon.salon.id, "email", "Your booking is confirmed", raw_email("Your booking is confirmed"))
    await keep(db, salon.salon.id, "sms", "", "Reminder: see you tomorrow at 10:00")
    await keep(db, theirs.salon.id, "email", "Not yours", raw_email("Not yours"))
    page = await session.get("/outbox")
    assert page.code == 200
    body = page.body.decode()
    assert body.index("Reminder: see you tomorrow") < body.index("Your booking is confirmed"), "newest first"
    assert "+447400900123" in body and "ann@example.com" in body
    assert "Not yours" not in body


async def test_an_email_is_shown_in_a_sandbox_with_its_text(logged_in, db) -> None:
    session, salon = await logged_in()
    _, theirs = await logged_in()
    mine = await keep(db, salon.salon.id, "email", "Confirmed", raw_email("Confirmed"))
    not_mine = await keep(db, theirs.salon.id, "email", "Not yours", raw_email("Not yours"))
    page = await session.get(f"/outbox/{mine}")
    assert page.code == 200
    body = page.body.decode()
    assert '<iframe class="email" sandbox="allow-popups allow-popups-to-escape-sandbox" ' in body, "no scripts"
    assert (
        'srcdoc="&lt;base target=&#34;_blank&#34;&gt;&lt;p&gt;See you &lt;b&gt;soon&lt;/b&gt;&lt;/p&gt;&lt;script&gt;'
        in body
    ), "escaped into srcdoc, its links opening a tab of their own"
    assert "<script>alert" not in body
    assert "See you on Tue 3 Dec, 10:00 (Europe/London)." in body
    assert "invite.ics" in body
    assert (await session.get(f"/outbox/{not_mine}")).code == 404
    assert (await session.get("/outbox/abc")).code == 404


async def test_the_outbox_comes_in_pages_of_a_hundred(logged_in, db) -> None:
    session, salon = await logged_in()
    kept = [await keep(db, salon.salon.id, "sms", "", f"Message number {n:03d}.") for n in range(101)]
    first = (await session.get("/outbox")).body.decode()
    assert "Message number 100." in first and "Message number 001." in first and "Message number 000." not in first
    link = f'<a href="/outbox?after={kept[1]}">Older messages →</a>'
    assert link in first
    older = (await session.get(f"/outbox?after={kept[1]}")).body.decode()
    assert "Message number 000." in older and "Message number 001." not in older and "Older messages" not in older
    assert (await session.get("/outbox?after=x")).code == 404

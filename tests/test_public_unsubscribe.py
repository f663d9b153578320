"""One-click unsubscribe (RFC 8058): the link in every email to a client turns their reminders off with a POST
from their mail program, no page and no form token needed; a GET only asks, in the salon's language."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest

from booking import clients, installation, links
from db import Database
from handlers.app import Salonbook, WebSettings
from tests.desk import book_at, set_up_desk
from tests.servers import SmtpServer

PUBLIC_URL = "https://book.salon.example"


@pytest.fixture
def app(db) -> Salonbook:
    return Salonbook(db=db, cookie_secret="test-cookie-secret", settings=WebSettings(public_url=PUBLIC_URL))


async def reminders(db: Database, client_id) -> list[tuple[str, str]]:
    rows = await db.fetch_all(
        "SELECT type, status FROM notification_jobs WHERE client_id = %s ORDER BY type", (client_id,)
    )
    return [(row["type"], row["status"]) for row in rows]


async def until(read, kind: str, status: str, timeout: float = 20.0) -> None:
    """Waits until the job of ``kind`` that ``read`` lists has ``status``: the worker records a send just after it."""
    deadline = asyncio.get_running_loop().time() + timeout
    while dict(await read()).get(kind) != status:
        assert asyncio.get_running_loop().time() < deadline, f"{kind} never became {status}"
        await asyncio.sleep(0.05)


async def test_the_link_in_the_email_turns_reminders_off_with_one_click(
    make_salon, db, http_server_client, smtp_server: SmtpServer, start_worker
) -> None:
    salon = (await make_salon()).salon
    desk = await set_up_desk(db, salon)
    await book_at(db, salon, desk, dt.time(10))
    await start_worker(smtp=smtp_server, public_url=PUBLIC_URL)
    [mail] = await smtp_server.wait_for(1)
    await until(lambda: reminders(db, desk.client.id), "booking_confirmation", "completed")  # recorded after it went
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.fullmatch(rf"<{re.escape(PUBLIC_URL)}(/u/[\w-]+)>", mail["List-Unsubscribe"])
    assert link, mail["List-Unsubscribe"]
    # As a mail program does it (RFC 8058 3.2): a POST with that body, no cookie, no form token.
    answer = await http_server_client.fetch(
        link[1],
        method="POST",
        body="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        raise_error=False,
    )
    assert answer.code == 200, answer.body
    assert not (await clients.get_client(db, salon.id, desk.client.id)).opted_in_reminders
    jobs = dict(await reminders(db, desk.client.id))
    assert jobs["reminder_24h"] == jobs["reminder_2h"] == "cancelled"
    assert jobs["booking_confirmation"] == "completed", "what already went stays as it was"
    again = await http_server_client.fetch(link[1], method="POST", body="List-Unsubscribe=One-Click", raise_error=False)
    assert again.code == 200, "saying it twice is fine"


async def test_a_get_only_asks_and_changes_nothing(make_salon, db, pages) -> None:
    salon = (await make_salon()).salon
    desk = await set_up_desk(db, salon)
    await book_at(db, salon, desk, dt.time(10))
    path = f"/u/{links.sign('unsubscribe', desk.client.id, await installation.link_secret(db))}"
    before = await reminders(db, desk.client.id)
    page = await pages().get(path)
    assert page.code == 200
    body = page.body.decode()
    assert "Stop reminders?" in body and 'name="List-Unsubscribe" value="One-Click"' in body
    head = await pages().fetch(path, method="HEAD")
    assert head.code == 200
    assert (await clients.get_client(db, salon.id, desk.client.id)).opted_in_reminders
    assert await reminders(db, desk.client.id) == before
    done = await pages().post(path, {"List-Unsubscribe": "One-Click"})
    assert done.code == 200 and "No more reminders" in done.body.decode()
    assert "No more reminders" in (await pages().get(path)).body.decode(), "the page says so afterwards"


async def test_a_german_salons_client_reads_german(make_salon, db, pages) -> None:
    salon = (await make_salon(country="DE", locale="de-DE", timezone="Europe/Berlin")).salon
    desk = await set_up_desk(db, salon)
    page = await pages().get(f"/u/{links.sign('unsubscribe', desk.client.id, await installation.link_secret(db))}")
    assert '<html lang="de">' in page.body.decode() and "Erinnerungen abbestellen?" in page.body.decode()


@pytest.mark.parametrize("how", ["changed", "manage link", "nonsense", "erased"])
async def test_a_link_that_is_not_one_is_a_404_and_changes_nothing(make_salon, db, pages, how: str) -> None:
    salon = (await make_salon()).salon
    desk = await set_up_desk(db, salon)
    secret = await installation.link_secret(db)
    token = links.sign("unsubscribe", desk.client.id, secret)
    token = {
        "changed": token[:-1] + ("A" if token[-1] != "A" else "B"),
        "manage link": links.sign("manage", desk.client.id, secret),
        "nonsense": "not-a-token_at-all",
        "erased": token,
    }[how]
    if how == "erased":
        await db.execute("UPDATE clients SET erased_at = now() WHERE id = %s", (desk.client.id,))
    for answer in (await pages().get(f"/u/{token}"), await pages().post(f"/u/{token}", {}, xsrf=False)):
        assert answer.code == 404
    assert (await db.fetch_row("SELECT opted_in_reminders FROM clients WHERE id = %s", (desk.client.id,)))[
        "opted_in_reminders"
    ]

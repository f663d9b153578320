"""A salon's own data: GET /api/v1/salon/export and the owner's button on /settings give a zip of JSON files
with every row of that salon, not one of another's, and no secret; written a page at a time."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import logging
import re

import pytest
from tornado.simple_httpclient import HTTPStreamClosedError

from booking import salon_export
from booking.paging import Listing
from db import Database
from tests.export_fixtures import FILES, fill_salon, ids, secrets_of, unzipped
from tests.page_fixtures import add_receptionist


@pytest.fixture
def download(http_server_client):
    """``await download(path, token)`` -> the response of the API's GET ``path`` (not raising for errors)."""

    async def fetch(path: str, token: str | None, **options):
        headers = options.pop("headers", {}) | ({"Authorization": f"Bearer {token}"} if token else {})
        return await http_server_client.fetch(f"/api/v1{path}", headers=headers, raise_error=False, **options)

    return fetch


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> int:
    """The export reads 2 rows at a time: every list of a filled salon takes several pages."""
    monkeypatch.setattr(salon_export, "export", functools.partial(salon_export.export, page_size=2))
    return 2


async def test_an_owners_export_holds_their_salon_whole_and_not_one_row_of_another(
    db: Database, make_salon, download, small_pages: int
) -> None:
    ours, theirs = await fill_salon(db, await make_salon()), await fill_salon(db, await make_salon())

    response = await download("/salon/export", ours.new.api_token)
    assert response.code == 200, response.body[:500]
    assert response.headers["Content-Type"] == "application/zip"
    day = dt.datetime.now(ours.salon.zone).date()
    assert response.headers["Content-Disposition"] == f'attachment; filename="salonbook-{ours.salon.slug}-{day}.zip"'
    files = unzipped(response.body)
    assert list(files) == FILES

    assert files["salon.json"]["id"] == str(ours.salon.id) and files["salon.json"]["slug"] == ours.salon.slug
    assert ids(files["staff.json"]) == ours.staff and files["staff.json"][0]["workingHours"], "with their hours"
    assert ids(files["services.json"]) == ours.services
    assert ids(files["time_off.json"]) == ours.time_off and files["time_off.json"][0]["reason"].startswith("Dentist")
    assert ids(files["clients.json"]) == ours.clients, "every client, the erased one too, each once"
    assert len(files["clients.json"]) == len(ours.clients)
    assert ids(files["appointments.json"]) == ours.appointments, "booked ones, not the held time"
    assert all(a["notificationJobs"] for a in files["appointments.json"]), "each with its notifications"
    jobs = await db.fetch_all("SELECT id::text FROM notification_jobs WHERE salon_id = %s", (ours.salon.id,))
    assert ids(files["messages.json"]) == {row["id"] for row in jobs} and len(files["messages.json"]) == len(jobs)
    assert [text["body"] for text in files["texts.json"]] == [ours.text]
    assert [note["text"] for note in files["client_notes.json"]] == [ours.note]
    assert ids(files["waitlist.json"]) == ours.waiting
    assert ids(files["payments.json"]) == ours.payments
    assert sorted((p["kind"], p["reason"], p["amountCents"]) for p in files["payments.json"]) == [
        ("deposit", "deposit", 800), ("refund", "owner", 300)
    ]  # fmt: skip
    [card] = files["saved_cards.json"]
    assert ids([card]) == ours.saved_cards and card["stripePaymentMethodId"] == f"pm_{ours.tag}"
    assert (card["cardBrand"], card["cardLast4"]) == ("visa", "4242"), "which card, as the desk sees it"
    assert files["wording.json"] == [
        {"type": "reminder", "language": "en", "subject": None, "text": None, "sms": f"See you {{when}}, {ours.tag}"}
    ]

    text = json.dumps(files)
    for row_id in (theirs.salon.id, *theirs.staff, *theirs.time_off, *theirs.services, *theirs.clients,
                   *theirs.appointments, *theirs.waiting, *theirs.payments, *theirs.saved_cards):  # fmt: skip
        assert str(row_id) not in text, f"another salon's row {row_id} is in the export"
    for word in (theirs.tag, theirs.text, theirs.note, theirs.salon.name, ours.held):
        assert word not in text, f"{word!r} is in the export"


async def test_an_export_holds_no_secret(db: Database, make_salon, download) -> None:
    ours = await fill_salon(db, await make_salon())
    files = unzipped((await download("/salon/export", ours.new.api_token)).body)
    text = json.dumps(files)
    secrets = [secret for secret in await secrets_of(db) if secret]
    assert len(secrets) >= 9, "hashes of a password, a token, a session, an invitation; two secrets; a code, a link"
    leaked = [secret for secret in secrets if secret in text]
    assert not leaked, f"secrets in the export: {leaked}"
    assert ours.new.api_token not in text
    assert files["payments.json"] and files["saved_cards.json"], "the salon's money is in it"
    assert not [key for key in ours.stripe_keys if key in text], "never the salon's Stripe keys"
    assert not re.search(r'"(secret|code|link|passwordHash|tokenHash)"', text), "no such key anywhere"
    [code] = [job for job in files["messages.json"] if job["type"] == "booking_code"]
    assert code["payload"] == {
        "email": f"zed-{ours.tag}@example.com",
        "name": "Zed",
        "minutes": 15,
        "proves": "booking",
    }, "all but the code"
    [invite] = [job for job in files["messages.json"] if job["type"] == "team_invite"]
    assert set(invite["payload"]) == {"email", "invitedBy", "role", "invitation"}, "all but the link"


async def test_the_export_needs_the_salons_token_and_a_receptionist_cannot_reach_it(
    db: Database, make_salon, download, pages
) -> None:
    salon = await make_salon()
    assert (await download("/salon/export", None)).code == 401
    assert (await download("/salon/export", "not-a-token")).code == 401
    desk = pages()
    await desk.login(await add_receptionist(db, salon.salon.id))
    cookie = {"Cookie": "; ".join(f"{k}={v}" for k, v in desk.cookies.items())}
    assert (await download("/salon/export", None, headers=cookie)).code == 401, "a login is not a token"
    assert (await desk.get("/settings/export")).code == 403
    assert (await desk.get("/tokens")).code == 403, "nor can a receptionist make a token (the API is the owner's)"


async def test_the_settings_page_downloads_the_same_zip(db: Database, logged_in, download) -> None:
    session, salon = await logged_in()
    await fill_salon(db, salon)
    page = (await session.get("/settings")).body.decode()
    assert 'href="/settings/export"' in page and "Your salon's data" in page
    from_page = await session.get("/settings/export")
    assert from_page.code == 200 and from_page.headers["Content-Type"] == "application/zip"
    assert from_page.headers["Content-Disposition"].startswith(f'attachment; filename="salonbook-{salon.salon.slug}-')
    assert unzipped(from_page.body) == unzipped((await download("/salon/export", salon.api_token)).body)


async def test_the_first_pages_reach_the_client_before_the_last_is_read(
    db: Database, make_salon, download, small_pages: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Streamed, not built whole: the last list (saved cards) is read only once the client has bytes."""
    ours = await fill_salon(db, await make_salon())
    arrived, when_last_read = asyncio.Event(), []
    whole = salon_export.export

    def watched(*args, **kwargs) -> salon_export.SalonExport:
        export = whole(*args, **kwargs)

        async def last_after_a_wait(listing: Listing):
            try:
                await asyncio.wait_for(arrived.wait(), 10)
                when_last_read.append("after bytes arrived")
            except TimeoutError:
                when_last_read.append("before any byte arrived")
            async for rows in listing.pages:
                yield rows

        *first, last = export.lists
        return salon_export.SalonExport(
            export.salon, export.made_at, (*first, Listing(last.name, last_after_a_wait(last)))
        )

    monkeypatch.setattr(salon_export, "export", watched)
    chunks: list[bytes] = []

    def received(chunk: bytes) -> None:
        chunks.append(chunk)
        arrived.set()

    response = await download("/salon/export", ours.new.api_token, streaming_callback=received)
    assert response.code == 200
    assert when_last_read == ["after bytes arrived"]
    assert len(chunks) > 5, "a chunk a page"
    assert ids(unzipped(b"".join(chunks))["saved_cards.json"]) == ours.saved_cards


async def test_a_failure_part_way_cuts_the_download_rather_than_ending_it(
    db: Database, make_salon, download, small_pages: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = await fill_salon(db, await make_salon())
    whole = salon_export.export

    def failing(*args, **kwargs) -> salon_export.SalonExport:
        export = whole(*args, **kwargs)

        async def one_page_then_a_failure(listing: Listing):
            async for rows in listing.pages:
                yield rows
                raise RuntimeError("the database went away")

        lists = tuple(Listing(x.name, one_page_then_a_failure(x)) if x.name == "messages" else x for x in export.lists)
        return salon_export.SalonExport(export.salon, export.made_at, lists)

    monkeypatch.setattr(salon_export, "export", failing)
    chunks: list[bytes] = []
    with pytest.raises(HTTPStreamClosedError):  # the client knows the download did not finish
        await download("/salon/export", ours.new.api_token, streaming_callback=chunks.append)
    assert chunks, "it had begun"
    assert (await download("/salon", ours.new.api_token)).code == 200, "and the server carries on"


async def test_a_client_that_goes_away_part_way_ends_the_export_quietly(
    db: Database, make_salon, download, small_pages: int, http_server_port, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="handlers.downloads")
    ours = await fill_salon(db, await make_salon(), bookings=8)
    reader, writer = await asyncio.open_connection("127.0.0.1", http_server_port[1])
    writer.write(
        f"GET /api/v1/salon/export HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ours.new.api_token}\r\n\r\n".encode()
    )
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
    writer.transport.abort()  # gone, mid-download
    for _ in range(100):
        if "went away during the download" in caplog.text:
            break
        await asyncio.sleep(0.02)
    assert "went away during the download" in caplog.text
    assert not [record for record in caplog.records if record.levelname == "ERROR"], caplog.text
    assert (await download("/salon", ours.new.api_token)).code == 200

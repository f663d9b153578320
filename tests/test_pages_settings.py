"""The owner's settings page: the backups (the installation's: only the owner of its only salon sees them), the
newest one's download, the salon's own data, and nobody else let in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import tornado.ioloop

from db import Database
from db.nightly import NightlyBackups
from handlers.app import Salonbook
from tests.page_fixtures import add_receptionist


@pytest.fixture(autouse=True)
def no_salons(io_loop: tornado.ioloop.IOLoop, db: Database) -> None:
    """Each test starts with no salon: the backups are shown only where the installation holds one."""
    io_loop.run_sync(lambda: db.execute("TRUNCATE salons CASCADE"))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two backup files, the newer one written last."""
    folder = tmp_path / "backups"
    folder.mkdir()
    for name, content, made_at in (
        ("salonbook-20300505-030000.dump", b"older", 1_904_612_400),
        ("salonbook-20300506-030000.dump", b"newer backup bytes" * 1000, 1_904_698_800),
    ):
        (folder / name).write_bytes(content)
        os.utime(folder / name, (made_at, made_at))
    return folder


@pytest.fixture
def external(request: pytest.FixtureRequest) -> bool:
    return getattr(request, "param", False)


@pytest.fixture
def app(db: Database, database_url: str, folder: Path, external: bool) -> Salonbook:
    """The application as `python server.py` builds it: with the nightly backups unless the database is external."""
    nightly = None if external else NightlyBackups(db, database_url, folder)
    return Salonbook(db=db, cookie_secret="test-cookie-secret", backups=nightly)


async def test_the_owner_sees_the_backups_and_downloads_the_newest(logged_in, folder: Path) -> None:
    session, _ = await logged_in()
    page = (await session.get("/settings")).body.decode()
    assert '<h2 id="backups-title">Backups</h2>' in page
    assert page.index("salonbook-20300506-030000.dump") < page.index("salonbook-20300505-030000.dump"), "newest first"
    assert "18 kB" in page and 'href="/settings/backups/newest"' in page
    assert 'href="/settings"' in page, "the menu shows Settings to the owner"

    response = await session.get("/settings/backups/newest")
    assert response.code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="salonbook-20300506-030000.dump"'
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.body == (folder / "salonbook-20300506-030000.dump").read_bytes()


async def test_a_receptionist_cannot_open_settings_or_download_a_backup(logged_in, pages, db: Database) -> None:
    _, salon = await logged_in()
    session = pages()
    await session.login(await add_receptionist(db, salon.salon.id))
    for path in ("/settings", "/settings/backups/newest", "/settings/export"):
        response = await session.get(path)
        assert response.code == 403, path
        assert b"owner can open this page" in response.body
        assert b"newer backup bytes" not in response.body
    assert b'href="/settings"' not in (await session.get("/")).body, "no Settings in a receptionist's menu"


async def test_settings_need_a_login(pages) -> None:
    for path in ("/settings", "/settings/backups/newest", "/settings/export"):
        response = await pages().get(path)
        assert response.code == 302
        assert response.headers["Location"].startswith("/login?next=%2Fsettings")


async def test_with_two_salons_the_backups_are_the_operators_and_nothing_of_them_shows(
    logged_in, make_salon, folder: Path
) -> None:
    session, _ = await logged_in()
    await make_salon()
    page = (await session.get("/settings")).body.decode()
    assert "whoever runs it" in page and "python server.py backup" in page
    assert "salonbook-2030" not in page and " kB" not in page and "No backup yet" not in page, "no name, no size"
    assert "/settings/backups/newest" not in page
    assert 'href="/settings/export"' in page, "the owner's own data instead"
    response = await session.get("/settings/backups/newest")
    assert response.code == 404 and b"newer backup bytes" not in response.body


@pytest.mark.parametrize("external", [True], indirect=True)
async def test_with_an_external_database_the_page_says_whose_job_backups_are(logged_in, external: bool) -> None:
    session, _ = await logged_in()
    page = (await session.get("/settings")).body.decode()
    assert "your PostgreSQL's job" in page and "README" in page
    assert "/settings/backups/newest" not in page
    assert (await session.get("/settings/backups/newest")).code == 404


@pytest.fixture
def no_backups(folder: Path) -> None:
    for path in folder.iterdir():
        path.unlink()


async def test_with_no_backup_yet_there_is_nothing_to_download(logged_in, no_backups: None) -> None:
    session, _ = await logged_in()
    page = (await session.get("/settings")).body.decode()
    assert "No backup yet" in page and "/settings/backups/newest" not in page
    assert (await session.get("/settings/backups/newest")).code == 404

"""The owner's settings page: one section per concern (the backups, the sessions), and what their buttons do."""

from __future__ import annotations

from typing import Any

import tornado.web

from booking import sessions
from db import backups
from handlers.pages.base import OwnerPage

CHUNK = 256 * 1024


class SettingsPage(OwnerPage):
    async def get(self) -> None:
        self.render_page(
            "settings.html",
            backups=await self.backups_section(),
            sessions=await sessions.of_salon(self.db, self.salon.id),
            this_session=self.session_id,
        )

    async def backups_section(self) -> dict[str, Any]:
        """The backup files, newest first; ``external`` when the database's backups are not ours to make."""
        nightly = self.application.backups
        if nightly is None:
            return {"external": True, "files": [], "status": None, "hour": None}
        files = await backups.in_executor(backups.list_backups, nightly.folder)
        return {"external": False, "files": files, "status": nightly.status(), "hour": nightly.hour}


class NewestBackup(OwnerPage):
    """Streams the newest backup file as a download, a chunk at a time."""

    async def get(self) -> None:
        nightly = self.application.backups
        newest = await backups.in_executor(backups.newest, nightly.folder) if nightly else None
        if newest is None:
            raise tornado.web.HTTPError(404, "there is no backup yet")
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("Content-Disposition", f'attachment; filename="{newest.path.name}"')
        self.set_header("Content-Length", newest.bytes)
        file = await backups.in_executor(newest.path.open, "rb")
        try:
            while chunk := await backups.in_executor(file.read, CHUNK):
                self.write(chunk)
                await self.flush()
        finally:
            file.close()
        self.finish()


class EndAllSessions(OwnerPage):
    """ "Log out everywhere": every session of every user of the salon ends, the owner's own too."""

    async def post(self) -> None:
        await sessions.end_all(self.db, self.salon.id)
        self.forget_session()
        self.redirect("/login", status=303)

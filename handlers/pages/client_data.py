"""The owner's answers to a client's request: their data as a download, or erased (after a confirmation)."""

from __future__ import annotations

from booking import client_data, clients, paths
from handlers import downloads
from handlers.pages.base import OwnerPage, page_id


class ClientExportPage(OwnerPage):
    """The API's export of the client, as a file to keep."""

    async def get(self, client_id: str) -> None:
        found = await client_data.export(self.db, self.salon.id, page_id(client_id))
        self.set_header("Content-Disposition", f'attachment; filename="client-{found.client.id}.json"')
        await downloads.send_json(self, found, self.salon.zone)


class EraseClientPage(OwnerPage):
    """GET asks "are you sure?"; only the POST of that page erases."""

    async def get(self, client_id: str) -> None:
        client = await clients.get_client(self.db, self.salon.id, page_id(client_id))
        self.render_page("client_erase.html", client=client)

    async def post(self, client_id: str) -> None:
        await client_data.erase(self.db, self.salon.id, page_id(client_id))
        self.redirect(paths.CLIENTS(), status=303)

"""Exports as downloads written while they are read: a salon's zip of JSON files, a client's JSON.

Each page of rows is read, made into bytes and flushed to the client before the next page is read: memory
holds one page whatever the salon's size, and a slow client slows only its own download (a flush waits
for the socket). Reading and writing out a page is CPU on the IOLoop (a few milliseconds), so exports take
turns a page at a time (``Salonbook.export_turn``): four at once keep another salon's request waiting for
one page, not four, and the IOLoop serves others between pages. Nothing is gained by running them side by
side: it is one thread either way (bench/bench_exports.py measures it).

Once the first bytes have gone the status cannot change: a failure after that cuts the connection, so a
client never takes a download cut short for a whole one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import zipfile
from collections.abc import AsyncIterator, Callable, Sequence
from typing import IO, Any

import tornado.iostream
from tornado.http1connection import HTTP1Connection

from booking.client_data import ClientExport
from booking.paging import Listing
from booking.salon_export import SalonExport
from handlers.api import to_json
from handlers.base import BaseHandler, camel

log = logging.getLogger(__name__)


def _items(rows: Sequence[Any], zone: dt.tzinfo, first: bool) -> bytes:
    """A page of a JSON array's items, one a line, with the comma before it unless it is the first page."""
    items = ",\n".join(json.dumps(to_json(row, zone)) for row in rows)
    return (items if first else ",\n" + items).encode()


class _Unsent:
    """Where zipfile writes: what the client has not been sent yet. It cannot seek, so zipfile writes each
    file's sizes after its data (data descriptors) instead of going back to its header."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes, /) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass  # sent when the download says so

    def close(self) -> None:
        pass  # (zipfile never closes a stream it was given)

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


class _Download:
    """One download under way: its bytes go out as they are made, and a failure once they have begun cuts it."""

    def __init__(self, handler: BaseHandler) -> None:
        self.handler = handler
        self.begun = False
        handler.set_header("Cache-Control", "no-store")  # a salon's or a client's data: kept by no cache

    async def send(self, data: bytes) -> None:
        """Sends ``data`` (and whatever the handler holds), waiting until the socket has taken it."""
        self.handler.write(data)
        self.begun = True
        await self.handler.flush()

    async def pages(self, listing: Listing, write: Callable[[Sequence[Any], bool], bytes]) -> AsyncIterator[bytes]:
        """The list's pages, each read and made into bytes by ``write(rows, first)`` in this export's turn."""
        pages, first = aiter(listing.pages), True
        while True:
            async with self.handler.application.export_turn:
                rows = await anext(pages, None)
                if rows is None:
                    return
                data = write(rows, first)
            yield data
            first = False

    @contextlib.asynccontextmanager
    async def guarded(self) -> AsyncIterator[None]:
        """Before the first bytes, an error is answered as any other; after them, it cuts the connection."""
        try:
            yield
        except tornado.iostream.StreamClosedError:
            log.info("%s: the client went away during the download", self.handler.request.path)
        except BaseException:
            connection = self.handler.request.connection
            if self.begun and isinstance(connection, HTTP1Connection):
                connection.close()  # no last chunk: the client sees the download cut short
            raise


async def send_zip(handler: BaseHandler, export: SalonExport) -> None:
    """The salon's export as a zip: ``salon.json``, then one ``{list}.json`` per list (a JSON array each)."""
    zone = export.salon.zone
    made = export.made_at.astimezone(zone).replace(tzinfo=None)
    handler.set_header("Content-Type", "application/zip")
    handler.set_header("Content-Disposition", f'attachment; filename="{export.file_name}"')
    download, unsent = _Download(handler), _Unsent()
    async with download.guarded():
        with zipfile.ZipFile(unsent, "w") as archive:
            with archive.open(_member("salon.json", made), "w") as file:
                file.write(json.dumps(to_json(export.salon, zone), indent=2).encode())
            for listing in export.lists:
                # force_zip64: the size is not known before the end, and a big salon's messages may pass 4 GB
                with archive.open(_member(f"{listing.name}.json", made), "w", force_zip64=True) as file:
                    file.write(b"[\n")
                    async for data in download.pages(listing, _zipping(file, unsent, zone)):
                        await download.send(data)
                    file.write(b"\n]\n")
        await download.send(unsent.take())  # the last file's end and the zip's directory


def _zipping(file: IO[bytes], unsent: _Unsent, zone: dt.tzinfo) -> Callable[[Sequence[Any], bool], bytes]:
    """Writes a page into the zip's file (deflated as it goes) and gives what the zip has to send so far."""

    def write(rows: Sequence[Any], first: bool) -> bytes:
        file.write(_items(rows, zone, first))
        return unsent.take()

    return write


def _member(name: str, made: dt.datetime) -> zipfile.ZipInfo:
    member = zipfile.ZipInfo(name, date_time=(made.year, made.month, made.day, made.hour, made.minute, made.second))
    member.compress_type = zipfile.ZIP_DEFLATED
    member.external_attr = 0o600 << 16  # clients' names and numbers: for whoever downloaded it
    return member


async def send_json(handler: BaseHandler, export: ClientExport, zone: dt.tzinfo) -> None:
    """A client's export as one JSON object: ``client``, then each list (camelCase) as an array."""
    handler.set_header("Content-Type", "application/json; charset=UTF-8")
    download = _Download(handler)
    async with download.guarded():
        handler.write(b'{"client": ' + json.dumps(to_json(export.client, zone)).encode())
        for listing in export.lists:
            handler.write(f',\n"{camel(listing.name)}": [\n'.encode())
            async for data in download.pages(listing, lambda rows, first: _items(rows, zone, first)):
                await download.send(data)
            handler.write(b"\n]")
        await download.send(b"}\n")

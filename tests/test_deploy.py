"""Salonbook as deploy/ runs it: nginx with TLS in front of two web processes and a worker-only one on one
PostgreSQL; then the web processes restarted one at a time while clients book, and no booking lost or
made twice, no confirmation missing or sent twice.

Needs Debian's nginx and the openssl command (`make test` installs nginx when it can); without them this
test skips, except under CI (env CI set), where a missing one is a failure. nginx runs
deploy/nginx/salonbook.conf with this test's ports and paths in place of the example's; the processes
run the commands of deploy/systemd's units with deploy/salonbook.env.example's settings, the database,
mail server and public address replaced by the test's.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPResponse

from config import options
from db import Database
from tests.conftest import ROOT
from tests.page_fixtures import PageSession
from tests.processes import clean_env, free_port
from tests.servers import SmtpServer
from tests.tools import missing

NGINX = os.environ.get("NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
DEPLOY = ROOT / "deploy"
SITE = DEPLOY / "nginx" / "salonbook.conf"
ENVIRONMENT_FILE = DEPLOY / "salonbook.env.example"
CHECKOUT = "/srv/salonbook"  # where deploy/ expects the checkout; here it is ROOT
VISITOR = "127.0.0.2"  # a visitor's address: loopback, but not the one nginx connects to the processes from
OWNER_ADDRESS = "127.0.0.3"
FORGED = {"X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9"}  # what a visitor may claim
OWNER_EMAIL = "ann@salon.example"
PASSWORD = "a long enough secret"
BOOKING_CLIENTS = 4
FIRST_SLOT = dt.datetime(2031, 3, 3, 9, 0, tzinfo=dt.UTC)


def _need_tools() -> None:
    if Path(NGINX).exists() and shutil.which("openssl"):
        return
    missing(f"nginx ({NGINX}) or openssl not found: install them with `apt-get install nginx openssl` (or NGINX=path)")


def rendered(path: Path, substitutions: dict[str, str]) -> str:
    """``path``'s text with the test's values in place of the example's; each example value must be there."""
    text = path.read_text()
    for example, value in substitutions.items():
        assert example in text, f"{path.relative_to(ROOT)} no longer has {example!r}: update tests/test_deploy.py"
        text = text.replace(example, value)
    return text


def nginx_config(folder: Path, https_port: int, http_port: int, web_ports: list[int], cert: Path, key: Path) -> str:
    """A whole nginx.conf for a non-daemon nginx of the test's own, around deploy/nginx/salonbook.conf."""
    site = rendered(
        SITE,
        {
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "listen [::]:80;": "",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
            "listen [::]:443 ssl http2;": "",
            "server 127.0.0.1:8001 ": f"server 127.0.0.1:{web_ports[0]} ",
            "server 127.0.0.1:8002 ": f"server 127.0.0.1:{web_ports[1]} ",
            "/etc/letsencrypt/live/salon.example.com/fullchain.pem": str(cert),
            "/etc/letsencrypt/live/salon.example.com/privkey.pem": str(key),
            f"{CHECKOUT}/static/": f"{ROOT / 'static'}/",
        },
    )
    mime_types = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
    temp_paths = "\n".join(
        f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""# tests/test_deploy.py: deploy/nginx/salonbook.conf in an nginx.conf of the test's own
{"user root;" if os.geteuid() == 0 else ""}
daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} info;
events {{
    worker_connections 512;
}}
http {{
    {mime_types}
    default_type application/octet-stream;
    access_log {folder / "access.log"};
{temp_paths}
{site}
}}
"""


def unit_command(unit: str, instance: str = "") -> list[str]:
    """The ExecStart of deploy/systemd/``unit`` as this checkout runs it."""
    text = (DEPLOY / "systemd" / unit).read_text()
    assert f"WorkingDirectory={CHECKOUT}\n" in text, f"{unit} no longer runs in {CHECKOUT}: update tests/test_deploy.py"
    [line] = [line for line in text.splitlines() if line.startswith("ExecStart=")]
    python, *arguments = shlex.split(line.removeprefix("ExecStart=").replace("%i", instance))
    assert python == f"{CHECKOUT}/.venv/bin/python", line
    return [sys.executable, *arguments]


def environment(overrides: dict[str, str]) -> dict[str, str]:
    """deploy/salonbook.env.example read as systemd reads it (NAME=value, # comments, quotes), then ``overrides``."""
    settings = {}
    for line in ENVIRONMENT_FILE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        settings[name] = value
    unknown = [name for name in settings if name.lower() not in options or name != name.upper()]
    assert not unknown, f"{ENVIRONMENT_FILE.name} sets what is no option of server.py: {unknown}"
    assert "PORT" not in settings, "each web service sets its own port"
    return clean_env() | settings | overrides


@dataclass
class Deployment:
    """The processes of one installation (two web processes, a worker, nginx); their output goes to files."""

    folder: Path
    env: dict[str, str]
    https_port: int
    http_port: int
    web_ports: list[int]
    web: list[subprocess.Popen] = field(default_factory=list)
    others: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def public_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        with (self.folder / f"{name}.log").open("ab") as output:
            return subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT)

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def start_web(self, index: int) -> subprocess.Popen:
        """`salonbook-web@PORT`'s command for the index-th port."""
        process = self.spawn(f"web{index + 1}", unit_command("salonbook-web@.service", str(self.web_ports[index])))
        if index < len(self.web):
            self.web[index] = process
        else:
            self.web.append(process)
        return process

    async def healthy(self, index: int, timeout: float = 60) -> None:
        """Polls the web process's own /healthz until it answers 200."""
        port, process = self.web_ports[index], self.web[index]
        deadline = time.monotonic() + timeout
        while True:
            assert process.poll() is None, f"web {index + 1} exited early:\n{self.log(f'web{index + 1}')}"
            try:
                answer = await AsyncHTTPClient().fetch(f"http://127.0.0.1:{port}/healthz", raise_error=False)
                if answer.code == 200:
                    return
            except (OSError, HTTPClientError):
                pass  # not listening yet
            assert time.monotonic() < deadline, f"web {index + 1} not healthy after {timeout:g} s"
            await asyncio.sleep(0.1)

    async def refusing(self, index: int, timeout: float = 10) -> None:
        """Waits until the web process's port refuses connections: it has stopped listening."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.web_ports[index])
            except ConnectionRefusedError:
                return
            writer.close()
            assert time.monotonic() < deadline, f"web {index + 1} still takes connections {timeout:g} s after SIGTERM"
            await asyncio.sleep(0.01)

    def stop_all(self) -> None:
        """SIGTERM to whatever still runs (a killed nginx master would leave its workers behind), then SIGKILL."""
        running = [process for process in [*self.web, *self.others.values()] if process.poll() is None]
        for process in running:
            process.terminate()
        for process in running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def stopped(process: subprocess.Popen, signum: int | None = signal.SIGTERM, timeout: float = 30) -> int:
    """Sends ``signum`` (if any) and waits for the exit without holding up the IOLoop (the SMTP server runs on it)."""
    if signum is not None:
        process.send_signal(signum)
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        assert time.monotonic() < deadline, f"process {process.pid} still running {timeout:g} s after {signum!r}"
        await asyncio.sleep(0.02)
    return process.returncode


async def waiting_for_lock(db: Database, count: int, timeout: float = 30) -> None:
    """Waits until ``count`` statements wait for a lock on appointments."""
    deadline = time.monotonic() + timeout
    while True:
        row = await db.fetch_row(
            "SELECT count(*) AS waiting FROM pg_locks"
            " WHERE relation = 'appointments'::regclass AND NOT granted"
            "   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        if row["waiting"] >= count:
            return
        assert time.monotonic() < deadline, f"{row['waiting']} bookings wait for the lock, {count} expected"
        await asyncio.sleep(0.01)


class Https:
    """Fetches through nginx over https (its self-signed certificate accepted), from a chosen local address."""

    def __init__(self, client: AsyncHTTPClient, base: str, source: str) -> None:
        self.client, self.base, self.source = client, base, source

    async def fetch(self, path: str, **kwargs: Any) -> HTTPResponse:
        kwargs.setdefault("raise_error", False)
        return await self.client.fetch(
            self.base + path, validate_cert=False, network_interface=self.source, request_timeout=60, **kwargs
        )


class Api:
    """The JSON API with the salon's token, through nginx."""

    def __init__(self, https: Https, token: str) -> None:
        self.https, self.token = https, token

    async def post(self, path: str, body: dict[str, Any]) -> HTTPResponse:
        return await self.https.fetch(
            f"/api/v1{path}",
            method="POST",
            body=json.dumps(body),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )

    async def create(self, path: str, body: dict[str, Any]) -> str:
        answer = await self.post(path, body)
        assert answer.code == 201, (path, answer.code, answer.body[:300])
        return str(json.loads(answer.body)["id"])


class Bookings:
    """Clients booking one slot after another, each with a stylist of their own: no two ever want one slot."""

    def __init__(self, api: Api, service: str, staff: list[str], clients: list[str]) -> None:
        self.api, self.service, self.staff, self.clients = api, service, staff, clients
        self.made: list[str] = []  # appointment ids answered 201
        self.confirmations: list[str] = []  # their confirmation jobs' ids
        self.failed: list[str] = []

    async def book(self, n: int, start: dt.datetime) -> None:
        body = {"clientId": self.clients[n], "staffId": self.staff[n], "serviceId": self.service}
        try:
            answer = await self.api.post("/appointments", body | {"startTime": start.isoformat()})
        except Exception as exc:  # a connection that failed is a failed booking too
            self.failed.append(f"{start}: {exc!r}")
            return
        if answer.code != 201:
            self.failed.append(f"{start}: {answer.code} {answer.body[:200]!r}")
            return
        appointment = json.loads(answer.body)
        self.made.append(appointment["id"])
        [job] = [job["id"] for job in appointment["notificationJobs"] if job["type"] == "booking_confirmation"]
        self.confirmations.append(job)

    async def steadily(self, n: int, stop: asyncio.Event) -> None:
        slot = 0
        while not stop.is_set():
            await self.book(n, FIRST_SLOT + dt.timedelta(minutes=30 * slot))
            slot += 1
            await asyncio.sleep(0.02)

    async def until(self, count: int, timeout: float = 60) -> None:
        """Waits until ``count`` bookings were made in all."""
        deadline = time.monotonic() + timeout
        while len(self.made) < count:
            assert not self.failed, self.failed[:5]
            assert time.monotonic() < deadline, f"{len(self.made)} bookings made, {count} expected by now"
            await asyncio.sleep(0.05)


def job_of(message: EmailMessage) -> str:
    """The job a message was sent for: its Message-ID is <job id.email@domain>, the same on every retry."""
    return str(message["Message-ID"]).removeprefix("<").partition(".")[0]


async def create_salon(env: dict[str, str]) -> dict[str, str]:
    """`server.py create-salon`, as a shop owner runs it with the environment file."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "server.py",
        "create-salon",
        "--name=Hair by Ann",
        "--timezone=Europe/London",
        f"--owner_email={OWNER_EMAIL}",
        f"--owner_password={PASSWORD}",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    created: dict[str, str] = json.loads(out)
    return created


@pytest.fixture
def deployment(tmp_path: Path, database_url: str, smtp_server: SmtpServer, io_loop) -> Iterator[Deployment]:
    """nginx, two web processes and a worker on the test's database, all up; stopped afterwards if still running."""
    _need_tools()
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    https_port, http_port, web_ports = free_port(), free_port(), [free_port(), free_port()]
    env = environment(
        {
            "DATABASE_URL": database_url,
            "DIRECT_DATABASE_URL": database_url,
            "PUBLIC_URL": f"https://127.0.0.1:{https_port}",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_server.port),
            "SMTP_TLS": "none",
            "SMTP_USERNAME": "",
            "SMTP_PASSWORD": "",
            "SMS_PROVIDER_URL": "",
            "DATA_DIR": str(tmp_path / "data"),
            "API_RATE": "1000",  # the clients below book far faster than one salon's token may
            "POLL_INTERVAL": "1",
        }
    )
    installed = Deployment(tmp_path, env, https_port, http_port, web_ports)
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_config(tmp_path, https_port, http_port, web_ports, cert, key))
    nginx = [NGINX, "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")]
    checked = subprocess.run([*nginx, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    try:
        installed.start_web(0)
        installed.start_web(1)
        installed.others["worker"] = installed.spawn("worker", unit_command("salonbook-worker.service"))
        installed.others["nginx"] = installed.spawn("nginx", nginx)
        io_loop.run_sync(lambda: asyncio.gather(installed.healthy(0), installed.healthy(1)))
        yield installed
    finally:
        installed.stop_all()


@pytest.fixture
def https_client(io_loop) -> Iterator[AsyncHTTPClient]:
    client = AsyncHTTPClient(force_instance=True, max_clients=20)
    yield client
    client.close()


async def test_behind_nginx_with_tls_nothing_is_lost_or_doubled_through_rolling_restarts(
    deployment: Deployment, smtp_server: SmtpServer, db: Database, https_client: AsyncHTTPClient
) -> None:
    visitor = Https(https_client, deployment.public_url, VISITOR)
    deadline = time.monotonic() + 30
    while (await visitor.fetch("/healthz")).code != 200:  # nginx is up once it answers for the processes
        assert time.monotonic() < deadline, (deployment.folder / "error.log").read_text()[-3000:]
        await asyncio.sleep(0.1)
    created = await create_salon(deployment.env)
    api = Api(visitor, created["api_token"])

    await nginx_keeps_its_rules(deployment, visitor, api)
    owner = await logins_count_the_address_nginx_saw(deployment, visitor)
    invitation = await email_links_start_with_the_public_address(deployment, owner, visitor, smtp_server)
    bookings = await a_salon_with_a_booking_confirmed(api, smtp_server)
    await rolling_restart_while_booking(deployment, bookings, db)

    # No booking lost or made twice: the database holds exactly the ones answered 201, each once.
    made = set(bookings.made)
    stored = await db.fetch_all(
        "SELECT id::text, count(*) OVER (PARTITION BY client_id, start_time) AS copies"
        " FROM appointments WHERE salon_id = %s",
        (created["salon_id"],),
    )
    assert len(made) == len(bookings.made) and {row["id"] for row in stored} == made
    assert {row["copies"] for row in stored} == {1}

    # Every confirmation exactly once: each job's Message-ID arrives once, and nothing else does.
    expected = 1 + len(made)  # the invitation, and a confirmation per booking
    await smtp_server.wait_for(expected, timeout=60)
    for index in (0, 1):
        assert await stopped(deployment.web[index]) == 0, deployment.log(f"web{index + 1}")
    assert await stopped(deployment.others["worker"]) == 0, deployment.log("worker")
    assert await stopped(deployment.others["nginx"], signal.SIGQUIT) == 0, deployment.log("nginx")
    received = collections.Counter(job_of(message) for message in smtp_server.messages)
    assert set(received) == {*bookings.confirmations, job_of(invitation)}
    assert received.most_common(1)[0][1] == 1 and len(smtp_server.messages) == expected


async def nginx_keeps_its_rules(deployment: Deployment, visitor: Https, api: Api) -> None:
    """http goes to https; static files are nginx's own and kept for good; its limits and rules hold."""
    plain = await visitor.client.fetch(
        f"http://127.0.0.1:{deployment.http_port}/login", follow_redirects=False, raise_error=False
    )
    assert plain.code == 301 and plain.headers["Location"].startswith("https://"), plain.code
    stylesheet = await visitor.fetch("/static/style.css")
    assert stylesheet.code == 200 and "max-age=315360000" in stylesheet.headers.get("Cache-Control", "")
    assert (await visitor.fetch("/metrics")).code == 403, "/metrics is for the machine itself"
    assert (await api.post("/staff", {"firstName": "x" * 64 * 1024})).code == 413


async def logins_count_the_address_nginx_saw(deployment: Deployment, visitor: Https) -> PageSession:
    """The throttle holds a visitor's guesses against the address nginx saw, whatever the visitor claims;
    the owner, elsewhere, logs in with a Secure cookie and the sessions list shows where from."""
    attacker = PageSession(visitor, dict(FORGED))
    await attacker.get("/login")
    guesses = [attacker.post("/login", {"email": OWNER_EMAIL, "password": "a guess"}) for _ in range(12)]
    codes = collections.Counter(guess.code for guess in await asyncio.gather(*guesses))
    assert set(codes) <= {400, 429} and codes[429] >= 1, f"12 guesses on 2 processes that allow 5 each: {codes}"
    owner = PageSession(Https(visitor.client, deployment.public_url, OWNER_ADDRESS), dict(FORGED))
    logged_in = await owner.post("/login", {"email": OWNER_EMAIL, "password": PASSWORD})
    assert logged_in.code == 303, f"the owner, at another address, is not held back: {logged_in.code}"
    [session_cookie] = [c for c in logged_in.headers.get_list("Set-Cookie") if c.startswith("session=")]
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie, session_cookie
    settings = (await owner.get("/settings")).body.decode()
    assert OWNER_ADDRESS in settings and "203.0.113.9" not in settings, "the session's address is nginx's word"
    assert "/static/style.css?v=" in settings
    return owner


async def email_links_start_with_the_public_address(
    deployment: Deployment, owner: PageSession, visitor: Https, smtp_server: SmtpServer
) -> EmailMessage:
    """The invitation to the team links to {public_url}/invite/…, and the link works through the proxy."""
    assert (await owner.post("/team", {"email": "desk@salon.example"})).code == 303
    [invitation] = await smtp_server.wait_for(1)
    text = invitation.get_body(("plain",)).get_content()
    link = re.search(rf"{re.escape(deployment.public_url)}(/invite/[\w-]+)", text)
    assert link, f"no link to {deployment.public_url}/invite/ in:\n{text}"
    assert (await PageSession(visitor).get(link[1])).code == 200
    return invitation


async def a_salon_with_a_booking_confirmed(api: Api, smtp_server: SmtpServer) -> Bookings:
    """A service, a stylist and a client per booking client, through the API; the first booking's confirmation."""
    service = await api.create("/services", {"name": "Cut", "durationMinutes": 30})
    staff = [await api.create("/staff", {"firstName": f"Stylist {n}"}) for n in range(BOOKING_CLIENTS)]
    clients = [
        await api.create("/clients", {"firstName": f"Client {n}", "email": f"client{n}@example.com",
                                      "optedInReminders": True})
        for n in range(BOOKING_CLIENTS)
    ]  # fmt: skip
    bookings = Bookings(api, service, staff, clients)
    await bookings.book(0, FIRST_SLOT - dt.timedelta(days=1))
    assert not bookings.failed, bookings.failed
    [_, confirmation] = await smtp_server.wait_for(2)
    assert confirmation["To"].addresses[0].addr_spec == "client0@example.com"
    assert job_of(confirmation) == bookings.confirmations[0]
    return bookings


async def rolling_restart_while_booking(deployment: Deployment, bookings: Bookings, db: Database) -> None:
    """Four clients book steadily while web 1 restarts, comes back on its port, then web 2 does; none fails.

    Each SIGTERM comes while bookings are held in flight (waiting for a lock on appointments), two on each
    process: the stopping process answers its own, while nginx sends new ones to the other.
    """
    stop = asyncio.Event()
    booking = [asyncio.ensure_future(bookings.steadily(n, stop)) for n in range(BOOKING_CLIENTS)]
    try:
        await bookings.until(20)
        for index in (0, 1):
            async with db.transaction() as cur:
                await cur.execute("LOCK TABLE appointments IN EXCLUSIVE MODE")
                await waiting_for_lock(db, BOOKING_CLIENTS)
                deployment.web[index].send_signal(signal.SIGTERM)  # as `systemctl restart` does
                await deployment.refusing(index)
                assert deployment.web[index].poll() is None, "it has bookings in flight, and waits for them"
            assert await stopped(deployment.web[index], signum=None) == 0, deployment.log(f"web{index + 1}")
            deployment.start_web(index)
            await deployment.healthy(index)
            await bookings.until(len(bookings.made) + 20)
    finally:
        stop.set()
        await asyncio.gather(*booking)
    assert bookings.failed == [], f"{len(bookings.failed)} of {len(bookings.made) + len(bookings.failed)} failed"
    refused = (deployment.folder / "error.log").read_text().count("(111: Connection refused)")
    assert refused, "no booking met a stopped process: the restarts tested nothing"

"""Server-rendered pages for the front desk."""

from typing import Any

from tornado.routing import Rule

from handlers.pages import (
    account,
    auth,
    booking,
    client_data,
    day,
    directory,
    inbox,
    jobs,
    outbox,
    settings,
    team,
    tokens,
)
from handlers.pages.base import PageHandler

ID = r"([^/]+)"  # checked by the page: anything but an id of this salon is a 404 page


class NotFoundPage(PageHandler):
    """Any other path: the HTML 404 page instead of Tornado's bare one."""

    def get(self, *_: str) -> None:
        self.send_error(404)

    post = get


def _directory_routes() -> list[tuple[str, type[PageHandler], dict[str, Any]]]:
    routes: list[tuple[str, type[PageHandler], dict[str, Any]]] = []
    for kind in directory.DIRECTORIES:
        which = {"directory": kind}
        routes += [
            (kind.path, directory.DirectoryListPage, which),
            (f"{kind.path}/new", directory.DirectoryNewPage, which),
            (rf"{kind.path}/{ID}/edit", directory.DirectoryEditPage, which),
        ]
    return routes


ROUTES: list[Rule | tuple[Any, ...]] = [
    (r"/setup", auth.SetupPage),
    (r"/login", auth.LoginPage),
    (r"/logout", auth.LogoutPage),
    (r"/account", account.AccountPage),
    (r"/", day.DayPage),
    (r"/appointments/new", booking.NewAppointmentPage),
    (rf"/appointments/{ID}", booking.AppointmentPage),
    (rf"/appointments/{ID}/cancel", booking.CancelAppointment),
    (rf"/appointments/{ID}/reschedule", booking.RescheduleAppointment),
    (rf"/appointments/{ID}/visit", booking.RecordVisit),
    *_directory_routes(),
    (r"/jobs", jobs.JobsPage),
    (rf"/jobs/{ID}", jobs.JobPage),
    (rf"/jobs/{ID}/retry", jobs.RetryJob),
    (rf"/jobs/{ID}/cancel", jobs.CancelJob),
    (r"/inbox", inbox.InboxPage),
    (rf"/inbox/{ID}", inbox.ConversationPage),
    (r"/outbox", outbox.OutboxListPage),
    (rf"/outbox/texts/{ID}", outbox.TextConversationPage),
    (rf"/outbox/{ID}", outbox.OutboxMessagePage),
    (rf"/clients/{ID}/export", client_data.ClientExportPage),
    (rf"/clients/{ID}/erase", client_data.EraseClientPage),
    (r"/team", team.TeamPage),
    (rf"/team/members/{ID}/remove", team.RemoveMember),
    (rf"/team/invitations/{ID}/withdraw", team.WithdrawInvitation),
    (rf"/invite/{ID}", team.AcceptInvitation),
    (r"/tokens", tokens.TokensPage),
    (rf"/tokens/{ID}/revoke", tokens.RevokeToken),
    (r"/settings", settings.SettingsPage),
    (r"/settings/backups/newest", settings.NewestBackup),
    (r"/settings/sessions/end", settings.EndAllSessions),
    (r"/(.*)", NotFoundPage),
]

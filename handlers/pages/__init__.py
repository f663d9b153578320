"""Server-rendered pages for the front desk."""

from typing import Any

from tornado.routing import Rule

from booking import paths
from handlers.pages import (
    account,
    auth,
    booking,
    client,
    client_data,
    day,
    directory,
    feeds,
    inbox,
    jobs,
    outbox,
    reports,
    settings,
    team,
    time_off,
    tokens,
    waitlist,
)
from handlers.pages.base import PageHandler

ID = rf"({paths.ANY_PART})"  # checked by the page: anything but an id of this salon is a 404 page


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
    (paths.SETUP.route(), auth.SetupPage),
    (paths.LOGIN.route(), auth.LoginPage),
    (paths.LOGOUT.route(), auth.LogoutPage),
    (paths.ACCOUNT.route(), account.AccountPage),
    (paths.ACCOUNT_LANGUAGE.route(), account.AccountLanguage),
    (paths.DAY.route(), day.DayPage),
    (paths.NEW_APPOINTMENT.route(), booking.NewAppointmentPage),
    (paths.APPOINTMENT.route(), booking.AppointmentPage),
    (paths.CANCEL_APPOINTMENT.route(), booking.CancelAppointment),
    (paths.RESCHEDULE_APPOINTMENT.route(), booking.RescheduleAppointment),
    (paths.RECORD_VISIT.route(), booking.RecordVisit),
    (paths.REFUND_APPOINTMENT.route(), booking.RefundDeposit),
    (paths.STAFF_TIME_OFF.route(), time_off.TimeOffPage),
    (paths.REMOVE_TIME_OFF.route(), time_off.RemoveTimeOff),
    *_directory_routes(),
    (paths.CLIENT.route(), client.ClientPage),  # after /clients/new
    (paths.CLIENT_NOTES.route(), client.ClientNotes),
    (paths.STAFF_FEED.route(), feeds.RenewFeed),
    (paths.STAFF_FEED_REVOKE.route(), feeds.RevokeFeed),
    (paths.JOBS.route(), jobs.JobsPage),
    (paths.JOB.route(), jobs.JobPage),
    (paths.RETRY_JOB.route(), jobs.RetryJob),
    (paths.CANCEL_JOB.route(), jobs.CancelJob),
    (paths.INBOX.route(), inbox.InboxPage),
    (paths.CONVERSATION.route(), inbox.ConversationPage),
    (paths.OUTBOX.route(), outbox.OutboxListPage),
    (paths.OUTBOX_TEXTS.route(), outbox.TextConversationPage),
    (paths.OUTBOX_MESSAGE.route(), outbox.OutboxMessagePage),
    (paths.CLIENT_EXPORT.route(), client_data.ClientExportPage),
    (paths.ERASE_CLIENT.route(), client_data.EraseClientPage),
    (paths.WAITLIST.route(), waitlist.WaitlistPage),
    (paths.REMOVE_FROM_WAITLIST.route(), waitlist.RemoveFromWaitlist),
    (paths.TEAM.route(), team.TeamPage),
    (paths.REMOVE_MEMBER.route(), team.RemoveMember),
    (paths.WITHDRAW_INVITATION.route(), team.WithdrawInvitation),
    (paths.INVITATION.route(), team.AcceptInvitation),
    (paths.TOKENS.route(), tokens.TokensPage),
    (paths.REVOKE_TOKEN.route(), tokens.RevokeToken),
    (paths.REPORTS.route(), reports.ReportsPage),
    (paths.SETTINGS.route(), settings.SettingsPage),
    (paths.SALON_EXPORT.route(), settings.SalonExportPage),
    (paths.NEWEST_BACKUP.route(), settings.NewestBackup),
    (paths.END_ALL_SESSIONS.route(), settings.EndAllSessions),
    (paths.SETTINGS_MESSAGES.route(), settings.MessagesPage),
    (paths.SETTINGS_MESSAGE.route(), settings.MessagePage),
    (paths.RESET_MESSAGE.route(), settings.ResetMessage),
    (paths.STRIPE_SETTINGS.route(), settings.StripeSettings),
    (paths.REMOVE_STRIPE.route(), settings.RemoveStripe),
    (paths.FEE_SETTINGS.route(), settings.FeeSettings),
    (r"/(.*)", NotFoundPage),
]

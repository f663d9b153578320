"""Pages for a salon's clients: no login; the salon's language."""

from typing import Any

from booking import paths
from handlers.public import book, manage, offer, pay, unsubscribe, waitlist

SIGNED = "[A-Za-z0-9_-]+"  # a signed link token, read and checked by the page: anything else is a 404

ROUTES: list[tuple[Any, ...]] = [
    (paths.MANAGE.route(token=SIGNED), manage.ManagePage),
    (paths.CONFIRM.route(token=SIGNED), manage.ConfirmAppointment),
    (paths.CANCEL.route(token=SIGNED), manage.CancelAppointment),
    (paths.RESCHEDULE.route(token=SIGNED), manage.RescheduleAppointment),
    (paths.UNSUBSCRIBE.route(token=SIGNED), unsubscribe.UnsubscribePage),
    (paths.OFFER.route(token=SIGNED), offer.OfferPage),
    (paths.CLAIM_OFFER.route(token=SIGNED), offer.ClaimOffer),
    (paths.LEAVE_WAITLIST.route(token=SIGNED), offer.LeaveWaitlist),
    (paths.BOOK.route(), book.BookPage),
    (paths.BOOKING_CODE.route(), book.CodePage),
    (paths.BOOKING_PAY.route(), pay.PayPage),
    (paths.BOOKING_PAID.route(), pay.PaidPage),
    (paths.JOIN_WAITLIST.route(), waitlist.JoinWaitlistPage),
    (paths.WAITLIST_CODE.route(), waitlist.WaitlistCodePage),
]

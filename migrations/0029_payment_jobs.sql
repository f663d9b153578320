-- Fees and refunds as jobs of the queue (issue 28): a 'payment' job moves the money of one payments row through
-- the salon's Stripe account, on the channel 'stripe', with the queue's retries, rescue and clean-up.
ALTER TABLE notification_jobs DROP CONSTRAINT notification_jobs_type_check;
ALTER TABLE notification_jobs ADD CONSTRAINT notification_jobs_type_check
    CHECK (type IN ('booking_confirmation', 'reminder_24h', 'reminder_2h', 'cancellation', 'rescheduled',
                    'team_invite', 'salon_notice', 'booking_code', 'text_reply', 'waitlist_offer', 'reminder',
                    'thank_you', 'payment'));
ALTER TABLE notification_jobs DROP CONSTRAINT notification_jobs_channels_check;
ALTER TABLE notification_jobs ADD CONSTRAINT notification_jobs_channels_check
    CHECK (channels <@ ARRAY['email', 'sms', 'stripe'] AND channels <> '{}');
-- A payment job has no recipient: a deposit paid after its hold lapsed is refunded by one with neither appointment
-- nor client (there is none: the time was never booked).
ALTER TABLE notification_jobs DROP CONSTRAINT notification_jobs_recipient;
ALTER TABLE notification_jobs ADD CONSTRAINT notification_jobs_recipient
    CHECK (client_id IS NOT NULL OR payload ? 'email' OR payload ? 'phone' OR type = 'payment');

-- What Stripe said of a fee or refund that did not go through (a declined card), for the front desk.
ALTER TABLE payments ADD COLUMN failure text;

-- Strangers cannot hoard holds, pump codes or text where the salon does not (issue 19).

-- The countries a salon texts (ISO 3166-1 alpha-2), mobiles only: its own until it lists others. Every
-- salon so far texted its own country's numbers, so that is where each one starts.
ALTER TABLE salons ADD COLUMN sms_countries text[];
UPDATE salons SET sms_countries = ARRAY[country];
ALTER TABLE salons ALTER COLUMN sms_countries SET NOT NULL;

-- A hold may now end because a newer one took its place: the salon, or the stylist's day, had as many
-- holds waiting as it may, and the oldest gave way (booking/online.py).
ALTER TABLE holds DROP CONSTRAINT holds_ended_check;
ALTER TABLE holds ADD CONSTRAINT holds_ended_check
    CHECK (ended IN ('booked', 'expired', 'wrong_codes', 'displaced'));

-- Every code sent (online bookings now, the waitlist next), counted per recipient per hour and per salon
-- per day. The recipient is a keyed hash (HMAC under the installation's secret) of the normalised email or
-- number, never the address itself. Rows outlive holds and go after a day (the worker's daily chore).
CREATE TABLE code_sends (
    recipient_hash  bytea NOT NULL,
    salon_id        uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    sent_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX code_sends_recipient ON code_sends (recipient_hash, sent_at);
CREATE INDEX code_sends_salon ON code_sends (salon_id, sent_at);

-- Two-way SMS, delivery the front desk can trust, and quiet hours (issue 12).

-- A number that texted STOP (or that the provider calls unsubscribed, error 21610) gets no texts until it
-- texts START. One row per number for every salon: they all text from the one sender number, and the
-- carrier blocks that sender for the number whichever salon sends.
CREATE TABLE sms_opt_outs (
    phone         text PRIMARY KEY,  -- E.164
    opted_out_at  timestamptz NOT NULL DEFAULT now(),
    reason        text NOT NULL  -- what the client texted, or the provider's error
);

-- What the provider last said of each text it took, by its id (MessageSid). A status never goes back: a
-- 'sent' that arrives after 'delivered' changes nothing. The status callback may come before the worker
-- has recorded the send, so a row is not tied to an attempt; attempts name it by provider_id.
CREATE TABLE sms_deliveries (
    message_sid  text PRIMARY KEY,
    status       text NOT NULL,
    rank         smallint NOT NULL,  -- how far the text got; a status of lower or equal rank never replaces it
    error_code   integer,
    reported_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE notification_attempts ADD COLUMN provider_id text;  -- the provider's id of what was sent
CREATE INDEX notification_attempts_provider_id ON notification_attempts (provider_id) WHERE provider_id IS NOT NULL;

-- Texts clients sent: keywords are acted on at once (and born read), anything else waits in the inbox.
CREATE TABLE inbound_texts (
    id              bigserial PRIMARY KEY,
    salon_id        uuid REFERENCES salons ON DELETE CASCADE,  -- NULL: no salon knows the number
    phone           text NOT NULL,  -- who texted, E.164
    body            text NOT NULL,
    action          text NOT NULL CHECK (action IN ('stop', 'start', 'help', 'confirm', 'message')),
    reply           text NOT NULL DEFAULT '',  -- what was answered at once
    client_id       uuid REFERENCES clients ON DELETE SET NULL,
    -- Their next appointment when it came (the one confirmed, for a confirmation): what it was about.
    appointment_id  uuid REFERENCES appointments ON DELETE SET NULL,
    message_sid     text UNIQUE,  -- the provider's id: a webhook sent twice is kept once; NULL if typed in the outbox
    received_at     timestamptz NOT NULL DEFAULT now(),
    read_at         timestamptz
);
CREATE INDEX inbound_texts_conversation ON inbound_texts (salon_id, phone, received_at);
CREATE INDEX inbound_texts_unread ON inbound_texts (salon_id) WHERE read_at IS NULL;
CREATE INDEX inbound_texts_appointment ON inbound_texts (appointment_id);

-- A text's sender is found by number, and a number's texts and jobs by client.
CREATE INDEX clients_phone ON clients (phone);
CREATE INDEX notification_jobs_client ON notification_jobs (client_id);

-- The front desk answers a client's text: a job like any other notice.
ALTER TABLE notification_jobs DROP CONSTRAINT notification_jobs_type_check;
ALTER TABLE notification_jobs ADD CONSTRAINT notification_jobs_type_check
    CHECK (type IN ('booking_confirmation', 'reminder_24h', 'reminder_2h', 'cancellation', 'rescheduled',
                    'team_invite', 'salon_notice', 'booking_code', 'text_reply'));

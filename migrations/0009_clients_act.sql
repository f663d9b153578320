-- Clients act on their own appointments and book online (issue 11).

-- Who made, moved, cancelled and confirmed an appointment.
ALTER TABLE appointments
    ADD COLUMN source               text NOT NULL DEFAULT 'front_desk'
                                    CHECK (source IN ('front_desk', 'online', 'api')),
    ADD COLUMN cancelled_by         text CHECK (cancelled_by IN ('client', 'salon')),
    ADD COLUMN moved_by             text CHECK (moved_by IN ('client', 'salon')),  -- the latest move
    ADD COLUMN client_confirmed_at  timestamptz;

-- An online booking holds its slot while the client types the code they were sent: a 'held'
-- appointment, so the overlap constraint counts it, with no client yet (one is found or made when
-- the code is right). Its details wait in holds; the worker releases lapsed holds.
ALTER TABLE appointments DROP CONSTRAINT appointments_status_check;
ALTER TABLE appointments ADD CONSTRAINT appointments_status_check
    CHECK (status IN ('held', 'booked', 'cancelled', 'completed', 'no_show'));
ALTER TABLE appointments ALTER COLUMN client_id DROP NOT NULL;
ALTER TABLE appointments ADD CONSTRAINT appointments_client_known CHECK (status = 'held' OR client_id IS NOT NULL);
ALTER TABLE appointments DROP CONSTRAINT appointments_no_overlap;
ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap EXCLUDE USING gist (
    salon_id WITH =, staff_id WITH =, tstzrange(start_time, end_time) WITH &&
) WHERE (status IN ('booked', 'held'));

CREATE TABLE holds (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),  -- the holdId a client verifies
    salon_id            uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    appointment_id      uuid UNIQUE REFERENCES appointments ON DELETE SET NULL,  -- the held time, while held
    code_hash           bytea NOT NULL,
    wrong_codes         integer NOT NULL DEFAULT 0,
    expires_at          timestamptz NOT NULL,
    first_name          text NOT NULL,
    last_name           text NOT NULL DEFAULT '',
    email               text,
    phone               text,
    opted_in_reminders  boolean NOT NULL DEFAULT false,
    client_address      text NOT NULL,  -- who asked: at most so many holds an hour from one address
    created_at          timestamptz NOT NULL DEFAULT now(),
    -- booked (the right code), expired, or wrong_codes; an ended hold stays a day to be counted, then goes
    ended               text CHECK (ended IN ('booked', 'expired', 'wrong_codes')),
    CHECK (email IS NOT NULL OR phone IS NOT NULL)
);
CREATE INDEX holds_live ON holds (salon_id, expires_at) WHERE ended IS NULL;
CREATE INDEX holds_by_address ON holds (client_address, created_at);

-- Notices to someone who is not a client carry their address: an email, or a phone for a text.
ALTER TABLE notification_jobs DROP CONSTRAINT notification_jobs_recipient;
ALTER TABLE notification_jobs ADD CONSTRAINT notification_jobs_recipient
    CHECK (client_id IS NOT NULL OR payload ? 'email' OR payload ? 'phone');
ALTER TABLE notification_jobs DROP CONSTRAINT notification_jobs_type_check;
ALTER TABLE notification_jobs ADD CONSTRAINT notification_jobs_type_check
    CHECK (type IN ('booking_confirmation', 'reminder_24h', 'reminder_2h', 'cancellation', 'rescheduled',
                    'team_invite', 'salon_notice', 'booking_code'));

-- The team (issue 10): the owner invites receptionists by email, through the notification queue.

-- A one-time invitation: only the SHA-256 of its token is kept; it is used once, or lapses.
CREATE TABLE invitations (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    salon_id     uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    email        text NOT NULL,
    role         text NOT NULL DEFAULT 'receptionist' CHECK (role IN ('receptionist')),
    token_hash   bytea NOT NULL UNIQUE,
    invited_by   uuid REFERENCES users ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz
);
CREATE INDEX invitations_salon ON invitations (salon_id, created_at DESC);

-- A notice need not be to a client (an invitation goes to a future colleague): then the payload
-- carries the address it goes to.
ALTER TABLE notification_jobs ALTER COLUMN client_id DROP NOT NULL;
ALTER TABLE notification_jobs ADD CONSTRAINT notification_jobs_recipient
    CHECK (client_id IS NOT NULL OR payload ? 'email');
ALTER TABLE notification_jobs DROP CONSTRAINT notification_jobs_type_check;
ALTER TABLE notification_jobs ADD CONSTRAINT notification_jobs_type_check
    CHECK (type IN ('booking_confirmation', 'reminder_24h', 'reminder_2h', 'cancellation', 'rescheduled',
                    'team_invite'));

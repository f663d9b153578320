-- Salonbook schema: the whole truth about the tables, as they are now.
--
-- Read by people and by tests/test_db_migrations.py; never applied at
-- start-up. Databases are built and upgraded by the numbered files in
-- migrations/ (db/migrations.py), each run once and recorded in
-- schema_migrations. A schema change is a new migration file plus the same
-- change written into this file; the test fails when the two disagree.

CREATE EXTENSION btree_gist;  -- staff_id equality inside the exclusion constraint
CREATE EXTENSION pg_trgm;  -- client search: substrings of names, emails and phones (migration 0007)

CREATE TABLE salons (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug        text NOT NULL UNIQUE,
    name        text NOT NULL,
    address     text NOT NULL DEFAULT '',
    timezone    text NOT NULL,
    email       text NOT NULL DEFAULT '',
    phone       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    country                    text NOT NULL DEFAULT 'GB',  -- ISO 3166-1 alpha-2: reads phone numbers
    locale                     text NOT NULL DEFAULT 'en-GB',  -- the language and ways of writing
    currency                   text NOT NULL DEFAULT 'GBP',  -- ISO 4217
    quiet_start                time DEFAULT '21:00',  -- no reminders from here ...
    quiet_end                  time DEFAULT '08:00',  -- ... to here (salon-local); both NULL: none
    cancel_cutoff_minutes      integer NOT NULL DEFAULT 1440,
    reschedule_cutoff_minutes  integer NOT NULL DEFAULT 1440,
    online_booking             boolean NOT NULL DEFAULT false,
    online_min_notice_minutes  integer NOT NULL DEFAULT 120,
    online_max_days_ahead      integer NOT NULL DEFAULT 60,
    sms_countries              text[] NOT NULL,  -- ISO 3166-1 alpha-2: texts go to these countries' mobiles only
    -- The reminder plan (0018): up to three, each 30 minutes to 7 days before the start.
    reminder_minutes           integer[] NOT NULL DEFAULT '{1440,120}',
    thank_you_enabled          boolean NOT NULL DEFAULT false,  -- a thank-you after an attended appointment
    thank_you_hours_after      integer NOT NULL DEFAULT 2,
    thank_you_review_url       text NOT NULL DEFAULT '',
    CONSTRAINT salons_quiet_hours CHECK ((quiet_start IS NULL) = (quiet_end IS NULL)),
    CONSTRAINT salons_reminder_plan CHECK (
        cardinality(reminder_minutes) <= 3 AND array_position(reminder_minutes, NULL) IS NULL
        AND 30 <= ALL (reminder_minutes) AND 10080 >= ALL (reminder_minutes)),
    CONSTRAINT salons_thank_you_hours CHECK (thank_you_hours_after BETWEEN 0 AND 720)
);

-- A salon's own words for one notice in one language (0018): each part NULL keeps the product's wording.
-- Subjects are one line (no header can be added through them), and no part is blank.
CREATE TABLE salon_messages (
    salon_id    uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    type        text NOT NULL,
    language    text NOT NULL,
    subject     text CHECK (subject ~ '\S' AND subject !~ '[\r\n]'),
    email_text  text CHECK (email_text ~ '\S'),
    sms         text CHECK (sms ~ '\S'),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (salon_id, type, language),
    CHECK (subject IS NOT NULL OR email_text IS NOT NULL OR sms IS NOT NULL)
);

CREATE TABLE users (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    salon_id       uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    email          text NOT NULL,
    password_hash  text NOT NULL,
    role           text NOT NULL DEFAULT 'owner'
                   CHECK (role IN ('owner', 'receptionist', 'staff')),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- A one-time invitation to join a salon's team: only the SHA-256 of its token is kept; it is used
-- once, or lapses.
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

-- Only the SHA-256 of a token is kept: a leaked table grants nothing. A token is its maker's: their
-- password change or the owner's "log out everywhere" revokes it (0014).
CREATE TABLE api_tokens (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    salon_id    uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE,
    name        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    user_id     uuid REFERENCES users ON DELETE CASCADE
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- One row per login, read with the user on every page: deleting it ends that login at once, in every
-- process. The cookie carries a random token; only its SHA-256 is kept (migration 0004).
CREATE TABLE sessions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash      bytea NOT NULL UNIQUE,
    user_id         uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    client_address  text NOT NULL DEFAULT '',  -- where the login came from, for people to read
    user_agent      text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE staff (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    salon_id    uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    first_name  text NOT NULL,
    last_name   text NOT NULL DEFAULT '',
    email       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (salon_id, id)
);

-- Weekly hours in the salon's local time; weekday 0 is Monday.
CREATE TABLE working_hours (
    id        bigserial PRIMARY KEY,
    staff_id  uuid NOT NULL REFERENCES staff ON DELETE CASCADE,
    weekday   smallint NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    starts    time NOT NULL,
    ends      time NOT NULL,
    CHECK (starts < ends)
);
CREATE INDEX working_hours_staff ON working_hours (staff_id, weekday);

CREATE TABLE services (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    salon_id          uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    name              text NOT NULL,
    duration_minutes  integer NOT NULL CHECK (duration_minutes BETWEEN 1 AND 1440),
    price_cents       integer CHECK (price_cents >= 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (salon_id, id)
);

CREATE TABLE clients (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    salon_id            uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    first_name          text NOT NULL,
    last_name           text NOT NULL DEFAULT '',
    email               text,
    phone               text,  -- E.164
    opted_in_reminders  boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    erased_at           timestamptz,  -- personal data erased on request (migration 0002)
    UNIQUE (salon_id, id)
);
-- Search as you type matches any part of the name, email or phone: trigram indexes serve LIKE '%...%'.
CREATE INDEX clients_name_trgm ON clients USING gin ((first_name || ' ' || last_name) gin_trgm_ops);
CREATE INDEX clients_email_trgm ON clients USING gin (email gin_trgm_ops);
CREATE INDEX clients_phone_trgm ON clients USING gin (phone gin_trgm_ops);
CREATE INDEX clients_salon_name ON clients (salon_id, first_name, last_name, id);  -- the list's order
CREATE INDEX clients_phone ON clients (phone);  -- who texted us (0010)

-- The composite foreign keys make "another salon's staff/client/service"
-- impossible to store, whatever the code above does.
CREATE TABLE appointments (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    salon_id    uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    client_id   uuid,  -- none only while 'held' (an online booking waiting for its code)
    staff_id    uuid NOT NULL,
    service_id  uuid NOT NULL,
    start_time  timestamptz NOT NULL,
    end_time    timestamptz NOT NULL,
    status      text NOT NULL DEFAULT 'booked'
                CHECK (status IN ('held', 'booked', 'cancelled', 'completed', 'no_show')),
    notes       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- 0 when booked, one more per change, at a time that grows by whole seconds: the .ics SEQUENCE
    -- and DTSTAMP of the notices about it, so no two of them tie.
    revision    integer NOT NULL DEFAULT 0,
    revised_at  timestamptz NOT NULL DEFAULT date_trunc('second', now()),
    source               text NOT NULL DEFAULT 'front_desk' CHECK (source IN ('front_desk', 'online', 'api')),
    cancelled_by         text CHECK (cancelled_by IN ('client', 'salon')),
    moved_by             text CHECK (moved_by IN ('client', 'salon')),  -- the latest move
    client_confirmed_at  timestamptz,
    CHECK (start_time < end_time),
    CONSTRAINT appointments_client_known CHECK (status = 'held' OR client_id IS NOT NULL),
    CONSTRAINT appointments_client_fkey FOREIGN KEY (salon_id, client_id) REFERENCES clients (salon_id, id),
    CONSTRAINT appointments_staff_fkey FOREIGN KEY (salon_id, staff_id) REFERENCES staff (salon_id, id),
    CONSTRAINT appointments_service_fkey FOREIGN KEY (salon_id, service_id) REFERENCES services (salon_id, id),
    -- salon_id changes nothing for the salon's own staff, but makes another salon's
    -- staff id fail on its foreign key (404) instead of revealing when they are busy.
    CONSTRAINT appointments_no_overlap EXCLUDE USING gist (
        salon_id WITH =, staff_id WITH =, tstzrange(start_time, end_time) WITH &&
    ) WHERE (status IN ('booked', 'held'))
);
CREATE INDEX appointments_salon_day ON appointments (salon_id, start_time);
CREATE INDEX appointments_salon_id ON appointments (salon_id, id);  -- an export's pages (0016)

-- An online booking's details while it waits for its code; the worker releases lapsed holds.
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
    -- booked (the right code), expired, wrong_codes, or displaced (a newer hold took its place: the salon or
    -- the stylist's day had as many waiting as it may); an ended hold stays a day to be counted, then goes
    ended               text CHECK (ended IN ('booked', 'expired', 'wrong_codes', 'displaced')),
    CHECK (email IS NOT NULL OR phone IS NOT NULL)
);
CREATE INDEX holds_live ON holds (salon_id, expires_at) WHERE ended IS NULL;
CREATE INDEX holds_by_address ON holds (client_address, created_at);

-- Every code sent (online bookings, the waitlist), counted per recipient per hour and per salon per day
-- (booking/code_sends.py). The recipient is an HMAC of the normalised email or number under the
-- installation's secret, never the address itself; rows go after a day.
CREATE TABLE code_sends (
    recipient_hash  bytea NOT NULL,
    salon_id        uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    sent_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX code_sends_recipient ON code_sends (recipient_hash, sent_at);
CREATE INDEX code_sends_salon ON code_sends (salon_id, sent_at);
CREATE INDEX appointments_client ON appointments (client_id, id);  -- a client's, in an export's order (0016)

-- The notification queue. A job is claimed by one worker (locked_by,
-- locked_at, attempts + 1) and every later write is fenced on that claim.
-- channels_done is the per-channel progress: a retry skips those channels.
CREATE TABLE notification_jobs (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    salon_id        uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    client_id       uuid REFERENCES clients ON DELETE CASCADE,  -- NULL: to the address in the payload
    appointment_id  uuid REFERENCES appointments ON DELETE CASCADE,
    type            text NOT NULL CHECK (type IN ('booking_confirmation', 'reminder_24h',
                                                  'reminder_2h', 'cancellation', 'rescheduled',
                                                  'team_invite', 'salon_notice', 'booking_code',
                                                  'text_reply', 'reminder', 'thank_you')),
    payload         jsonb NOT NULL DEFAULT '{}',
    channels        text[] NOT NULL CHECK (channels <@ ARRAY['email', 'sms'] AND channels <> '{}'),
    channels_done   text[] NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled')),
    attempts        integer NOT NULL DEFAULT 0,
    max_attempts    integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    error           text,
    run_at          timestamptz NOT NULL DEFAULT now(),
    locked_by       text,
    locked_at       timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    processed_at    timestamptz,
    -- someone at the front desk has looked at it since it failed (0017): until then the menu counts it
    failure_seen_at timestamptz,
    -- how long before the start a reminder goes (0018): a 'reminder' always says, the released types too
    minutes_before  integer CHECK (minutes_before BETWEEN 30 AND 10080),
    CONSTRAINT notification_jobs_reminder_minutes CHECK (type <> 'reminder' OR minutes_before IS NOT NULL),
    CONSTRAINT notification_jobs_recipient CHECK (client_id IS NOT NULL OR payload ? 'email' OR payload ? 'phone')
) WITH (
    -- A queue table churns: vacuum it after a few hundred dead rows rather
    -- than after 20 % of the table, so claims keep scanning a small index.
    autovacuum_vacuum_scale_factor = 0.0,
    autovacuum_vacuum_threshold = 500,
    autovacuum_analyze_scale_factor = 0.05,
    fillfactor = 80
);
-- One live job of a type per appointment (of a reminder, per moment), enforced here and not only in code.
CREATE UNIQUE INDEX notification_jobs_one_live
    ON notification_jobs (appointment_id, type, coalesce(minutes_before, 0)) WHERE status IN ('pending', 'processing');
-- The claim walks the due jobs salon by salon, so one salon's backlog cannot hold up another's (fair_claims).
CREATE INDEX notification_jobs_due_per_salon
    ON notification_jobs (salon_id, run_at, id) WHERE status = 'pending';
CREATE INDEX notification_jobs_claimed
    ON notification_jobs (locked_by) WHERE status = 'processing';
CREATE INDEX notification_jobs_done
    ON notification_jobs (processed_at) WHERE status = 'completed';
CREATE INDEX notification_jobs_salon
    ON notification_jobs (salon_id, created_at DESC);
CREATE INDEX notification_jobs_appointment ON notification_jobs (appointment_id);
-- A number's texts, a client's jobs (0010), in an export's order (0016).
CREATE INDEX notification_jobs_client ON notification_jobs (client_id, id);
CREATE INDEX notification_jobs_salon_id ON notification_jobs (salon_id, id);  -- an export's pages (0016)
-- The jobs page at a chain's size (0011): filtered by status (and the counts per status), by type, by day.
CREATE INDEX notification_jobs_salon_status
    ON notification_jobs (salon_id, status, created_at DESC, run_at DESC, id DESC);
CREATE INDEX notification_jobs_salon_type
    ON notification_jobs (salon_id, type, created_at DESC, run_at DESC, id DESC);
CREATE INDEX notification_jobs_salon_run_at ON notification_jobs (salon_id, run_at, id);
CREATE INDEX notification_jobs_failures_unseen ON notification_jobs (salon_id, appointment_id)
    WHERE status = 'failed' AND failure_seen_at IS NULL;
-- A secret made for one message (a booking code, an invitation's link) is the payload's "secret", forgotten
-- the moment its job ends, whichever way (0014).
CREATE FUNCTION forget_job_secret() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.payload := NEW.payload - 'secret';
    RETURN NEW;
END
$$;
CREATE TRIGGER notification_jobs_secret_forgotten BEFORE UPDATE OF status ON notification_jobs
    FOR EACH ROW WHEN (NEW.status IN ('completed', 'failed', 'cancelled') AND NEW.payload ? 'secret')
    EXECUTE FUNCTION forget_job_secret();

-- One row per channel per attempt: the history shown on a job's page.
CREATE TABLE notification_attempts (
    id          bigserial PRIMARY KEY,
    job_id      uuid NOT NULL REFERENCES notification_jobs ON DELETE CASCADE,
    attempt     integer NOT NULL,
    channel     text NOT NULL,
    -- 'started' is written before anything is sent; 'unconfirmed' when its worker stopped before the
    -- outcome was known (the message may have gone out).
    outcome     text NOT NULL CHECK (outcome IN ('started', 'sent', 'transient', 'permanent', 'skipped',
                                                 'unconfirmed')),
    detail      text NOT NULL DEFAULT '',
    worker_id   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    claim_lost  boolean NOT NULL DEFAULT false,  -- recorded after the job was cancelled, retried or taken over
    provider_id text  -- the provider's id of what was sent (an SMS's MessageSid): its delivery status
);
CREATE INDEX notification_attempts_job ON notification_attempts (job_id, id);
CREATE INDEX notification_attempts_provider_id ON notification_attempts (provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX notification_attempts_sent_after_claim_lost  -- /metrics (0011)
    ON notification_attempts (job_id) WHERE claim_lost AND outcome = 'sent';

-- What the provider last said of each text it took, by its id (MessageSid). A status never goes back: a
-- 'sent' that arrives after 'delivered' changes nothing. The status callback may come before the worker
-- has recorded the send, so a row is not tied to an attempt; attempts name it by provider_id (0010).
CREATE TABLE sms_deliveries (
    message_sid  text PRIMARY KEY,
    status       text NOT NULL,
    rank         smallint NOT NULL,  -- how far the text got; a status of lower or equal rank never replaces it
    error_code   integer,
    reported_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sms_deliveries_reported ON sms_deliveries (reported_at);  -- the nightly clean-up (0011)

-- A number that texted STOP (or that the provider calls unsubscribed, error 21610) gets no texts until it
-- texts START. One row per number for every salon: they all text from the one sender number, and the
-- carrier blocks that sender for the number whichever salon sends.
CREATE TABLE sms_opt_outs (
    phone         text PRIMARY KEY,  -- E.164
    opted_out_at  timestamptz NOT NULL DEFAULT now(),
    reason        text NOT NULL  -- what the client texted, or the provider's error
);

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
CREATE INDEX inbound_texts_salon_id ON inbound_texts (salon_id, id);  -- an export's pages (0016)

-- Live workers: a worker whose heartbeat stops loses its claims.
CREATE TABLE workers (
    id            text PRIMARY KEY,
    hostname      text NOT NULL,
    pid           integer NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now(),
    heartbeat_at  timestamptz NOT NULL DEFAULT now()
);

-- What the built-in mail catcher received (email) or the SMS stand-in kept.
CREATE TABLE outbox_messages (
    id           bigserial PRIMARY KEY,
    salon_id     uuid REFERENCES salons ON DELETE CASCADE,
    channel      text NOT NULL CHECK (channel IN ('email', 'sms')),
    sender       text NOT NULL DEFAULT '',
    recipients   text[] NOT NULL,
    subject      text NOT NULL DEFAULT '',
    message_id   text,
    body         text NOT NULL,  -- the raw RFC 5322 message for email, the text for SMS
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_messages_salon ON outbox_messages (salon_id, id DESC);

-- Secrets every process must share, e.g. the key that signs login cookies.
CREATE TABLE secrets (
    name   text PRIMARY KEY,
    value  text NOT NULL
);

-- Rows per status of the tables /metrics counts: each statement that changes them adds its net change per
-- status, a scrape sums (and folds) them, at the same cost at any size (0012, db/tallies.py).
CREATE TABLE status_tallies (
    tally   text NOT NULL,  -- the counted table
    status  text NOT NULL,
    n       bigint NOT NULL
);

CREATE FUNCTION tally_statuses() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM status_tallies WHERE tally = TG_TABLE_NAME;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO status_tallies SELECT TG_TABLE_NAME, status, count(*) FROM added GROUP BY status;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO status_tallies SELECT TG_TABLE_NAME, status, -count(*) FROM removed GROUP BY status;
    ELSE
        INSERT INTO status_tallies
        SELECT TG_TABLE_NAME, status, sum(n)
          FROM (SELECT status, -1 AS n FROM removed UNION ALL SELECT status, 1 FROM added) AS changes
         GROUP BY status HAVING sum(n) <> 0;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER notification_jobs_added AFTER INSERT ON notification_jobs
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION tally_statuses();
CREATE TRIGGER notification_jobs_changed AFTER UPDATE ON notification_jobs
    REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION tally_statuses();
CREATE TRIGGER notification_jobs_removed AFTER DELETE ON notification_jobs
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION tally_statuses();
CREATE TRIGGER notification_jobs_emptied AFTER TRUNCATE ON notification_jobs FOR EACH STATEMENT EXECUTE FUNCTION tally_statuses();
CREATE TRIGGER sms_deliveries_added AFTER INSERT ON sms_deliveries
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION tally_statuses();
CREATE TRIGGER sms_deliveries_changed AFTER UPDATE ON sms_deliveries
    REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION tally_statuses();
CREATE TRIGGER sms_deliveries_removed AFTER DELETE ON sms_deliveries
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION tally_statuses();
CREATE TRIGGER sms_deliveries_emptied AFTER TRUNCATE ON sms_deliveries FOR EACH STATEMENT EXECUTE FUNCTION tally_statuses();

-- What a message needs to be written and checked, per job: the domain's view of its own tables. The queue's
-- claim selects a job and this view, and knows nothing of salons, clients or appointments (jobqueue/).
CREATE VIEW message_facts AS
SELECT j.id AS job_id,
       s.name AS salon_name, s.address AS salon_address, s.timezone AS salon_timezone,
       s.email AS salon_email, s.phone AS salon_phone, s.locale AS salon_locale,
       s.sms_countries AS salon_sms_countries, s.quiet_start, s.quiet_end,
       coalesce(cl.first_name, j.payload->>'name', '') AS client_first_name,
       coalesce(cl.last_name, '') AS client_last_name,
       coalesce(cl.email, j.payload->>'email') AS client_email,
       coalesce(j.payload->>'phone', cl.phone) AS client_phone,  -- a reply goes to the number that wrote
       a.status AS appointment_status, a.start_time, a.end_time,
       a.created_at AS appointment_created_at,
       st.first_name AS staff_first_name, st.last_name AS staff_last_name,
       sv.name AS service_name,
       s.thank_you_review_url AS review_url,
       m.subject AS own_subject, m.email_text AS own_text, m.sms AS own_sms
  FROM notification_jobs j
  JOIN salons s ON s.id = j.salon_id
  LEFT JOIN clients cl ON cl.id = j.client_id  -- none: a notice to the address in its payload
  LEFT JOIN appointments a ON a.id = j.appointment_id
  LEFT JOIN staff st ON st.id = a.staff_id
  LEFT JOIN services sv ON sv.id = a.service_id
  LEFT JOIN salon_messages m
         ON m.salon_id = j.salon_id AND m.type = j.type AND m.language = split_part(s.locale, '-', 1);

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
    -- The reminder plan (0024): up to three, each 30 minutes to 7 days before the start.
    reminder_minutes           integer[] NOT NULL DEFAULT '{1440,120}',
    thank_you_enabled          boolean NOT NULL DEFAULT false,  -- a thank-you after an attended appointment
    thank_you_hours_after      integer NOT NULL DEFAULT 2,
    thank_you_review_url       text NOT NULL DEFAULT '',
    -- the salon's policy (0028): fees, each a percent of the price, charged on the card saved at booking
    no_show_fee_percent            integer NOT NULL DEFAULT 0 CHECK (no_show_fee_percent BETWEEN 0 AND 100),
    late_cancellation_fee_percent  integer NOT NULL DEFAULT 0 CHECK (late_cancellation_fee_percent BETWEEN 0 AND 100),
    CONSTRAINT salons_quiet_hours CHECK ((quiet_start IS NULL) = (quiet_end IS NULL)),
    CONSTRAINT salons_reminder_plan CHECK (
        cardinality(reminder_minutes) <= 3 AND array_position(reminder_minutes, NULL) IS NULL
        AND 30 <= ALL (reminder_minutes) AND 10080 >= ALL (reminder_minutes)),
    CONSTRAINT salons_thank_you_hours CHECK (thank_you_hours_after BETWEEN 0 AND 720)
);

-- A salon's own words for one notice in one language (0024): each part NULL keeps the product's wording.
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
                   CHECK (role IN ('owner', 'receptionist', 'stylist')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    staff_id       uuid,  -- a stylist's staff member (0021; foreign key below, after staff)
    locale         text CHECK (locale ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),  -- their pages' language; NULL: the salon's (0025)
    CONSTRAINT users_stylist_staff CHECK ((role = 'stylist') = (staff_id IS NOT NULL)),
    CONSTRAINT users_salon_id_key UNIQUE (salon_id, id)  -- a note's author is of its salon (0018)
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE UNIQUE INDEX users_staff_key ON users (staff_id) WHERE staff_id IS NOT NULL;  -- one login per stylist

-- A one-time invitation to join a salon's team: only the SHA-256 of its token is kept; it is used
-- once, or lapses.
CREATE TABLE invitations (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    salon_id     uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    email        text NOT NULL,
    role         text NOT NULL DEFAULT 'receptionist' CHECK (role IN ('receptionist', 'stylist')),
    token_hash   bytea NOT NULL UNIQUE,
    invited_by   uuid REFERENCES users ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    staff_id     uuid,  -- whom a stylist will be (0021; foreign key below, after staff)
    CONSTRAINT invitations_stylist_staff CHECK ((role = 'stylist') = (staff_id IS NOT NULL))
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
-- A stylist who logs in, or is invited to, is one staff member of their own salon; their login goes with them.
ALTER TABLE users ADD CONSTRAINT users_staff_fkey
    FOREIGN KEY (salon_id, staff_id) REFERENCES staff (salon_id, id) ON DELETE CASCADE;
ALTER TABLE invitations ADD CONSTRAINT invitations_staff_fkey
    FOREIGN KEY (salon_id, staff_id) REFERENCES staff (salon_id, id) ON DELETE CASCADE;

-- A stylist's calendar subscription (0021): only the SHA-256 of its token is kept. One per stylist: a new
-- one replaces the old, whose link then answers 404.
CREATE TABLE calendar_feeds (
    salon_id    uuid NOT NULL,
    staff_id    uuid NOT NULL,
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (salon_id, staff_id),
    CONSTRAINT calendar_feeds_staff_fkey FOREIGN KEY (salon_id, staff_id) REFERENCES staff (salon_id, id)
        ON DELETE CASCADE
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
    -- the stylist stays busy this long after it; not the client's time (0020)
    buffer_minutes    integer NOT NULL DEFAULT 0 CHECK (buffer_minutes BETWEEN 0 AND 120),
    all_staff         boolean NOT NULL DEFAULT true,  -- everyone performs it; else only its service_staff rows
    UNIQUE (salon_id, id),
    -- a deposit at online booking (0026): a percent of its price, or an amount; not both
    deposit_percent   integer CHECK (deposit_percent BETWEEN 1 AND 100),
    deposit_cents     integer CHECK (deposit_cents BETWEEN 1 AND 10000000),
    CONSTRAINT services_one_deposit CHECK (deposit_percent IS NULL OR deposit_cents IS NULL)
);

-- Who does what (0020): when a service is not everyone's, its rows here are who performs it; a row may give that
-- member their own length and price (NULL: the service's).
CREATE TABLE service_staff (
    salon_id          uuid NOT NULL,
    service_id        uuid NOT NULL,
    staff_id          uuid NOT NULL,
    duration_minutes  integer CHECK (duration_minutes BETWEEN 5 AND 720),
    price_cents       integer CHECK (price_cents BETWEEN 0 AND 10000000),
    PRIMARY KEY (service_id, staff_id),
    CONSTRAINT service_staff_service_fkey FOREIGN KEY (salon_id, service_id)
        REFERENCES services (salon_id, id) ON DELETE CASCADE,
    CONSTRAINT service_staff_staff_fkey FOREIGN KEY (salon_id, staff_id)
        REFERENCES staff (salon_id, id) ON DELETE CASCADE
);
CREATE INDEX service_staff_staff ON service_staff (staff_id);

-- A member's terms for a service of their salon: whether they perform it, their length for it (their own, else
-- the service's) and the buffer after it. What booking, holding and moving read (booking/appointments.py; 0020).
CREATE VIEW service_terms AS
SELECT v.salon_id, v.id AS service_id, m.id AS staff_id,
       v.all_staff OR own.staff_id IS NOT NULL AS offered,
       coalesce(own.duration_minutes, v.duration_minutes) AS duration_minutes, v.buffer_minutes
  FROM services v
  JOIN staff m ON m.salon_id = v.salon_id
  LEFT JOIN service_staff own ON own.service_id = v.id AND own.staff_id = m.id;

-- Time a staff member is away (0020): free times leave it out, and no appointment is booked, held or moved into
-- it (appointments_not_in_time_off). Adding it over booked appointments lists them; nothing moves by itself.
CREATE TABLE time_off (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    salon_id    uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    staff_id    uuid NOT NULL,
    during      tstzrange NOT NULL CHECK (NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during)),
    reason      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT time_off_staff_fkey FOREIGN KEY (salon_id, staff_id) REFERENCES staff (salon_id, id) ON DELETE CASCADE
);
CREATE INDEX time_off_staff ON time_off USING gist (salon_id, staff_id, during);

-- The time an appointment keeps its stylist busy: its own and its buffer. IMMUTABLE is true though timestamptz +
-- interval is only STABLE: an interval of minutes alone does not depend on the time zone (0020).
CREATE FUNCTION busy_span(start_time timestamptz, end_time timestamptz, buffer_minutes integer) RETURNS tstzrange
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT tstzrange(start_time, end_time + make_interval(mins => buffer_minutes)) $$;

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
    -- the service's price when booked (0018): spend and revenue do not move with a later price
    price_cents          integer NOT NULL CONSTRAINT appointments_price_cents_check CHECK (price_cents >= 0),
    series_id            uuid,  -- the occurrences of one repeat booking share it (0018)
    cancelled_at         timestamptz,  -- "late" or not by the salon's cut-off (0018)
    -- the service's buffer when booked: the stylist is busy until end_time plus this, the client is not (0020)
    buffer_minutes       integer NOT NULL DEFAULT 0 CHECK (buffer_minutes BETWEEN 0 AND 120),
    CHECK (start_time < end_time),
    CONSTRAINT appointments_client_known CHECK (status = 'held' OR client_id IS NOT NULL),
    CONSTRAINT appointments_client_fkey FOREIGN KEY (salon_id, client_id) REFERENCES clients (salon_id, id),
    CONSTRAINT appointments_staff_fkey FOREIGN KEY (salon_id, staff_id) REFERENCES staff (salon_id, id),
    CONSTRAINT appointments_service_fkey FOREIGN KEY (salon_id, service_id) REFERENCES services (salon_id, id),
    -- a payment is of its salon, and an export's pages walk it (0026; 0016's index appointments_salon_id before)
    CONSTRAINT appointments_salon_id_key UNIQUE (salon_id, id),
    -- salon_id changes nothing for the salon's own staff, but makes another salon's
    -- staff id fail on its foreign key (404) instead of revealing when they are busy.
    CONSTRAINT appointments_no_overlap EXCLUDE USING gist (
        salon_id WITH =, staff_id WITH =, busy_span(start_time, end_time, buffer_minutes) WITH &&
    ) WHERE (status IN ('booked', 'held'))
);

-- No booked or held appointment inside its stylist's time off (0020). The stylist's row is locked for share
-- first: time off being added locks it for update, so either this sees that time off once it is committed, or
-- the time off waits for this appointment and lists it.
CREATE FUNCTION refuse_time_off() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM FROM staff WHERE salon_id = NEW.salon_id AND id = NEW.staff_id FOR SHARE;
    IF EXISTS (SELECT FROM time_off
                WHERE salon_id = NEW.salon_id AND staff_id = NEW.staff_id
                  AND during && tstzrange(NEW.start_time, NEW.end_time)) THEN
        RAISE EXCEPTION 'the staff member has time off then'
              USING ERRCODE = 'check_violation', CONSTRAINT = 'appointments_not_in_time_off';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER appointments_not_in_time_off BEFORE INSERT OR UPDATE OF start_time, end_time, staff_id, status
    ON appointments FOR EACH ROW WHEN (NEW.status IN ('booked', 'held')) EXECUTE FUNCTION refuse_time_off();
CREATE INDEX appointments_salon_day ON appointments (salon_id, start_time);
-- A client's history a page at a time, and its counts: one range of one index (0018).
CREATE INDEX appointments_client_history ON appointments (salon_id, client_id, start_time, id);
CREATE INDEX appointments_series ON appointments (salon_id, series_id, start_time) WHERE series_id IS NOT NULL;
-- A new appointment keeps its service's price as it is when the row is written, whichever statement writes it.
-- The staff member's own price for the service if they have one (0020), else the service's.
CREATE FUNCTION price_at_booking() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.price_cents := coalesce(NEW.price_cents,
                                (SELECT price_cents FROM service_staff
                                  WHERE service_id = NEW.service_id AND staff_id = NEW.staff_id),
                                (SELECT price_cents FROM services WHERE id = NEW.service_id AND salon_id = NEW.salon_id),
                                0);
    RETURN NEW;
END
$$;
CREATE TRIGGER appointments_priced BEFORE INSERT ON appointments
    FOR EACH ROW EXECUTE FUNCTION price_at_booking();

-- What the salon notes about a client (a colour formula), by whom and when (0018). The author's name is kept
-- as it was: a note outlives its author's account.
CREATE TABLE client_notes (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    salon_id    uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    client_id   uuid NOT NULL,
    author_id   uuid,
    author      text NOT NULL,
    text        text NOT NULL CHECK (length(text) BETWEEN 1 AND 10000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT client_notes_client_fkey FOREIGN KEY (salon_id, client_id) REFERENCES clients (salon_id, id)
        ON DELETE CASCADE,
    CONSTRAINT client_notes_author_fkey FOREIGN KEY (salon_id, author_id) REFERENCES users (salon_id, id)
        ON DELETE SET NULL (author_id)
);
CREATE INDEX client_notes_client ON client_notes (salon_id, client_id, created_at DESC, id DESC);
-- One stylist's appointments over a span of days: their calendar feed and week view (0021).
CREATE INDEX appointments_staff_time ON appointments (salon_id, staff_id, start_time);

-- The waitlist (0022): clients wait for a time that suits them; when one frees, the first few in the order they
-- joined are offered it, and the first to claim it has it booked.
CREATE TABLE waitlist_entries (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    salon_id    uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    client_id   uuid,  -- none only while 'unverified' (joined online, the code not typed yet)
    service_id  uuid NOT NULL,
    staff_id    uuid,  -- none: with anyone
    from_date   date NOT NULL,  -- salon-local days the client can come, both included
    to_date     date NOT NULL,
    earliest    time,  -- salon-local start times the client can come at, both included; none: any
    latest      time,
    status      text NOT NULL DEFAULT 'waiting'
                CHECK (status IN ('unverified', 'waiting', 'booked', 'left', 'expired')),
    source      text NOT NULL DEFAULT 'front_desk' CHECK (source IN ('front_desk', 'online', 'api')),
    joined_at   timestamptz NOT NULL DEFAULT now(),  -- the order offers go in
    ended_at    timestamptz,  -- booked, left or expired
    UNIQUE (salon_id, id),
    CHECK (from_date <= to_date),
    CHECK (earliest IS NULL OR latest IS NULL OR earliest <= latest),
    CONSTRAINT waitlist_entries_client_known CHECK (status = 'unverified' OR client_id IS NOT NULL),
    CONSTRAINT waitlist_entries_ended CHECK ((status IN ('unverified', 'waiting')) = (ended_at IS NULL)),
    CONSTRAINT waitlist_entries_client_fkey FOREIGN KEY (salon_id, client_id) REFERENCES clients (salon_id, id),
    CONSTRAINT waitlist_entries_staff_fkey FOREIGN KEY (salon_id, staff_id) REFERENCES staff (salon_id, id),
    CONSTRAINT waitlist_entries_service_fkey FOREIGN KEY (salon_id, service_id) REFERENCES services (salon_id, id)
);
-- A freed time's match finds the waiting entries of its service whose days hold the freed day (btree_gist), and
-- offers the first five of them in the order they joined: however many wait for other days.
CREATE INDEX waitlist_entries_matching ON waitlist_entries
    USING gist (salon_id, service_id, daterange(from_date, to_date, '[]')) WHERE status = 'waiting';
CREATE INDEX waitlist_entries_salon ON waitlist_entries (salon_id, joined_at, id);  -- the desk's list
CREATE INDEX waitlist_entries_client ON waitlist_entries (client_id);

-- A freed time offered to one entry. The link in the offer names it (signed, booking.links); the first offer
-- of a time to be claimed books it (the overlap constraint picks one winner), the others' then say it has gone.
CREATE TABLE waitlist_offers (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    salon_id        uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    entry_id        uuid NOT NULL,
    staff_id        uuid NOT NULL,
    start_time      timestamptz NOT NULL,
    end_time        timestamptz NOT NULL,
    freed_by        uuid REFERENCES appointments ON DELETE SET NULL,  -- the cancelled or moved appointment, if any
    appointment_id  uuid UNIQUE REFERENCES appointments ON DELETE SET NULL,  -- what the claim booked
    offered_at      timestamptz NOT NULL DEFAULT now(),
    claimed_at      timestamptz,
    CHECK (start_time < end_time),
    CONSTRAINT waitlist_offers_entry_fkey FOREIGN KEY (salon_id, entry_id)
        REFERENCES waitlist_entries (salon_id, id) ON DELETE CASCADE,
    CONSTRAINT waitlist_offers_staff_fkey FOREIGN KEY (salon_id, staff_id) REFERENCES staff (salon_id, id)
);
CREATE INDEX waitlist_offers_entry ON waitlist_offers (entry_id);
CREATE INDEX waitlist_offers_freed_by ON waitlist_offers (freed_by);

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
    ended               text CHECK (ended IN ('booked', 'expired', 'wrong_codes', 'displaced', 'joined')),
    CHECK (email IS NOT NULL OR phone IS NOT NULL),
    -- joining the waitlist online (0022): a hold with no time, whose code makes the entry a waiting one
    waitlist_entry_id   uuid UNIQUE REFERENCES waitlist_entries ON DELETE CASCADE,
    code_typed_at       timestamptz  -- the right code came, and the booking waits for its deposit (0026)
);
CREATE INDEX holds_live ON holds (salon_id, expires_at) WHERE ended IS NULL;
CREATE INDEX holds_by_address ON holds (client_address, created_at);

-- The salon's Stripe account: its secret key and webhook signing secret are sealed (booking/sealing.py) under a
-- key derived from the installation's secret 'payments_key' (the secrets table), never shown back; the page
-- shows the key's last 4 characters. The publishable key is public (the booking page's card field needs it).
CREATE TABLE stripe_accounts (
    salon_id               uuid PRIMARY KEY REFERENCES salons ON DELETE CASCADE,
    secret_key_sealed      bytea NOT NULL,
    secret_key_last4       text NOT NULL CHECK (length(secret_key_last4) <= 4),
    publishable_key        text NOT NULL CHECK (publishable_key LIKE 'pk\_%'),
    webhook_secret_sealed  bytea,  -- none yet: every webhook is refused, the page's own check still books
    updated_at             timestamptz NOT NULL DEFAULT now()
);

-- Every money movement through the salon's Stripe account. A deposit is paid inside its hold (hold_id) and is
-- on its appointment once booked; at most one row per PaymentIntent moves money in (payments_one_per_intent),
-- so a webhook and the page's own check, or a webhook three times, book once.
CREATE TABLE payments (
    id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    salon_id                  uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    appointment_id            uuid,
    hold_id                   uuid UNIQUE REFERENCES holds ON DELETE SET NULL,
    kind                      text NOT NULL CHECK (kind IN ('deposit', 'fee', 'refund')),
    amount_cents              integer NOT NULL CHECK (amount_cents > 0),
    currency                  text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- a fee's is known once Stripe answers: its row is written, with its key, before Stripe is asked (0028)
    stripe_payment_intent_id  text,
    stripe_refund_id          text UNIQUE,  -- a refund's, once Stripe has answered
    status                    text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    -- what a fee or a refund is asked of Stripe under, made from the appointment and the reason: written before
    -- Stripe is asked, so one whose answer was lost is asked again under the same key and moves no money twice
    idempotency_key           text UNIQUE,
    -- why money moved (0028); one reason moves money once
    reason                    text NOT NULL CHECK (reason IN ('deposit', 'no_show', 'late_cancellation',
                                                              'early_cancellation', 'owner', 'unbooked')),
    failure                   text,  -- what Stripe said of a fee or refund that did not go through (0029)
    CONSTRAINT payments_refund_id_on_refunds CHECK (kind = 'refund' OR stripe_refund_id IS NULL),
    CONSTRAINT payments_appointment_fkey FOREIGN KEY (salon_id, appointment_id) REFERENCES appointments (salon_id, id),
    CONSTRAINT payments_keyed CHECK ((kind = 'deposit') = (idempotency_key IS NULL)),
    CONSTRAINT payments_intent_known CHECK (stripe_payment_intent_id IS NOT NULL OR kind = 'fee')
);
CREATE UNIQUE INDEX payments_one_per_intent ON payments (stripe_payment_intent_id) WHERE kind <> 'refund';
CREATE INDEX payments_of_appointment ON payments (salon_id, appointment_id, created_at);
CREATE INDEX payments_by_day ON payments (salon_id, created_at);  -- the reports' periods (0028)
CREATE INDEX payments_salon_id ON payments (salon_id, id);  -- an export's pages (0028)
-- The fees and refunds still pending, for the worker's look for one whose job ended (payments.requeue_stranded).
CREATE INDEX payments_pending_moves ON payments (updated_at) WHERE status = 'pending' AND kind <> 'deposit';

-- A card the client saved at online booking, where a fee may apply (0028): a SetupIntent (seti_...), or the
-- deposit's own PaymentIntent (pi_..., paid with setup_future_usage). Saved inside its hold (hold_id) and on its
-- appointment once booked; the Stripe customer is the salon's, made for this client on its account.
CREATE TABLE saved_cards (
    id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    salon_id                  uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    hold_id                   uuid UNIQUE REFERENCES holds ON DELETE SET NULL,
    appointment_id            uuid,
    stripe_customer_id        text NOT NULL,
    stripe_intent_id          text NOT NULL UNIQUE,
    stripe_payment_method_id  text,  -- once Stripe says the card is saved
    -- what the desk shows of it, read from Stripe once when the card is saved (NULL: Stripe could not say yet)
    card_brand                text,
    card_last4                text,
    status                    text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT saved_cards_method_when_saved CHECK (status <> 'succeeded' OR stripe_payment_method_id IS NOT NULL),
    CONSTRAINT saved_cards_appointment_fkey FOREIGN KEY (salon_id, appointment_id)
        REFERENCES appointments (salon_id, id)
);
CREATE UNIQUE INDEX saved_cards_of_appointment ON saved_cards (salon_id, appointment_id);
CREATE INDEX saved_cards_salon_id ON saved_cards (salon_id, id);  -- an export's pages

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

-- Limits every process shares (0023): UNLOGGED (a crash forgets the counts, as a restart forgot the
-- in-memory ones, and a count writes no WAL); rows are the installation's, not a salon's, and expire.
-- A token bucket per API token or client address (db/buckets.py): full again at full_at.
CREATE UNLOGGED TABLE rate_buckets (
    kind     text NOT NULL CHECK (kind IN ('api', 'public')),
    key      bytea NOT NULL,
    full_at  timestamptz NOT NULL,
    PRIMARY KEY (kind, key)
) WITH (fillfactor = 70);
-- Failed logins per email at an address and per address (booking/logins.py); the key is their SHA-256.
CREATE UNLOGGED TABLE login_tallies (
    key       bytea PRIMARY KEY,
    failures  integer NOT NULL CHECK (failures >= 0),
    last_at   timestamptz NOT NULL
) WITH (fillfactor = 70);

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
                                                  'text_reply', 'waitlist_offer', 'reminder', 'thank_you',
                                                  'payment')),
    payload         jsonb NOT NULL DEFAULT '{}',
    -- 'stripe': a payment job's one channel, which moves its payments row's money (0029)
    channels        text[] NOT NULL CHECK (channels <@ ARRAY['email', 'sms', 'stripe'] AND channels <> '{}'),
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
    -- how long before the start a reminder goes (0024): a 'reminder' always says, the released types too
    minutes_before  integer CHECK (minutes_before BETWEEN 30 AND 10080),
    CONSTRAINT notification_jobs_reminder_minutes CHECK (type <> 'reminder' OR minutes_before IS NOT NULL),
    -- a payment job has no recipient: an unbooked deposit's refund has no client either (0029)
    CONSTRAINT notification_jobs_recipient
        CHECK (client_id IS NOT NULL OR payload ? 'email' OR payload ? 'phone' OR type = 'payment')
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
-- Made last of the table's indexes (0027): while every job is pending, the planner's ties go its way.
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
) WITH (fillfactor = 80);  -- recording the outcome is a HOT update (0027)
CREATE INDEX notification_attempts_job ON notification_attempts (job_id, id);
CREATE INDEX notification_attempts_provider_id ON notification_attempts (provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX notification_attempts_sent_after_claim_lost  -- /metrics (0011); no outcome, so HOT (0027)
    ON notification_attempts (job_id) WHERE claim_lost;

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

-- (0019) Reports count each salon's messages per channel and type for any period, but the queue forgets: a job is
-- deleted a week after it completes (--keep_completed_days) and a delivery report a while after it came.
-- So what became of each message (one row per job and channel) is kept here, written by triggers in the
-- transaction that records it, whichever code path that is; the job may go, its outcome stays.
CREATE TABLE message_outcomes (
    salon_id     uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    job_id       uuid NOT NULL,  -- no foreign key: the job is cleaned up, what became of it is not
    channel      text NOT NULL,
    type         text NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('sent', 'failed')),
    decided_at   timestamptz NOT NULL,
    provider_id  text,  -- a text's id at the provider: its delivery report finds it here
    delivered    boolean NOT NULL DEFAULT false,  -- the provider said the text reached the phone
    PRIMARY KEY (job_id, channel)
);
CREATE INDEX message_outcomes_salon ON message_outcomes (salon_id, decided_at);
CREATE INDEX message_outcomes_provider ON message_outcomes (provider_id) WHERE provider_id IS NOT NULL;

-- A channel sent: its attempt says so (a failure of it retried later and sent becomes sent). A batch's attempts
-- updated with their outcomes, in one call.
CREATE FUNCTION record_sent_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO message_outcomes (salon_id, job_id, channel, type, outcome, decided_at, provider_id, delivered)
    SELECT DISTINCT ON (a.job_id, a.channel)
           j.salon_id, a.job_id, a.channel, j.type, 'sent', coalesce(a.finished_at, now()), a.provider_id,
           EXISTS (SELECT FROM sms_deliveries d WHERE d.message_sid = a.provider_id AND d.status = 'delivered')
      FROM added a JOIN notification_jobs j ON j.id = a.job_id
     WHERE a.outcome = 'sent'
     ORDER BY a.job_id, a.channel, a.id
    ON CONFLICT (job_id, channel) DO UPDATE
       SET outcome = 'sent', decided_at = excluded.decided_at, provider_id = excluded.provider_id,
           delivered = excluded.delivered
     WHERE message_outcomes.outcome = 'failed';
    RETURN NULL;
END
$$;

-- A channel failed: its job failed for good without it (a row trigger, 0032: only such a row calls it).
CREATE FUNCTION record_failed_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO message_outcomes (salon_id, job_id, channel, type, outcome, decided_at)
    SELECT NEW.salon_id, NEW.id, c.channel, NEW.type, 'failed', coalesce(NEW.processed_at, now())
      FROM unnest(NEW.channels) AS c (channel)
     WHERE c.channel <> ALL (NEW.channels_done)
    ON CONFLICT (job_id, channel) DO NOTHING;
    RETURN NULL;
END
$$;

-- A channel sent, its attempt row written so (a row trigger, 0032: a claim's 'started' rows call nothing).
CREATE FUNCTION record_sent_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO message_outcomes (salon_id, job_id, channel, type, outcome, decided_at, provider_id, delivered)
    SELECT j.salon_id, NEW.job_id, NEW.channel, j.type, 'sent', coalesce(NEW.finished_at, now()), NEW.provider_id,
           EXISTS (SELECT FROM sms_deliveries d WHERE d.message_sid = NEW.provider_id AND d.status = 'delivered')
      FROM notification_jobs j
     WHERE j.id = NEW.job_id
    ON CONFLICT (job_id, channel) DO UPDATE
       SET outcome = 'sent', decided_at = excluded.decided_at, provider_id = excluded.provider_id,
           delivered = excluded.delivered
     WHERE message_outcomes.outcome = 'failed';
    RETURN NULL;
END
$$;

-- A text reached the phone: the provider's report, whether it came before or after the send was recorded.
CREATE FUNCTION record_delivered_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE message_outcomes m SET delivered = true
      FROM added d
     WHERE m.provider_id = d.message_sid AND d.status = 'delivered' AND NOT m.delivered;
    RETURN NULL;
END
$$;

CREATE TRIGGER notification_attempts_sent AFTER INSERT ON notification_attempts
    FOR EACH ROW WHEN (NEW.outcome = 'sent') EXECUTE FUNCTION record_sent_message();
CREATE TRIGGER notification_attempts_sent_later AFTER UPDATE ON notification_attempts
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION record_sent_messages();
CREATE TRIGGER notification_jobs_failed AFTER UPDATE OF status ON notification_jobs
    FOR EACH ROW WHEN (NEW.status = 'failed' AND OLD.status <> 'failed') EXECUTE FUNCTION record_failed_message();
CREATE TRIGGER sms_deliveries_delivered AFTER INSERT ON sms_deliveries
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION record_delivered_messages();
CREATE TRIGGER sms_deliveries_delivered_later AFTER UPDATE ON sms_deliveries
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION record_delivered_messages();

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
       a.status AS appointment_status, coalesce(a.start_time, o.start_time) AS start_time,
       coalesce(a.end_time, o.end_time) AS end_time,
       a.created_at AS appointment_created_at,
       st.first_name AS staff_first_name, st.last_name AS staff_last_name,
       sv.name AS service_name,
       e.status AS waitlist_status,
       CASE WHEN o.id IS NOT NULL THEN NOT EXISTS (
           SELECT FROM appointments taken
            WHERE taken.salon_id = o.salon_id AND taken.staff_id = o.staff_id AND taken.status IN ('booked', 'held')
              AND busy_span(taken.start_time, taken.end_time, taken.buffer_minutes)
                  && busy_span(o.start_time, o.end_time, sv.buffer_minutes))
         AND NOT EXISTS (
           SELECT FROM time_off away
            WHERE away.salon_id = o.salon_id AND away.staff_id = o.staff_id
              AND away.during && tstzrange(o.start_time, o.end_time))
       END AS offer_still_free,
       s.online_min_notice_minutes,
       s.thank_you_review_url AS review_url,
       m.subject AS own_subject, m.email_text AS own_text, m.sms AS own_sms
  FROM notification_jobs j
  JOIN salons s ON s.id = j.salon_id
  LEFT JOIN clients cl ON cl.id = j.client_id  -- none: a notice to the address in its payload
  LEFT JOIN appointments a ON a.id = j.appointment_id
  LEFT JOIN waitlist_offers o ON o.id = (j.payload->>'offerId')::uuid  -- a waitlist offer
  LEFT JOIN waitlist_entries e ON e.id = o.entry_id
  LEFT JOIN staff st ON st.id = coalesce(a.staff_id, o.staff_id)
  LEFT JOIN services sv ON sv.id = coalesce(a.service_id, e.service_id)
  LEFT JOIN salon_messages m
         ON m.salon_id = j.salon_id AND m.type = j.type AND m.language = split_part(s.locale, '-', 1);

-- The worker's claim (jobqueue/claims.py; 0023), as a function: PL/pgSQL keeps the plan of its query per server
-- connection, as the session's PREPARE did, but needs no session of its own, so it works through PgBouncer in
-- transaction mode. The facts come as one value of message_facts' row type, which follows the view.
CREATE FUNCTION claim_jobs(p_limit integer, p_worker text)
RETURNS TABLE (id uuid, salon_id uuid, client_id uuid, appointment_id uuid, type text, payload jsonb,
               channels text[], channels_done text[], attempts integer, max_attempts integer, locked_by text,
               locked_at timestamptz, created_at timestamptz, facts message_facts, claim_order bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    -- From one salon with pending jobs to the next, with its first pending job: one descent of the index per
    -- salon, on any PostgreSQL (a step "salon_id > previous AND run_at <= now()" needs 18's skip scan not to
    -- read every future reminder it passes). A salon's walk to its next jobs starts at that first job, so no
    -- walk but this one steps over the entries of jobs claimed since the last VACUUM (0027).
    RETURN QUERY WITH RECURSIVE pending_salon AS (
        SELECT '00000000-0000-0000-0000-000000000000'::uuid AS salon_id,  -- before the first salon
               NULL::timestamptz AS run_at
        UNION ALL
        SELECT next.salon_id, next.run_at
          FROM pending_salon CROSS JOIN LATERAL (
               SELECT salon_id, run_at FROM notification_jobs
                WHERE status = 'pending' AND salon_id > pending_salon.salon_id
                ORDER BY salon_id, run_at LIMIT 1) next
    ), due_salon AS (
        SELECT salon_id, run_at FROM pending_salon WHERE run_at <= now()
    ), pick AS (
        SELECT salon_id, 0 AS rank, run_at,
               '00000000-0000-0000-0000-000000000000'::uuid AS id  -- just before the salon's first job
          FROM (SELECT salon_id, run_at FROM due_salon ORDER BY run_at LIMIT p_limit) turn
        UNION ALL
        SELECT pick.salon_id, pick.rank + 1, next.run_at, next.id
          FROM pick CROSS JOIN LATERAL (
               SELECT run_at, id FROM notification_jobs
                WHERE salon_id = pick.salon_id AND status = 'pending' AND run_at <= now()
                  AND attempts < max_attempts AND (run_at, id) > (pick.run_at, pick.id)
                ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) next
         WHERE pick.rank < p_limit
    ), c AS MATERIALIZED (
        SELECT id, rank, run_at FROM pick WHERE rank > 0 ORDER BY rank, run_at, id LIMIT p_limit
    ), j AS (
        UPDATE notification_jobs j
           SET status = 'processing', locked_by = p_worker, locked_at = now(),
               attempts = j.attempts + 1, updated_at = now()
          FROM c WHERE j.id = c.id
        RETURNING j.id, j.salon_id, j.client_id, j.appointment_id, j.type, j.payload, j.channels,
                  j.channels_done, j.attempts, j.max_attempts, j.locked_by, j.locked_at, j.created_at
    ), started AS (
        INSERT INTO notification_attempts (job_id, attempt, channel, outcome, detail, worker_id)
        SELECT j.id, j.attempts, channel, 'started', '', p_worker
          FROM j CROSS JOIN unnest(j.channels) AS channel
         WHERE channel <> ALL (j.channels_done)
    )
    SELECT j.*, facts, row_number() OVER (ORDER BY c.rank, c.run_at, c.id)
      FROM j
      JOIN c ON c.id = j.id
      LEFT JOIN message_facts facts ON facts.job_id = j.id;
END
$$;

-- Recording a batch's outcomes as a function (jobqueue/claims.py, finish; 0031), as the claim is one: its statement
-- is parsed once per server connection and its plan kept, where sent as text it was parsed and planned for every
-- batch (a millisecond of PostgreSQL's time, a tenth of a no-op job's). Every step finds its rows by an index
-- on the ids it is given; enable_seqscan = off keeps a plan made while the tables were small (a new installation,
-- a test) from reading them whole once they are not.
CREATE FUNCTION finish_jobs(p_worker text, p_outcomes jsonb) RETURNS SETOF uuid  -- the jobs whose claim was lost
LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
    -- The ids again as an array, which the planner reads as a few rows to look up by index (of the records it
    -- assumes a hundred).
    v_ids uuid[] := ARRAY(SELECT (o->>'id')::uuid FROM jsonb_array_elements(p_outcomes) AS o);
BEGIN
    RETURN QUERY WITH o AS (
        SELECT * FROM jsonb_to_recordset(p_outcomes)
            AS o (id uuid, attempt int, locked_at timestamptz, status text, done text[], error text,
                  retry_in float8, results jsonb, held_until timestamptz)
    ), job AS (
        UPDATE notification_jobs j
           SET status = o.status,
               attempts = CASE WHEN o.held_until IS NULL THEN j.attempts ELSE j.attempts - 1 END,
               channels_done = j.channels_done
                               || ARRAY(SELECT c FROM unnest(o.done) AS c WHERE c <> ALL (j.channels_done)),
               error = o.error,
               run_at = CASE WHEN o.status = 'pending'
                             THEN coalesce(o.held_until, now() + o.retry_in * interval '1 second')
                             ELSE j.run_at END,
               processed_at = CASE WHEN o.status = 'pending' THEN NULL ELSE now() END,
               locked_by = NULL, locked_at = NULL, updated_at = now()
          FROM o
         WHERE j.id = o.id AND j.status = 'processing' AND j.locked_by = p_worker
           AND j.attempts = o.attempt AND j.locked_at = o.locked_at
     RETURNING j.id
    ), lost AS (  -- the claim went (cancelled, retried, rescued): the newer state stays, the sends count
        UPDATE notification_jobs j
           SET channels_done = j.channels_done
                               || ARRAY(SELECT c FROM unnest(o.done) AS c WHERE c <> ALL (j.channels_done)),
               updated_at = now()
          FROM o
         WHERE j.id = o.id AND j.id = ANY(v_ids)
           AND j.id NOT IN (SELECT job.id FROM job) AND NOT o.done <@ j.channels_done
    ), history AS (
        UPDATE notification_attempts a
           SET outcome = r.outcome, detail = r.detail, finished_at = now(), provider_id = r.provider_id,
               claim_lost = o.id NOT IN (SELECT job.id FROM job)
          FROM o, jsonb_to_recordset(o.results) AS r (channel text, outcome text, detail text, provider_id text)
         WHERE a.job_id = o.id AND a.job_id = ANY(v_ids) AND a.attempt = o.attempt
           AND a.channel = r.channel AND a.worker_id = p_worker AND a.outcome IN ('started', 'unconfirmed')
    ), untried AS (
        DELETE FROM notification_attempts a USING o
         WHERE o.held_until IS NOT NULL AND a.job_id = o.id AND a.job_id = ANY(v_ids)
           AND a.attempt = o.attempt AND a.worker_id = p_worker AND a.outcome = 'started'
    )
    SELECT o.id FROM o WHERE o.id NOT IN (SELECT job.id FROM job);
END
$$;

-- The check just before sending (jobqueue/claims.py, still_held), a function for the same reason: of the jobs a
-- worker is about to send, the ones no longer held by their claim (cancelled, retried, rescued; deleted: no
-- status). Mostly none, so mostly no row comes back.
CREATE FUNCTION jobs_not_held(p_ids uuid[], p_locked_by text[], p_attempts integer[], p_locked_at timestamptz[])
RETURNS TABLE (id uuid, status text, error text)
LANGUAGE plpgsql SET enable_seqscan = off AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT claim.id, j.status, j.error
      FROM unnest(p_ids, p_locked_by, p_attempts, p_locked_at) AS claim (id, locked_by, attempts, locked_at)
      LEFT JOIN notification_jobs j ON j.id = claim.id
     WHERE j.id IS NULL OR j.status <> 'processing' OR j.locked_by IS DISTINCT FROM claim.locked_by
        OR j.attempts <> claim.attempts OR j.locked_at IS DISTINCT FROM claim.locked_at;
END
$$;

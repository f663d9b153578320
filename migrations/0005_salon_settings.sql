-- A salon's country, language and policies (issue 10).
-- Salons of the first release were set up in Britain's ways (the product's only default then):
-- GB, English as written there, pounds; their owners can change it on the settings page.
ALTER TABLE salons
    ADD COLUMN country                    text NOT NULL DEFAULT 'GB',  -- ISO 3166-1 alpha-2: reads phone numbers
    ADD COLUMN locale                     text NOT NULL DEFAULT 'en-GB',  -- the language and ways of writing
    ADD COLUMN currency                   text NOT NULL DEFAULT 'GBP',  -- ISO 4217
    ADD COLUMN quiet_start                time DEFAULT '21:00',  -- no reminders from here ...
    ADD COLUMN quiet_end                  time DEFAULT '08:00',  -- ... to here (salon-local); both NULL: none
    ADD COLUMN cancel_cutoff_minutes      integer NOT NULL DEFAULT 1440,
    ADD COLUMN reschedule_cutoff_minutes  integer NOT NULL DEFAULT 1440,
    ADD COLUMN online_booking             boolean NOT NULL DEFAULT false,
    ADD COLUMN online_min_notice_minutes  integer NOT NULL DEFAULT 120,
    ADD COLUMN online_max_days_ahead      integer NOT NULL DEFAULT 60,
    ADD CONSTRAINT salons_quiet_hours CHECK ((quiet_start IS NULL) = (quiet_end IS NULL));

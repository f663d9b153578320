-- Messages the salon owns (issue 24): its reminder plan, its own words per notice and language, a thank-you.

-- Up to three reminders, each 30 minutes to 7 days before the start; every salon keeps the plan it had (24 h, 2 h).
ALTER TABLE salons
    ADD COLUMN reminder_minutes integer[] NOT NULL DEFAULT '{1440,120}',
    ADD COLUMN thank_you_enabled boolean NOT NULL DEFAULT false,
    ADD COLUMN thank_you_hours_after integer NOT NULL DEFAULT 2,
    ADD COLUMN thank_you_review_url text NOT NULL DEFAULT '',
    ADD CONSTRAINT salons_reminder_plan CHECK (
        cardinality(reminder_minutes) <= 3 AND array_position(reminder_minutes, NULL) IS NULL
        AND 30 <= ALL (reminder_minutes) AND 10080 >= ALL (reminder_minutes)),
    ADD CONSTRAINT salons_thank_you_hours CHECK (thank_you_hours_after BETWEEN 0 AND 720);

-- A reminder at any other moment than the released 24 h and 2 h is a 'reminder' with its minutes on the job; a
-- thank-you follows an attended appointment. Every reminder carries its minutes, the released ones too, and one
-- appointment has one live reminder per moment (the index had one per type).
ALTER TABLE notification_jobs DROP CONSTRAINT notification_jobs_type_check;
ALTER TABLE notification_jobs ADD CONSTRAINT notification_jobs_type_check
    CHECK (type IN ('booking_confirmation', 'reminder_24h', 'reminder_2h', 'cancellation', 'rescheduled',
                    'team_invite', 'salon_notice', 'booking_code', 'text_reply', 'waitlist_offer', 'reminder',
                    'thank_you'));
ALTER TABLE notification_jobs
    ADD COLUMN minutes_before integer CHECK (minutes_before BETWEEN 30 AND 10080),
    ADD CONSTRAINT notification_jobs_reminder_minutes CHECK (type <> 'reminder' OR minutes_before IS NOT NULL);
UPDATE notification_jobs SET minutes_before = 1440 WHERE type = 'reminder_24h';
UPDATE notification_jobs SET minutes_before = 120 WHERE type = 'reminder_2h';
DROP INDEX notification_jobs_one_live;
CREATE UNIQUE INDEX notification_jobs_one_live
    ON notification_jobs (appointment_id, type, coalesce(minutes_before, 0)) WHERE status IN ('pending', 'processing');

-- A salon's own words for one notice in one language: each part NULL keeps the product's wording. Subjects are
-- one line (no header can be added through them), and no part is blank.
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

-- The claim reads the salon's words for the job (none: NULLs) and the review link a thank-you gives.
CREATE OR REPLACE VIEW message_facts AS
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

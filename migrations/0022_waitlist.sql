-- The waitlist (issue 23): clients wait for a time that suits them; when one frees, the first few in the order
-- they joined are offered it, and the first to claim it has it booked. Brand new tables: no row of an earlier
-- release changes, but for three lists that grow by one word each.
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

-- Joining online proves the client's email or number with a code, as a booking does: a hold with no time.
ALTER TABLE holds ADD COLUMN waitlist_entry_id uuid UNIQUE REFERENCES waitlist_entries ON DELETE CASCADE;
ALTER TABLE holds DROP CONSTRAINT holds_ended_check;
ALTER TABLE holds ADD CONSTRAINT holds_ended_check
    CHECK (ended IN ('booked', 'expired', 'wrong_codes', 'displaced', 'joined'));

ALTER TABLE notification_jobs DROP CONSTRAINT notification_jobs_type_check;
ALTER TABLE notification_jobs ADD CONSTRAINT notification_jobs_type_check
    CHECK (type IN ('booking_confirmation', 'reminder_24h', 'reminder_2h', 'cancellation', 'rescheduled',
                    'team_invite', 'salon_notice', 'booking_code', 'text_reply', 'waitlist_offer'));

-- An offer is about a time, not an appointment: its time, stylist and service come from the offer, and the
-- worker reads whether the time is still free and the client still waiting just before it sends.
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
       s.online_min_notice_minutes
  FROM notification_jobs j
  JOIN salons s ON s.id = j.salon_id
  LEFT JOIN clients cl ON cl.id = j.client_id  -- none: a notice to the address in its payload
  LEFT JOIN appointments a ON a.id = j.appointment_id
  LEFT JOIN waitlist_offers o ON o.id = (j.payload->>'offerId')::uuid  -- a waitlist offer
  LEFT JOIN waitlist_entries e ON e.id = o.entry_id
  LEFT JOIN staff st ON st.id = coalesce(a.staff_id, o.staff_id)
  LEFT JOIN services sv ON sv.id = coalesce(a.service_id, e.service_id);

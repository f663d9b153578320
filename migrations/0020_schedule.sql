-- The schedule as salons run it (issue 22): time off, who does what, a buffer after a service.

-- Time a staff member is away (a holiday, a sick day): free times leave it out, and no appointment is booked,
-- held or moved into it (the trigger below). Adding it over booked appointments is allowed: they are listed
-- for the desk to move or cancel, never moved by themselves.
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

-- Who does what: a service is everyone's (all_staff) or only its rows' here; a row may give that member their
-- own length and price.
ALTER TABLE services
    ADD COLUMN buffer_minutes integer NOT NULL DEFAULT 0 CHECK (buffer_minutes BETWEEN 0 AND 120),
    ADD COLUMN all_staff boolean NOT NULL DEFAULT true;
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
-- the service's) and the buffer after it. What booking, holding and moving read (booking/appointments.py).
CREATE VIEW service_terms AS
SELECT v.salon_id, v.id AS service_id, m.id AS staff_id,
       v.all_staff OR own.staff_id IS NOT NULL AS offered,
       coalesce(own.duration_minutes, v.duration_minutes) AS duration_minutes, v.buffer_minutes
  FROM services v
  JOIN staff m ON m.salon_id = v.salon_id
  LEFT JOIN service_staff own ON own.service_id = v.id AND own.staff_id = m.id;

-- A buffer after an appointment keeps its stylist busy (the overlap constraint sees it) but is not the
-- client's time: end_time stays the client's end. Copied from the service when booked, as its length is.
ALTER TABLE appointments
    ADD COLUMN buffer_minutes integer NOT NULL DEFAULT 0 CHECK (buffer_minutes BETWEEN 0 AND 120);

-- The time an appointment keeps its stylist busy. IMMUTABLE is true here though timestamptz + interval is only
-- STABLE: an interval of minutes alone does not depend on the time zone (days and months would).
CREATE FUNCTION busy_span(start_time timestamptz, end_time timestamptz, buffer_minutes integer) RETURNS tstzrange
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT tstzrange(start_time, end_time + make_interval(mins => buffer_minutes)) $$;

ALTER TABLE appointments DROP CONSTRAINT appointments_no_overlap;
ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap EXCLUDE USING gist (
    salon_id WITH =, staff_id WITH =, busy_span(start_time, end_time, buffer_minutes) WITH &&
) WHERE (status IN ('booked', 'held'));

-- No booked or held appointment inside its stylist's time off. The stylist's row is locked for share first:
-- time off being added locks it for update, so either this sees that time off once it is committed, or the
-- time off waits for this appointment and lists it.
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

-- A staff member's own price for a service is the price their appointments are booked at (0018 keeps it).
CREATE OR REPLACE FUNCTION price_at_booking() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.price_cents := coalesce(NEW.price_cents,
                                (SELECT price_cents FROM service_staff
                                  WHERE service_id = NEW.service_id AND staff_id = NEW.staff_id),
                                (SELECT price_cents FROM services WHERE id = NEW.service_id AND salon_id = NEW.salon_id),
                                0);
    RETURN NEW;
END
$$;

-- Clients the salon knows (brief 23a: numbered 0020 there; renumber on merge). An appointment keeps the price
-- it was booked at, so spend and revenue do not move when a service's price does: existing ones take their
-- service's price now (none: 0), and a new one its service's price as it is when the row is written, whichever
-- statement writes it (appointments_priced). A repeat booking's occurrences share a series_id. cancelled_at makes a
-- cancellation "late" or not by the salon's cut-off; one from before this release is dated by its last change.
ALTER TABLE appointments ADD COLUMN price_cents integer;
UPDATE appointments a SET price_cents = coalesce(s.price_cents, 0) FROM services s WHERE s.id = a.service_id;
ALTER TABLE appointments ALTER COLUMN price_cents SET NOT NULL;
ALTER TABLE appointments ADD CONSTRAINT appointments_price_cents_check CHECK (price_cents >= 0);
CREATE FUNCTION price_at_booking() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.price_cents := coalesce(NEW.price_cents,
                                (SELECT price_cents FROM services WHERE id = NEW.service_id AND salon_id = NEW.salon_id),
                                0);
    RETURN NEW;
END
$$;
CREATE TRIGGER appointments_priced BEFORE INSERT ON appointments
    FOR EACH ROW EXECUTE FUNCTION price_at_booking();
ALTER TABLE appointments ADD COLUMN series_id uuid;
ALTER TABLE appointments ADD COLUMN cancelled_at timestamptz;
UPDATE appointments SET cancelled_at = updated_at WHERE status = 'cancelled';
-- A client's history, newest first, a page at a time, and its counts: one range of one index.
CREATE INDEX appointments_client_history ON appointments (salon_id, client_id, start_time, id);
CREATE INDEX appointments_series ON appointments (salon_id, series_id, start_time) WHERE series_id IS NOT NULL;

-- What the salon notes about a client (a colour formula), by whom and when. The author's name is kept as it
-- was: a note outlives its author's account.
ALTER TABLE users ADD CONSTRAINT users_salon_id_key UNIQUE (salon_id, id);
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

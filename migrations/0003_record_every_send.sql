-- Every message that left is on the record (issue 15).

-- An attempt row is written before anything is sent ('started') and gets its outcome after; if its
-- worker stopped in between, it becomes 'unconfirmed': the message may have gone out.
ALTER TABLE notification_attempts DROP CONSTRAINT notification_attempts_outcome_check;
ALTER TABLE notification_attempts ADD CONSTRAINT notification_attempts_outcome_check
    CHECK (outcome IN ('started', 'sent', 'transient', 'permanent', 'skipped', 'unconfirmed'));
-- When the outcome was known, and whether it came after the job was cancelled, retried or taken over.
ALTER TABLE notification_attempts ADD COLUMN finished_at timestamptz;
ALTER TABLE notification_attempts ADD COLUMN claim_lost boolean NOT NULL DEFAULT false;
UPDATE notification_attempts SET finished_at = created_at;  -- the first release wrote them when finished

-- The appointment's revision: 0 when booked, one more per change, with a time that grows by whole
-- seconds. It is the .ics SEQUENCE and DTSTAMP of each notice, so no two notices of one appointment tie.
ALTER TABLE appointments ADD COLUMN revision integer NOT NULL DEFAULT 0;
ALTER TABLE appointments ADD COLUMN revised_at timestamptz NOT NULL DEFAULT date_trunc('second', now());
-- The first release's SEQUENCE was the seconds from the booking to the notice; the newest notice of an
-- appointment came at its last change, so starting from that count keeps every later notice above it.
UPDATE appointments
   SET revision = greatest(0, floor(extract(epoch FROM updated_at - created_at)))::integer,
       revised_at = date_trunc('second', updated_at);

-- One salon's backlog never delays another salon's due job by more than one batch (issue 9).
--
-- The claim lets salons take turns. It walks this index from one salon with
-- due jobs to the next (a backlog of any size is one step), then from each
-- of those salons' due jobs to the next, in (run_at, id) order: id tells apart
-- the jobs of one salon due at the same instant, such as a burst of bookings.
-- The old index kept every salon's due jobs in one run_at order, for a claim
-- that took them strictly in that order; nothing reads it any more.
CREATE INDEX notification_jobs_due_per_salon
    ON notification_jobs (salon_id, run_at, id) WHERE status = 'pending';
DROP INDEX notification_jobs_due;

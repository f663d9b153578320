-- One salon's backlog never delays another salon's due job by more than one batch (issue 9).
--
-- The claim lets salons take turns: it finds the salons with due jobs by
-- stepping through this index from one salon to the next (a backlog of any
-- size is one step), then reads each one's oldest due jobs from it. The old
-- index kept the due jobs of every salon in one run_at order, for a claim
-- that took them strictly in that order; nothing reads it any more.
CREATE INDEX notification_jobs_due_per_salon
    ON notification_jobs (salon_id, run_at) WHERE status = 'pending';
DROP INDEX notification_jobs_due;

-- A queue that stays fast as it grows (issue 27).

-- The claim's probes walk the due index, which holds pending jobs only. While the statistics say every job is
-- pending (a first backlog, a young installation), the jobs page's indexes that start with salon_id price the
-- same, and the planner took one of them: each probe then read every job of the salon already sent, and a
-- drain of 20,000 slowed as it went (10 -> 30 ms per claim of 10). On a tie the planner keeps the index made
-- last (PostgreSQL 15 and 18 alike), so the due index is made again here, after every other index of the
-- table; tests/test_worker_fairness.py checks the plan on both.
DROP INDEX notification_jobs_due_per_salon;
CREATE INDEX notification_jobs_due_per_salon
    ON notification_jobs (salon_id, run_at, id) WHERE status = 'pending';

-- Recording an attempt's outcome changes no indexed column of notification_attempts, so it can be a HOT
-- update: no new entries in its indexes, no dead ones left behind. The /metrics index named the outcome in its
-- predicate; a lost claim is rare, so the index now lists every lost claim and /metrics checks the outcome on
-- the row. Room on the page for the outcome's version: pages filled after this keep a fifth free.
DROP INDEX notification_attempts_sent_after_claim_lost;
CREATE INDEX notification_attempts_sent_after_claim_lost ON notification_attempts (job_id) WHERE claim_lost;
ALTER TABLE notification_attempts SET (fillfactor = 80);

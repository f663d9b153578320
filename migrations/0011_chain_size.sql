-- A chain's size (issue 13): 200 salons, two years of appointments and 3,000,000 jobs on one PostgreSQL.
-- Each index turns a read that walked all of a salon's jobs (or all jobs) into a short walk of its own rows,
-- so the pages cost the same on a full database as on an empty one (docs/query-plans.md has the plans).
--
-- The jobs page filtered by status, and the counts per status above it: a salon's rows of one status in
-- the list's order, and an index-only count of the salon's jobs by status.
CREATE INDEX notification_jobs_salon_status
    ON notification_jobs (salon_id, status, created_at DESC, run_at DESC, id DESC);
-- The jobs page filtered by type, in the list's order.
CREATE INDEX notification_jobs_salon_type
    ON notification_jobs (salon_id, type, created_at DESC, run_at DESC, id DESC);
-- The jobs page filtered by day: the day's run_at range of one salon. In the claim's order (run_at, id), so
-- the claim's probe for a salon's next due job never prefers it to the smaller notification_jobs_due_per_salon:
-- as (salon_id, run_at) alone it was chosen and sorted a whole backlog on every probe (2 ms -> 9 ms a claim).
CREATE INDEX notification_jobs_salon_run_at ON notification_jobs (salon_id, run_at, id);
-- /metrics counts the messages sent after their claim was lost: there are almost never any.
CREATE INDEX notification_attempts_sent_after_claim_lost
    ON notification_attempts (job_id) WHERE claim_lost AND outcome = 'sent';
-- The nightly clean-up of delivery reports starts from the old ones.
CREATE INDEX sms_deliveries_reported ON sms_deliveries (reported_at);

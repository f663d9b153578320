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

-- The claim steps over the entries of the jobs claimed since the last VACUUM once per salon, not three times: the
-- walk from salon to salon reads each salon's first pending job with it, and the salon's walk to its next jobs
-- starts there (a drain leaves two dead row versions per job; autovacuum comes a minute later at best).
CREATE OR REPLACE FUNCTION claim_jobs(p_limit integer, p_worker text)
RETURNS TABLE (id uuid, salon_id uuid, client_id uuid, appointment_id uuid, type text, payload jsonb,
               channels text[], channels_done text[], attempts integer, max_attempts integer, locked_by text,
               locked_at timestamptz, created_at timestamptz, facts message_facts, claim_order bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    -- From one salon with pending jobs to the next, with its first pending job: one descent of the index per
    -- salon, on any PostgreSQL (a step "salon_id > previous AND run_at <= now()" needs 18's skip scan not to
    -- read every future reminder it passes). A salon's walk to its next jobs starts at that first job, so no
    -- walk but this one steps over the entries of jobs claimed since the last VACUUM (0027).
    RETURN QUERY WITH RECURSIVE pending_salon AS (
        SELECT '00000000-0000-0000-0000-000000000000'::uuid AS salon_id,  -- before the first salon
               NULL::timestamptz AS run_at
        UNION ALL
        SELECT next.salon_id, next.run_at
          FROM pending_salon CROSS JOIN LATERAL (
               SELECT salon_id, run_at FROM notification_jobs
                WHERE status = 'pending' AND salon_id > pending_salon.salon_id
                ORDER BY salon_id, run_at LIMIT 1) next
    ), due_salon AS (
        SELECT salon_id, run_at FROM pending_salon WHERE run_at <= now()
    ), pick AS (
        SELECT salon_id, 0 AS rank, run_at,
               '00000000-0000-0000-0000-000000000000'::uuid AS id  -- just before the salon's first job
          FROM (SELECT salon_id, run_at FROM due_salon ORDER BY run_at LIMIT p_limit) turn
        UNION ALL
        SELECT pick.salon_id, pick.rank + 1, next.run_at, next.id
          FROM pick CROSS JOIN LATERAL (
               SELECT run_at, id FROM notification_jobs
                WHERE salon_id = pick.salon_id AND status = 'pending' AND run_at <= now()
                  AND attempts < max_attempts AND (run_at, id) > (pick.run_at, pick.id)
                ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) next
         WHERE pick.rank < p_limit
    ), c AS MATERIALIZED (
        SELECT id, rank, run_at FROM pick WHERE rank > 0 ORDER BY rank, run_at, id LIMIT p_limit
    ), j AS (
        UPDATE notification_jobs j
           SET status = 'processing', locked_by = p_worker, locked_at = now(),
               attempts = j.attempts + 1, updated_at = now()
          FROM c WHERE j.id = c.id
        RETURNING j.id, j.salon_id, j.client_id, j.appointment_id, j.type, j.payload, j.channels,
                  j.channels_done, j.attempts, j.max_attempts, j.locked_by, j.locked_at, j.created_at
    ), started AS (
        INSERT INTO notification_attempts (job_id, attempt, channel, outcome, detail, worker_id)
        SELECT j.id, j.attempts, channel, 'started', '', p_worker
          FROM j CROSS JOIN unnest(j.channels) AS channel
         WHERE channel <> ALL (j.channels_done)
    )
    SELECT j.*, facts, row_number() OVER (ORDER BY c.rank, c.run_at, c.id)
      FROM j
      JOIN c ON c.id = j.id
      LEFT JOIN message_facts facts ON facts.job_id = j.id;
END
$$;

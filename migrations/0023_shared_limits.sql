-- Several processes on a managed PostgreSQL, behind PgBouncer (issue 27). First, the limits every process of
-- an installation shares: three web processes allow what one allows.
-- Both tables are UNLOGGED: a count that a crash forgets gives every caller a fresh allowance, which the
-- in-memory limits gave at every restart; not writing the WAL keeps a request's count cheap. Their rows are
-- the installation's, not a salon's (an address or an API token is counted whichever salon it asks), and
-- expire: a row past its time is the same as no row (the worker's chore deletes them).

-- A token bucket per key (db/buckets.py): ``full_at`` is when the bucket is full again, so taking a token
-- is one INSERT ... ON CONFLICT DO UPDATE, and a row whose full_at has passed counts for nothing.
CREATE UNLOGGED TABLE rate_buckets (
    kind     text NOT NULL CHECK (kind IN ('api', 'public')),  -- per API token, per client address
    key      bytea NOT NULL,
    full_at  timestamptz NOT NULL,
    PRIMARY KEY (kind, key)
) WITH (fillfactor = 70);  -- room on the page: each count is a HOT update

-- Failed logins per email at an address and per address (booking/logins.py); the key is a SHA-256 of them.
CREATE UNLOGGED TABLE login_tallies (
    key       bytea PRIMARY KEY,
    failures  integer NOT NULL CHECK (failures >= 0),
    last_at   timestamptz NOT NULL  -- when the latest failure was counted; an hour later the tally is wiped
) WITH (fillfactor = 70);

-- The worker's claim (jobqueue/claims.py), as a function: PL/pgSQL keeps the plan of its query per server
-- connection, as the session's PREPARE did, but needs no session of its own, so it works through PgBouncer in
-- transaction mode. The facts come as one value of message_facts' row type, which follows the view.
CREATE FUNCTION claim_jobs(p_limit integer, p_worker text)
RETURNS TABLE (id uuid, salon_id uuid, client_id uuid, appointment_id uuid, type text, payload jsonb,
               channels text[], channels_done text[], attempts integer, max_attempts integer, locked_by text,
               locked_at timestamptz, created_at timestamptz, facts message_facts, claim_order bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    -- From one salon with pending jobs to the next, then each one's first pending job: two descents of the
    -- index per salon, on any PostgreSQL (a step "salon_id > previous AND run_at <= now()" needs 18's skip
    -- scan not to read every future reminder it passes).
    RETURN QUERY WITH RECURSIVE pending_salon AS (
        SELECT '00000000-0000-0000-0000-000000000000'::uuid AS salon_id  -- before the first salon
        UNION ALL
        SELECT next.salon_id
          FROM pending_salon CROSS JOIN LATERAL (
               SELECT salon_id FROM notification_jobs
                WHERE status = 'pending' AND salon_id > pending_salon.salon_id
                ORDER BY salon_id LIMIT 1) next
    ), due_salon AS (
        SELECT pending_salon.salon_id, first.run_at
          FROM pending_salon CROSS JOIN LATERAL (
               SELECT run_at FROM notification_jobs
                WHERE status = 'pending' AND salon_id = pending_salon.salon_id
                ORDER BY run_at LIMIT 1) first
         WHERE first.run_at <= now()
    ), pick AS (
        SELECT salon_id, 0 AS rank, '-infinity'::timestamptz AS run_at,
               '00000000-0000-0000-0000-000000000000'::uuid AS id  -- before the salon's first job
          FROM (SELECT salon_id FROM due_salon ORDER BY run_at LIMIT p_limit) turn
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

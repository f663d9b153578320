-- Recording a batch's outcomes as a function (jobqueue/claims.py, finish), as the claim is one (0023): its statement
-- is parsed once per server connection and its plan kept, where sent as text it was parsed and planned for every
-- batch (a millisecond of PostgreSQL's time, a tenth of a no-op job's). Every step finds its rows by an index
-- on the ids it is given; enable_seqscan = off keeps a plan made while the tables were small (a new installation,
-- a test) from reading them whole once they are not.
CREATE FUNCTION finish_jobs(p_worker text, p_outcomes jsonb) RETURNS SETOF uuid  -- the jobs whose claim was lost
LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
    -- The ids again as an array, which the planner reads as a few rows to look up by index (of the records it
    -- assumes a hundred).
    v_ids uuid[] := ARRAY(SELECT (o->>'id')::uuid FROM jsonb_array_elements(p_outcomes) AS o);
BEGIN
    RETURN QUERY WITH o AS (
        SELECT * FROM jsonb_to_recordset(p_outcomes)
            AS o (id uuid, attempt int, locked_at timestamptz, status text, done text[], error text,
                  retry_in float8, results jsonb, held_until timestamptz)
    ), job AS (
        UPDATE notification_jobs j
           SET status = o.status,
               attempts = CASE WHEN o.held_until IS NULL THEN j.attempts ELSE j.attempts - 1 END,
               channels_done = j.channels_done
                               || ARRAY(SELECT c FROM unnest(o.done) AS c WHERE c <> ALL (j.channels_done)),
               error = o.error,
               run_at = CASE WHEN o.status = 'pending'
                             THEN coalesce(o.held_until, now() + o.retry_in * interval '1 second')
                             ELSE j.run_at END,
               processed_at = CASE WHEN o.status = 'pending' THEN NULL ELSE now() END,
               locked_by = NULL, locked_at = NULL, updated_at = now()
          FROM o
         WHERE j.id = o.id AND j.status = 'processing' AND j.locked_by = p_worker
           AND j.attempts = o.attempt AND j.locked_at = o.locked_at
     RETURNING j.id
    ), lost AS (  -- the claim went (cancelled, retried, rescued): the newer state stays, the sends count
        UPDATE notification_jobs j
           SET channels_done = j.channels_done
                               || ARRAY(SELECT c FROM unnest(o.done) AS c WHERE c <> ALL (j.channels_done)),
               updated_at = now()
          FROM o
         WHERE j.id = o.id AND j.id = ANY(v_ids)
           AND j.id NOT IN (SELECT job.id FROM job) AND NOT o.done <@ j.channels_done
    ), history AS (
        UPDATE notification_attempts a
           SET outcome = r.outcome, detail = r.detail, finished_at = now(), provider_id = r.provider_id,
               claim_lost = o.id NOT IN (SELECT job.id FROM job)
          FROM o, jsonb_to_recordset(o.results) AS r (channel text, outcome text, detail text, provider_id text)
         WHERE a.job_id = o.id AND a.job_id = ANY(v_ids) AND a.attempt = o.attempt
           AND a.channel = r.channel AND a.worker_id = p_worker AND a.outcome IN ('started', 'unconfirmed')
    ), untried AS (
        DELETE FROM notification_attempts a USING o
         WHERE o.held_until IS NOT NULL AND a.job_id = o.id AND a.job_id = ANY(v_ids)
           AND a.attempt = o.attempt AND a.worker_id = p_worker AND a.outcome = 'started'
    )
    SELECT o.id FROM o WHERE o.id NOT IN (SELECT job.id FROM job);
END
$$;

-- The check just before sending (jobqueue/claims.py, still_held), a function for the same reason: of the jobs a
-- worker is about to send, the ones no longer held by their claim (cancelled, retried, rescued; deleted: no
-- status). Mostly none, so mostly no row comes back.
CREATE FUNCTION jobs_not_held(p_ids uuid[], p_locked_by text[], p_attempts integer[], p_locked_at timestamptz[])
RETURNS TABLE (id uuid, status text, error text)
LANGUAGE plpgsql SET enable_seqscan = off AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT claim.id, j.status, j.error
      FROM unnest(p_ids, p_locked_by, p_attempts, p_locked_at) AS claim (id, locked_by, attempts, locked_at)
      LEFT JOIN notification_jobs j ON j.id = claim.id
     WHERE j.id IS NULL OR j.status <> 'processing' OR j.locked_by IS DISTINCT FROM claim.locked_by
        OR j.attempts <> claim.attempts OR j.locked_at IS DISTINCT FROM claim.locked_at;
END
$$;

-- The reports' record of what became of each message (0019) costs nothing where there is nothing to record.
-- As statement triggers, both ran a PL/pgSQL function for every claim (whose attempt rows all say 'started')
-- and for every update of jobs (which fails a job only now and then), a twentieth of a no-op job's time in
-- PostgreSQL. As row triggers with WHEN they run only for a row sent or just failed, and WHEN is checked
-- without calling a function. The update of attempts (a batch's outcomes, mostly sent) keeps its statement
-- trigger: one call for the batch.
DROP TRIGGER notification_attempts_sent ON notification_attempts;
DROP TRIGGER notification_jobs_failed ON notification_jobs;
DROP FUNCTION record_failed_messages();

CREATE FUNCTION record_sent_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO message_outcomes (salon_id, job_id, channel, type, outcome, decided_at, provider_id, delivered)
    SELECT j.salon_id, NEW.job_id, NEW.channel, j.type, 'sent', coalesce(NEW.finished_at, now()), NEW.provider_id,
           EXISTS (SELECT FROM sms_deliveries d WHERE d.message_sid = NEW.provider_id AND d.status = 'delivered')
      FROM notification_jobs j
     WHERE j.id = NEW.job_id
    ON CONFLICT (job_id, channel) DO UPDATE
       SET outcome = 'sent', decided_at = excluded.decided_at, provider_id = excluded.provider_id,
           delivered = excluded.delivered
     WHERE message_outcomes.outcome = 'failed';
    RETURN NULL;
END
$$;

CREATE FUNCTION record_failed_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO message_outcomes (salon_id, job_id, channel, type, outcome, decided_at)
    SELECT NEW.salon_id, NEW.id, c.channel, NEW.type, 'failed', coalesce(NEW.processed_at, now())
      FROM unnest(NEW.channels) AS c (channel)
     WHERE c.channel <> ALL (NEW.channels_done)
    ON CONFLICT (job_id, channel) DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER notification_attempts_sent AFTER INSERT ON notification_attempts
    FOR EACH ROW WHEN (NEW.outcome = 'sent') EXECUTE FUNCTION record_sent_message();
CREATE TRIGGER notification_jobs_failed AFTER UPDATE OF status ON notification_jobs
    FOR EACH ROW WHEN (NEW.status = 'failed' AND OLD.status <> 'failed') EXECUTE FUNCTION record_failed_message();

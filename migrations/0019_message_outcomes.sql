-- Reports count each salon's messages per channel and type for any period, but the queue forgets: a job is
-- deleted a week after it completes (--keep_completed_days) and a delivery report a while after it came.
-- So what became of each message (one row per job and channel) is kept here, written by triggers in the
-- transaction that records it, whichever code path that is; the job may go, its outcome stays.
CREATE TABLE message_outcomes (
    salon_id     uuid NOT NULL REFERENCES salons ON DELETE CASCADE,
    job_id       uuid NOT NULL,  -- no foreign key: the job is cleaned up, what became of it is not
    channel      text NOT NULL,
    type         text NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('sent', 'failed')),
    decided_at   timestamptz NOT NULL,
    provider_id  text,  -- a text's id at the provider: its delivery report finds it here
    delivered    boolean NOT NULL DEFAULT false,  -- the provider said the text reached the phone
    PRIMARY KEY (job_id, channel)
);
CREATE INDEX message_outcomes_salon ON message_outcomes (salon_id, decided_at);
CREATE INDEX message_outcomes_provider ON message_outcomes (provider_id) WHERE provider_id IS NOT NULL;

-- A channel sent: its attempt says so (a failure of it retried later and sent becomes sent).
CREATE FUNCTION record_sent_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO message_outcomes (salon_id, job_id, channel, type, outcome, decided_at, provider_id, delivered)
    SELECT DISTINCT ON (a.job_id, a.channel)
           j.salon_id, a.job_id, a.channel, j.type, 'sent', coalesce(a.finished_at, now()), a.provider_id,
           EXISTS (SELECT FROM sms_deliveries d WHERE d.message_sid = a.provider_id AND d.status = 'delivered')
      FROM added a JOIN notification_jobs j ON j.id = a.job_id
     WHERE a.outcome = 'sent'
     ORDER BY a.job_id, a.channel, a.id
    ON CONFLICT (job_id, channel) DO UPDATE
       SET outcome = 'sent', decided_at = excluded.decided_at, provider_id = excluded.provider_id,
           delivered = excluded.delivered
     WHERE message_outcomes.outcome = 'failed';
    RETURN NULL;
END
$$;

-- A channel failed: its job failed for good without it.
CREATE FUNCTION record_failed_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO message_outcomes (salon_id, job_id, channel, type, outcome, decided_at)
    SELECT j.salon_id, j.id, c.channel, j.type, 'failed', coalesce(j.processed_at, now())
      FROM added j JOIN removed r ON r.id = j.id, unnest(j.channels) AS c (channel)
     WHERE j.status = 'failed' AND r.status <> 'failed' AND c.channel <> ALL (j.channels_done)
    ON CONFLICT (job_id, channel) DO NOTHING;
    RETURN NULL;
END
$$;

-- A text reached the phone: the provider's report, whether it came before or after the send was recorded.
CREATE FUNCTION record_delivered_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE message_outcomes m SET delivered = true
      FROM added d
     WHERE m.provider_id = d.message_sid AND d.status = 'delivered' AND NOT m.delivered;
    RETURN NULL;
END
$$;

CREATE TRIGGER notification_attempts_sent AFTER INSERT ON notification_attempts
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION record_sent_messages();
CREATE TRIGGER notification_attempts_sent_later AFTER UPDATE ON notification_attempts
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION record_sent_messages();
CREATE TRIGGER notification_jobs_failed AFTER UPDATE ON notification_jobs
    REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION record_failed_messages();
CREATE TRIGGER sms_deliveries_delivered AFTER INSERT ON sms_deliveries
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION record_delivered_messages();
CREATE TRIGGER sms_deliveries_delivered_later AFTER UPDATE ON sms_deliveries
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION record_delivered_messages();

-- What the queue still remembers of the messages before this release.
INSERT INTO message_outcomes (salon_id, job_id, channel, type, outcome, decided_at, provider_id, delivered)
SELECT DISTINCT ON (a.job_id, a.channel)
       j.salon_id, a.job_id, a.channel, j.type, 'sent', coalesce(a.finished_at, a.created_at), a.provider_id,
       EXISTS (SELECT FROM sms_deliveries d WHERE d.message_sid = a.provider_id AND d.status = 'delivered')
  FROM notification_attempts a JOIN notification_jobs j ON j.id = a.job_id
 WHERE a.outcome = 'sent'
 ORDER BY a.job_id, a.channel, a.id;
INSERT INTO message_outcomes (salon_id, job_id, channel, type, outcome, decided_at)
SELECT j.salon_id, j.id, c.channel, j.type, 'failed', coalesce(j.processed_at, j.updated_at)
  FROM notification_jobs j, unnest(j.channels) AS c (channel)
 WHERE j.status = 'failed' AND c.channel <> ALL (j.channels_done)
ON CONFLICT (job_id, channel) DO NOTHING;

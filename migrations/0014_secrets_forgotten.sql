-- A secret made for one message (a booking code, an invitation's link) travels in its job's payload under
-- "secret", and is forgotten the moment the job ends, whichever way: sent, failed or cancelled. The trigger
-- does it, so no code path that ends a job can forget to.
CREATE FUNCTION forget_job_secret() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.payload := NEW.payload - 'secret';
    RETURN NEW;
END
$$;
CREATE TRIGGER notification_jobs_secret_forgotten BEFORE UPDATE OF status ON notification_jobs
    FOR EACH ROW WHEN (NEW.status IN ('completed', 'failed', 'cancelled') AND NEW.payload ? 'secret')
    EXECUTE FUNCTION forget_job_secret();

-- Before: the code and the link sat at the top of the payload, kept after sending. Live jobs keep theirs
-- under "secret"; ended ones lose them.
UPDATE notification_jobs
   SET payload = (payload - 'code' - 'link')
                 || jsonb_build_object('secret', jsonb_strip_nulls(
                        jsonb_build_object('code', payload -> 'code', 'link', payload -> 'link')))
 WHERE type IN ('booking_code', 'team_invite') AND status IN ('pending', 'processing');
UPDATE notification_jobs SET payload = payload - 'code' - 'link'
 WHERE type IN ('booking_code', 'team_invite') AND status IN ('completed', 'failed', 'cancelled');

-- An API token is its maker's: a password change or "log out everywhere" revokes it. Only owners make
-- tokens, so those made before are the salon's first owner's.
ALTER TABLE api_tokens ADD COLUMN user_id uuid REFERENCES users ON DELETE CASCADE;
UPDATE api_tokens t
   SET user_id = (SELECT u.id FROM users u WHERE u.salon_id = t.salon_id AND u.role = 'owner'
                   ORDER BY u.created_at, u.id LIMIT 1);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- /metrics reads the jobs per status and the texts per delivery status on every scrape. Counted from the
-- tables, that took half a second at a chain's size (3,000,000 jobs, 1,100,000 reports) and grew with
-- them. Instead every statement that changes those tables adds its net change per status here, and a
-- scrape sums these rows (folding them into one per status as it goes, db/tallies.py).
--
-- Rows are only ever added by the triggers: two workers finishing jobs never wait on one counter row.
CREATE TABLE status_tallies (
    tally   text NOT NULL,  -- the counted table
    status  text NOT NULL,
    n       bigint NOT NULL
);

CREATE FUNCTION tally_statuses() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM status_tallies WHERE tally = TG_TABLE_NAME;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO status_tallies SELECT TG_TABLE_NAME, status, count(*) FROM added GROUP BY status;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO status_tallies SELECT TG_TABLE_NAME, status, -count(*) FROM removed GROUP BY status;
    ELSE
        INSERT INTO status_tallies
        SELECT TG_TABLE_NAME, status, sum(n)
          FROM (SELECT status, -1 AS n FROM removed UNION ALL SELECT status, 1 FROM added) AS changes
         GROUP BY status HAVING sum(n) <> 0;
    END IF;
    RETURN NULL;
END
$$;

-- A trigger takes a lock that holds off every writer of its table until this migration commits, so the
-- counts below and the changes the triggers add afterwards never miss or double a row.
CREATE TRIGGER notification_jobs_added AFTER INSERT ON notification_jobs
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION tally_statuses();
CREATE TRIGGER notification_jobs_changed AFTER UPDATE ON notification_jobs
    REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION tally_statuses();
CREATE TRIGGER notification_jobs_removed AFTER DELETE ON notification_jobs
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION tally_statuses();
CREATE TRIGGER notification_jobs_emptied AFTER TRUNCATE ON notification_jobs FOR EACH STATEMENT EXECUTE FUNCTION tally_statuses();
CREATE TRIGGER sms_deliveries_added AFTER INSERT ON sms_deliveries
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION tally_statuses();
CREATE TRIGGER sms_deliveries_changed AFTER UPDATE ON sms_deliveries
    REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION tally_statuses();
CREATE TRIGGER sms_deliveries_removed AFTER DELETE ON sms_deliveries
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION tally_statuses();
CREATE TRIGGER sms_deliveries_emptied AFTER TRUNCATE ON sms_deliveries FOR EACH STATEMENT EXECUTE FUNCTION tally_statuses();

INSERT INTO status_tallies SELECT 'notification_jobs', status, count(*) FROM notification_jobs GROUP BY status;
INSERT INTO status_tallies SELECT 'sms_deliveries', status, count(*) FROM sms_deliveries GROUP BY status;

-- A notification that failed needs someone at the front desk to see it: until one of them has looked (its
-- page, its appointment's page, the list of failed ones), the menu counts it and the calendar marks its
-- appointment. A failure from before this release counts as seen: the desk has had its notifications page.
ALTER TABLE notification_jobs ADD COLUMN failure_seen_at timestamptz;
UPDATE notification_jobs SET failure_seen_at = now() WHERE status = 'failed';
CREATE INDEX notification_jobs_failures_unseen ON notification_jobs (salon_id, appointment_id)
    WHERE status = 'failed' AND failure_seen_at IS NULL;

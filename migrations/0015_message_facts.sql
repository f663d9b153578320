-- What a message needs to be written and checked, per job: the domain's view of its own tables. The queue's
-- claim selects a job and this view, and knows nothing of salons, clients or appointments (jobqueue/).
CREATE VIEW message_facts AS
SELECT j.id AS job_id,
       s.name AS salon_name, s.address AS salon_address, s.timezone AS salon_timezone,
       s.email AS salon_email, s.phone AS salon_phone, s.locale AS salon_locale,
       s.sms_countries AS salon_sms_countries, s.quiet_start, s.quiet_end,
       coalesce(cl.first_name, j.payload->>'name', '') AS client_first_name,
       coalesce(cl.last_name, '') AS client_last_name,
       coalesce(cl.email, j.payload->>'email') AS client_email,
       coalesce(j.payload->>'phone', cl.phone) AS client_phone,  -- a reply goes to the number that wrote
       a.status AS appointment_status, a.start_time, a.end_time,
       a.created_at AS appointment_created_at,
       st.first_name AS staff_first_name, st.last_name AS staff_last_name,
       sv.name AS service_name
  FROM notification_jobs j
  JOIN salons s ON s.id = j.salon_id
  LEFT JOIN clients cl ON cl.id = j.client_id  -- none: a notice to the address in its payload
  LEFT JOIN appointments a ON a.id = j.appointment_id
  LEFT JOIN staff st ON st.id = a.staff_id
  LEFT JOIN services sv ON sv.id = a.service_id;

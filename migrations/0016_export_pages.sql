-- Exports (issue 19): a salon's, or one client's, rows are read a page at a time in id order, each page
-- after the last id of the one before (a key that never changes, so no row is read twice or skipped while
-- others change). Each page is then a short walk of one of these indexes, however many rows the salon,
-- the client or the other salons have, instead of a sort of all of them per page.
CREATE INDEX appointments_salon_id ON appointments (salon_id, id);
CREATE INDEX notification_jobs_salon_id ON notification_jobs (salon_id, id);
CREATE INDEX inbound_texts_salon_id ON inbound_texts (salon_id, id);
-- A client's appointments and jobs in id order: the same indexes as before (client_id first), in the
-- order an export reads them.
DROP INDEX appointments_client;
CREATE INDEX appointments_client ON appointments (client_id, id);
DROP INDEX notification_jobs_client;
CREATE INDEX notification_jobs_client ON notification_jobs (client_id, id);

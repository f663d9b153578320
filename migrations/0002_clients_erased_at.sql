-- When a client's personal data was erased on request; a later change sets it.
ALTER TABLE clients ADD COLUMN erased_at timestamptz;

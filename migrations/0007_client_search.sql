-- Client search as you type (issue 10): "any part of the name, email, or digits of the phone" is a
-- substring match, which a btree cannot serve. Trigram GIN indexes serve LIKE/ILIKE '%text%' for
-- three characters or more; the name is indexed as the expression the search compares.
-- pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX clients_name_trgm ON clients USING gin ((first_name || ' ' || last_name) gin_trgm_ops);
CREATE INDEX clients_email_trgm ON clients USING gin (email gin_trgm_ops);
CREATE INDEX clients_phone_trgm ON clients USING gin (phone gin_trgm_ops);
-- The list's own order, so a page of a salon's clients (and the page after one) is an index range.
CREATE INDEX clients_salon_name ON clients (salon_id, first_name, last_name, id);

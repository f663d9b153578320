-- The front desk in its reader's language (issue 25): a user may read the pages in a language of their own;
-- NULL (every user there is) reads the salon's. Only a language the product speaks is stored (booking.locales
-- checks the tag); the CHECK keeps the column to a tag's shape.
ALTER TABLE users ADD COLUMN locale text CHECK (locale ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$');

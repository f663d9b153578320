-- A stand-in on the frontdesk branch only, so its migrations run 0001..0007 without a gap: 0006 belongs to
-- the salon settings and locale work (issue 10, the other half). Delete this file when merging.
SELECT 1;

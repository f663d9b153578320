-- A stand-in on the frontdesk branch only, so its migrations run 0001..0007 without a gap: 0005 belongs to
-- the fairness branch (fair claims). Delete this file when merging; the real 0005 takes its place.
SELECT 1;

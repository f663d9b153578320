-- Limits every process of an installation shares (issue 27): three web processes allow what one allows.
-- Both tables are UNLOGGED: a count that a crash forgets gives every caller a fresh allowance, which the
-- in-memory limits gave at every restart; not writing the WAL keeps a request's count cheap. Their rows are
-- the installation's, not a salon's (an address or an API token is counted whichever salon it asks), and
-- expire: a row past its time is the same as no row (the worker's chore deletes them).

-- A token bucket per key (db/buckets.py): ``full_at`` is when the bucket is full again, so taking a token
-- is one INSERT ... ON CONFLICT DO UPDATE, and a row whose full_at has passed counts for nothing.
CREATE UNLOGGED TABLE rate_buckets (
    kind     text NOT NULL CHECK (kind IN ('api', 'public')),  -- per API token, per client address
    key      bytea NOT NULL,
    full_at  timestamptz NOT NULL,
    PRIMARY KEY (kind, key)
) WITH (fillfactor = 70);  -- room on the page: each count is a HOT update

-- Failed logins per email at an address and per address (booking/logins.py); the key is a SHA-256 of them.
CREATE UNLOGGED TABLE login_tallies (
    key       bytea PRIMARY KEY,
    failures  integer NOT NULL CHECK (failures >= 0),
    last_at   timestamptz NOT NULL  -- when the latest failure was counted; an hour later the tally is wiped
) WITH (fillfactor = 70);

-- Stylists log in (issue 22): a user, or an invitation, may be a stylist, linked to one staff member of the
-- same salon; each stylist may have a calendar feed.

-- 'staff' was allowed but never written (no code made such a user, and none could log in): any such row
-- becomes a receptionist, the role that needs no staff member, rather than be lost.
UPDATE users SET role = 'receptionist' WHERE role = 'staff';
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('owner', 'receptionist', 'stylist'));
-- A stylist is one staff member of their own salon; nobody else is one. Their login goes with them.
ALTER TABLE users ADD COLUMN staff_id uuid;
ALTER TABLE users ADD CONSTRAINT users_staff_fkey
    FOREIGN KEY (salon_id, staff_id) REFERENCES staff (salon_id, id) ON DELETE CASCADE;
ALTER TABLE users ADD CONSTRAINT users_stylist_staff CHECK ((role = 'stylist') = (staff_id IS NOT NULL));
CREATE UNIQUE INDEX users_staff_key ON users (staff_id) WHERE staff_id IS NOT NULL;  -- one login per stylist

ALTER TABLE invitations DROP CONSTRAINT invitations_role_check;
ALTER TABLE invitations ADD CONSTRAINT invitations_role_check CHECK (role IN ('receptionist', 'stylist'));
ALTER TABLE invitations ADD COLUMN staff_id uuid;
ALTER TABLE invitations ADD CONSTRAINT invitations_staff_fkey
    FOREIGN KEY (salon_id, staff_id) REFERENCES staff (salon_id, id) ON DELETE CASCADE;
ALTER TABLE invitations ADD CONSTRAINT invitations_stylist_staff CHECK ((role = 'stylist') = (staff_id IS NOT NULL));

-- A stylist's calendar subscription: only the SHA-256 of its token is kept. One per stylist: a new one
-- replaces the old, whose link then answers 404.
CREATE TABLE calendar_feeds (
    salon_id    uuid NOT NULL,
    staff_id    uuid NOT NULL,
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (salon_id, staff_id),
    CONSTRAINT calendar_feeds_staff_fkey FOREIGN KEY (salon_id, staff_id) REFERENCES staff (salon_id, id)
        ON DELETE CASCADE
);

-- One stylist's appointments over a span of days: the feed and the week view read them by this.
CREATE INDEX appointments_staff_time ON appointments (salon_id, staff_id, start_time);

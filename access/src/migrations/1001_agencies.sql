-- Agencies (cơ quan, đơn vị) by their QĐ 20/2020 code, and the history of
-- each code: creation, renames, merges, splits, suspensions. Codes are never
-- deleted, so a dissolved code can never be given to another agency.
-- Times are unix seconds (UTC); effective dates are ISO text (YYYY-MM-DD).

CREATE TABLE agency (
    code       TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    parent     TEXT REFERENCES agency (code),
    status     TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'dissolved')),
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX agency_parent ON agency (parent);

CREATE TABLE agency_event (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT NOT NULL REFERENCES agency (code),
    -- The change as JSON (lgsp_access::AgencyChange).
    change      TEXT NOT NULL,
    effective   TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    note        TEXT
) STRICT;

CREATE INDEX agency_event_code ON agency_event (code, id);

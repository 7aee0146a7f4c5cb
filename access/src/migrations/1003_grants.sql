-- Which agency provides each SQL schema, and the grants consumers asked
-- for: requested, then approved or rejected by the provider (or an admin),
-- then possibly revoked. Dates are ISO text, so text order is date order.

CREATE TABLE service (
    schema_name TEXT PRIMARY KEY NOT NULL,
    provider    TEXT NOT NULL REFERENCES agency (code),
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE access_grant (
    id              TEXT PRIMARY KEY NOT NULL,
    consumer_app    TEXT NOT NULL REFERENCES application (id),
    consumer_agency TEXT NOT NULL REFERENCES agency (code),
    provider_agency TEXT NOT NULL REFERENCES agency (code),
    schema_name     TEXT NOT NULL,
    table_name      TEXT,
    -- JSON arrays of column names.
    columns         TEXT NOT NULL,
    clear_columns   TEXT NOT NULL,
    row_filter      TEXT,
    purpose         TEXT NOT NULL,
    valid_from      TEXT NOT NULL,
    valid_to        TEXT NOT NULL CHECK (valid_to >= valid_from),
    status          TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'rejected', 'revoked')),
    requested_at    INTEGER NOT NULL,
    decided_at      INTEGER,
    decided_by      TEXT,
    reason          TEXT,
    revoked_at      INTEGER,
    revoked_by      TEXT
) STRICT;

CREATE INDEX access_grant_app ON access_grant (consumer_app, status);
CREATE INDEX access_grant_consumer ON access_grant (consumer_agency, status);
CREATE INDEX access_grant_provider ON access_grant (provider_agency, status);
CREATE INDEX access_grant_schema ON access_grant (schema_name, status);

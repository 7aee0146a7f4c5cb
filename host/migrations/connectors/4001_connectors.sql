-- Published connectors (migration 4001): every version an agency uploaded,
-- its component, its signature and where it is in its life; configuration
-- values sealed under the master key; the administrator's suspensions; the
-- notices consumers receive. Times are milliseconds since 1970-01-01 UTC;
-- retirement dates are ISO dates (Vietnam time), so text order is date order.

CREATE TABLE connector_component (
    sha256 TEXT PRIMARY KEY NOT NULL,
    wasm   BLOB NOT NULL
) STRICT;

CREATE TABLE connector_version (
    name                TEXT NOT NULL,
    version             TEXT NOT NULL,
    major               INTEGER NOT NULL,
    sha256              TEXT NOT NULL REFERENCES connector_component (sha256),
    size_bytes          INTEGER NOT NULL,
    provider            TEXT NOT NULL,
    -- The access key of the RSA key that signed, and the signature (base64).
    signer_key          TEXT NOT NULL,
    signature           TEXT NOT NULL,
    -- The manifest as uploaded (TOML); it holds no secrets (refused at upload).
    manifest            TEXT NOT NULL,
    -- Each table's columns with type and personal-data class (JSON), kept
    -- after retirement: grants approved on this version are checked against it.
    columns             TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('active', 'rolled_back', 'retired')),
    published_at        INTEGER NOT NULL,
    published_by        TEXT NOT NULL,
    retire_on           TEXT,
    retire_reason       TEXT,
    retire_scheduled_at INTEGER,
    retired_at          INTEGER,
    PRIMARY KEY (name, version)
) STRICT;

CREATE TABLE connector_setting (
    name       TEXT NOT NULL,
    key        TEXT NOT NULL,
    -- AES-256-GCM, nonce || ciphertext, associated data "name/key".
    sealed     BLOB NOT NULL,
    secret     INTEGER NOT NULL CHECK (secret IN (0, 1)),
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (name, key)
) STRICT;

CREATE TABLE connector_suspension (
    name   TEXT PRIMARY KEY NOT NULL,
    since  INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    reason TEXT NOT NULL
) STRICT;

CREATE TABLE connector_notice (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    agency     TEXT NOT NULL,
    name       TEXT NOT NULL,
    version    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    message    TEXT NOT NULL,
    effective  TEXT,
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX connector_notice_agency ON connector_notice (agency, id);

CREATE TABLE notice_webhook (
    application TEXT PRIMARY KEY NOT NULL,
    agency      TEXT NOT NULL,
    url         TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

-- A grant the provider approved again after a new major: the version it
-- was confirmed on (grant decisions are stored to the second, too coarse to
-- order against a publication in the same second).
CREATE TABLE grant_binding (
    grant_id TEXT PRIMARY KEY NOT NULL,
    name     TEXT NOT NULL,
    version  TEXT NOT NULL,
    bound_at INTEGER NOT NULL
) STRICT;

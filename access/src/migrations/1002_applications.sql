-- Applications (the systems an agency connects) and their keys. HMAC secrets
-- are stored only sealed (AES-256-GCM, nonce || ciphertext, AAD = access
-- key); RSA keys only as the public key the client registered.

CREATE TABLE application (
    id          TEXT PRIMARY KEY NOT NULL,
    agency      TEXT NOT NULL REFERENCES agency (code),
    name        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    legacy_sha1 INTEGER NOT NULL CHECK (legacy_sha1 IN (0, 1)),
    per_minute  INTEGER NOT NULL CHECK (per_minute > 0),
    per_day     INTEGER CHECK (per_day > 0),
    created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX application_agency ON application (agency);

CREATE TABLE api_key (
    access_key     TEXT PRIMARY KEY NOT NULL,
    application    TEXT NOT NULL REFERENCES application (id),
    kind           TEXT NOT NULL CHECK (kind IN ('hmac', 'rsa')),
    sealed_secret  BLOB,
    public_key_pem TEXT,
    status         TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER,
    revoked_at     INTEGER,
    replaced_by    TEXT REFERENCES api_key (access_key),
    CHECK ((kind = 'hmac' AND sealed_secret IS NOT NULL AND public_key_pem IS NULL)
        OR (kind = 'rsa' AND sealed_secret IS NULL AND public_key_pem IS NOT NULL)),
    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
) STRICT;

CREATE INDEX api_key_application ON api_key (application);

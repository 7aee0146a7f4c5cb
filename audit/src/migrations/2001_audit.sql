-- The audit log. `body` is the entry exactly as hashed (JSON text); the other
-- columns are copies for indexing and are checked against it by verification.
CREATE TABLE audit_entries (
    seq INTEGER PRIMARY KEY,
    at_us INTEGER NOT NULL,
    kind TEXT NOT NULL,
    actor_agency TEXT,
    body TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
) STRICT;
CREATE INDEX audit_entries_at ON audit_entries (at_us);
CREATE INDEX audit_entries_actor ON audit_entries (actor_agency, at_us);

-- Which agencies an entry concerns and how (consumer or provider), so each can
-- read its own without scanning the log. Derived from the body.
CREATE TABLE audit_parties (
    seq INTEGER NOT NULL,
    agency TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (agency, seq, role)
) STRICT, WITHOUT ROWID;
CREATE INDEX audit_parties_seq ON audit_parties (seq);

-- The last entry written: appends read it inside the write transaction, so
-- several writers (the server, `lgsp admin` commands) extend one chain; and
-- verification notices entries cut from the end.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
) STRICT;

-- Signed checkpoints. Kept when retention removes the entries they cover, so
-- what remains still verifies from the last removed entry's hash.
CREATE TABLE audit_checkpoints (
    seq INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    at_us INTEGER NOT NULL,
    public_key TEXT NOT NULL,
    signature TEXT NOT NULL
) STRICT;

-- Platform administrators. Passwords only as argon2id PHC strings.

CREATE TABLE admin_account (
    username            TEXT PRIMARY KEY NOT NULL,
    password_hash       TEXT NOT NULL,
    disabled            INTEGER NOT NULL CHECK (disabled IN (0, 1)),
    created_at          INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL
) STRICT;

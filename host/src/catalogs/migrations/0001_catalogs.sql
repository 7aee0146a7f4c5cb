-- Shared catalogs (danh mục dùng chung): catalogs, their versions with
-- validity dates, the items of each version, and crosswalks between versions.
-- Dates are ISO text (YYYY-MM-DD); a NULL valid_to is open-ended.

CREATE TABLE catalog (
    code           TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    owner_agency   TEXT NOT NULL,
    description    TEXT NOT NULL,
    attributes     TEXT NOT NULL DEFAULT '[]',
    parent_catalog TEXT,
    created_at     TEXT NOT NULL
);

CREATE TABLE catalog_version (
    id           INTEGER PRIMARY KEY,
    catalog      TEXT NOT NULL REFERENCES catalog (code),
    version      TEXT NOT NULL,
    valid_from   TEXT NOT NULL,
    valid_to     TEXT,
    status       TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    item_count   INTEGER NOT NULL,
    digest       TEXT NOT NULL,
    source       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    published_at TEXT,
    UNIQUE (catalog, version)
);

CREATE TABLE catalog_item (
    version_id INTEGER NOT NULL REFERENCES catalog_version (id) ON DELETE CASCADE,
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    parent     TEXT,
    level      TEXT,
    attributes TEXT,
    PRIMARY KEY (version_id, code)
) WITHOUT ROWID;

CREATE TABLE crosswalk (
    id           INTEGER PRIMARY KEY,
    catalog      TEXT NOT NULL REFERENCES catalog (code),
    from_version INTEGER NOT NULL REFERENCES catalog_version (id),
    to_version   INTEGER NOT NULL REFERENCES catalog_version (id),
    source       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    UNIQUE (from_version, to_version)
);

CREATE TABLE crosswalk_entry (
    crosswalk_id INTEGER NOT NULL REFERENCES crosswalk (id) ON DELETE CASCADE,
    old_code     TEXT NOT NULL,
    new_code     TEXT NOT NULL,
    mapping      TEXT NOT NULL CHECK (mapping IN ('full', 'partial')),
    PRIMARY KEY (crosswalk_id, old_code, new_code)
) WITHOUT ROWID;

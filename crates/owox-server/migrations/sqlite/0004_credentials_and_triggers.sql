-- Storage credentials, sealed with the server's secret key (never stored in clear), and the
-- asynchronous UI triggers (SQL dry run, schema refresh) with their one-time results.
CREATE TABLE data_storage_credentials (
    id            TEXT PRIMARY KEY NOT NULL,
    project_id    TEXT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    type          TEXT NOT NULL,
    -- "v1.<key id>.<base64url(nonce || sealed JSON)>", bound to the row id.
    sealed        TEXT NOT NULL,
    -- What responses may echo (e.g. {"username": …}); never a secret.
    identity      TEXT,
    created_by_id TEXT,
    created_at    TEXT NOT NULL,
    modified_at   TEXT NOT NULL,
    deleted_at    TEXT
);

CREATE TABLE ui_trigger (
    id            TEXT PRIMARY KEY NOT NULL,
    project_id    TEXT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    data_mart_id  TEXT NOT NULL,
    kind          TEXT NOT NULL,
    created_by_id TEXT NOT NULL,
    status        TEXT NOT NULL,
    request       TEXT,
    response      TEXT,
    created_at    TEXT NOT NULL,
    modified_at   TEXT NOT NULL
);
CREATE INDEX idx_ui_trigger_created ON ui_trigger (created_at);

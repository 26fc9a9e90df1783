-- Projects, members, API keys and server settings.
CREATE TABLE project (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE member (
    project_id TEXT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    email      TEXT NOT NULL,
    full_name  TEXT,
    role       TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, user_id),
    UNIQUE (project_id, email)
);

-- The reference's project_member_api_key table, in snake_case.
CREATE TABLE project_member_api_key (
    api_key_id            TEXT PRIMARY KEY,
    project_id            TEXT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    user_id               TEXT NOT NULL,
    name                  TEXT NOT NULL,
    role                  TEXT CHECK (role IN ('viewer', 'editor', 'admin')),
    read_only             BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at            TIMESTAMPTZ,
    revoked_at            TIMESTAMPTZ,
    last_authenticated_at TIMESTAMPTZ,
    key_hash              TEXT NOT NULL,
    key_hash_salt         TEXT NOT NULL,
    key_hash_params       TEXT NOT NULL,
    created_at            TIMESTAMPTZ NOT NULL,
    modified_at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_project_member_api_key_project_user_revoked
    ON project_member_api_key (project_id, user_id, revoked_at);

CREATE TABLE server_setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Data destinations (soft-deleted) and their owners. Credentials are sealed in the row
-- ("v1.…", bound to the destination id); what responses may show is kept beside them.
CREATE TABLE data_destination (
    id                        TEXT PRIMARY KEY,
    project_id                TEXT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    type                      TEXT NOT NULL,
    title                     TEXT NOT NULL,
    config                    TEXT,
    sealed_credentials        TEXT,
    public_credentials        TEXT,
    available_for_use         BOOLEAN NOT NULL DEFAULT TRUE,
    available_for_maintenance BOOLEAN NOT NULL DEFAULT FALSE,
    created_by_id             TEXT,
    created_at                TIMESTAMPTZ NOT NULL,
    modified_at               TIMESTAMPTZ NOT NULL,
    deleted_at                TIMESTAMPTZ
);
CREATE INDEX idx_data_destination_project ON data_destination (project_id, deleted_at);

CREATE TABLE destination_owner (
    destination_id TEXT NOT NULL REFERENCES data_destination(id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL,
    PRIMARY KEY (destination_id, user_id)
);

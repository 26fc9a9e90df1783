-- Storages and data marts (soft-deleted rows keep deleted_at), with their owners.
CREATE TABLE data_storage (
    id                        TEXT PRIMARY KEY,
    project_id                TEXT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    type                      TEXT NOT NULL,
    title                     TEXT,
    config                    TEXT,
    credential_id             TEXT,
    available_for_use         BOOLEAN NOT NULL DEFAULT TRUE,
    available_for_maintenance BOOLEAN NOT NULL DEFAULT FALSE,
    is_default                BOOLEAN NOT NULL DEFAULT FALSE,
    created_by_id             TEXT,
    created_at                TIMESTAMPTZ NOT NULL,
    modified_at               TIMESTAMPTZ NOT NULL,
    deleted_at                TIMESTAMPTZ
);
CREATE INDEX idx_data_storage_project ON data_storage (project_id, deleted_at);

CREATE TABLE storage_owner (
    storage_id TEXT NOT NULL REFERENCES data_storage(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    PRIMARY KEY (storage_id, user_id)
);

CREATE TABLE data_mart (
    id                        TEXT PRIMARY KEY,
    project_id                TEXT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    title                     TEXT NOT NULL,
    description               TEXT,
    storage_id                TEXT NOT NULL REFERENCES data_storage(id),
    status                    TEXT NOT NULL DEFAULT 'DRAFT',
    definition_type           TEXT,
    definition                TEXT,
    output_schema             TEXT,
    schema_actualized_at      TIMESTAMPTZ,
    available_for_reporting   BOOLEAN NOT NULL DEFAULT TRUE,
    available_for_maintenance BOOLEAN NOT NULL DEFAULT TRUE,
    created_by_id             TEXT,
    created_at                TIMESTAMPTZ NOT NULL,
    modified_at               TIMESTAMPTZ NOT NULL,
    deleted_at                TIMESTAMPTZ
);
CREATE INDEX idx_data_mart_project_list ON data_mart (project_id, deleted_at, created_at, id);
CREATE INDEX idx_data_mart_storage ON data_mart (storage_id, deleted_at);

CREATE TABLE data_mart_owner (
    data_mart_id TEXT NOT NULL REFERENCES data_mart(id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('business', 'technical')),
    PRIMARY KEY (data_mart_id, user_id, kind)
);

-- At most one default storage per project, so concurrent first starts create one.
CREATE UNIQUE INDEX idx_data_storage_default ON data_storage (project_id) WHERE is_default;

-- Relationships between data marts of one storage (domain.md §1.4), and the blended-fields
-- configuration of a source data mart. Relationships outlive a soft-deleted end: a stream that
-- reaches a deleted target fails with a clear 400 instead of losing the join silently.
CREATE TABLE data_mart_relationship (
    id                  TEXT PRIMARY KEY,
    project_id          TEXT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    data_storage_id     TEXT NOT NULL REFERENCES data_storage(id),
    source_data_mart_id TEXT NOT NULL REFERENCES data_mart(id) ON DELETE CASCADE,
    target_data_mart_id TEXT NOT NULL REFERENCES data_mart(id) ON DELETE CASCADE,
    target_alias        TEXT NOT NULL,
    join_conditions     TEXT NOT NULL,
    description         TEXT,
    created_by_id       TEXT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    modified_at         TIMESTAMPTZ NOT NULL,
    CONSTRAINT uq_data_mart_relationship_source_alias UNIQUE (source_data_mart_id, target_alias)
);
CREATE INDEX idx_data_mart_relationship_storage
    ON data_mart_relationship (project_id, data_storage_id, created_at, id);
CREATE INDEX idx_data_mart_relationship_target ON data_mart_relationship (target_data_mart_id);

ALTER TABLE data_mart ADD COLUMN blended_fields_config TEXT;

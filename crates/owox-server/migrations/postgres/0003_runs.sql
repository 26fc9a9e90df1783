-- Run history (data_mart_run): one row per HTTP Data stream, written when it ends.
CREATE TABLE data_mart_run (
    id                TEXT PRIMARY KEY,
    project_id        TEXT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    data_mart_id      TEXT NOT NULL,
    type              TEXT NOT NULL,
    run_type          TEXT NOT NULL,
    status            TEXT NOT NULL,
    report_id         TEXT,
    definition_run    TEXT,
    errors            TEXT,
    additional_params TEXT,
    created_by_id     TEXT,
    created_at        TIMESTAMPTZ NOT NULL,
    started_at        TIMESTAMPTZ,
    finished_at       TIMESTAMPTZ
);
CREATE INDEX idx_data_mart_run_mart ON data_mart_run (project_id, data_mart_id, created_at);

-- Saved reports (domain.md §1.6; soft-deleted rows keep deleted_at) and their owners. The
-- output controls are JSON texts as the API shows them; `version` counts writes (optimistic
-- locking: an update only applies to the version it read).
CREATE TABLE report (
    id                  TEXT PRIMARY KEY,
    project_id          TEXT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    title               TEXT NOT NULL,
    data_mart_id        TEXT NOT NULL REFERENCES data_mart(id),
    data_destination_id TEXT NOT NULL REFERENCES data_destination(id),
    destination_config  TEXT NOT NULL,
    column_config       TEXT,
    filter_config       TEXT,
    sort_config         TEXT,
    aggregation_config  TEXT,
    date_trunc_config   TEXT,
    limit_config        BIGINT,
    unique_count_config TEXT,
    last_run_at         TIMESTAMPTZ,
    last_run_status     TEXT,
    last_run_error      TEXT,
    runs_count          BIGINT NOT NULL DEFAULT 0,
    created_by_id       TEXT,
    created_at          TIMESTAMPTZ NOT NULL,
    modified_at         TIMESTAMPTZ NOT NULL,
    version             BIGINT NOT NULL DEFAULT 1,
    deleted_at          TIMESTAMPTZ
);
CREATE INDEX idx_report_project ON report (project_id, deleted_at, created_at);
CREATE INDEX idx_report_data_mart ON report (data_mart_id, deleted_at);
CREATE INDEX idx_report_destination ON report (data_destination_id, deleted_at);

CREATE TABLE report_owners (
    report_id TEXT NOT NULL REFERENCES report(id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL,
    PRIMARY KEY (report_id, user_id)
);

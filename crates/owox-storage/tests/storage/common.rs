use futures::StreamExt;
use owox_query::{SqlParam, Statement};
use owox_storage::{Cell, DuckDbAdmin, DuckDbConfig, DuckDbStorage, Storage, StorageError};
use tempfile::TempDir;

pub struct Env {
    pub dir: TempDir,
    pub storage: DuckDbStorage,
}

pub fn config(dir: &TempDir) -> DuckDbConfig {
    DuckDbConfig {
        database_path: dir.path().join("db").join("test.duckdb"),
        imports_dir: dir.path().join("imports"),
        memory_limit: "512MB".into(),
        threads: 2,
        temp_dir: dir.path().join("tmp"),
        table_cache_limit: None,
    }
}

/// A locked-down storage after running trusted `setup` SQL through the admin connection.
pub fn open_with(setup: &str) -> Env {
    open_with_files(setup, |_| {})
}

/// Same, with files written into the imports folder before the setup SQL runs.
pub fn open_with_files(setup: &str, files: impl FnOnce(&std::path::Path)) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let admin = DuckDbAdmin::open(&config(&dir)).unwrap();
    files(admin.imports_dir());
    if !setup.is_empty() {
        admin.execute_batch(setup).unwrap();
    }
    let storage = admin.lock().unwrap();
    Env { dir, storage }
}

pub fn open() -> Env {
    open_with("")
}

pub fn stmt(sql: &str) -> Statement {
    Statement {
        sql: sql.into(),
        params: vec![],
    }
}

pub fn stmt_with(sql: &str, params: Vec<SqlParam>) -> Statement {
    Statement {
        sql: sql.into(),
        params,
    }
}

/// Runs `sql` to the end; the columns and all rows.
pub async fn rows_of(
    storage: &DuckDbStorage,
    statement: Statement,
) -> Result<(Vec<String>, Vec<Vec<Cell>>), StorageError> {
    let mut stream = storage.query(statement).await?;
    let columns = stream.columns().to_vec();
    let mut rows = Vec::new();
    while let Some(batch) = stream.next().await {
        rows.extend(batch?.rows);
    }
    Ok((columns, rows))
}

pub async fn one_row(storage: &DuckDbStorage, sql: &str) -> Vec<Cell> {
    let (_, mut rows) = rows_of(storage, stmt(sql)).await.unwrap();
    assert_eq!(rows.len(), 1, "{sql}");
    rows.remove(0)
}

pub fn provider_message(e: StorageError) -> String {
    match e {
        StorageError::Provider { message } => message,
        other => panic!("expected a provider error, got {other:?}"),
    }
}

/// Resident set size of this process, in KiB.
pub fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Waits (up to `secs`) until no query thread is running.
pub async fn wait_idle(storage: &DuckDbStorage, secs: u64) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if storage.running_queries() == 0 {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    storage.running_queries() == 0
}

/// A DuckDB DECIMAL cell from its text (`"-0.05"` is `-5` at scale 2).
pub fn dec(text: &str) -> Cell {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    Cell::ScaledDecimal {
        value: format!("{int}{frac}").parse().unwrap(),
        scale: frac.len() as u8,
    }
}

//! The few DuckDB C API calls the typed wrapper does not offer: opening a database whose
//! handle we own, and statement classification (`duckdb_extract_statements`,
//! `duckdb_prepare_extracted_statement`, `duckdb_prepared_statement_type`).

use std::ffi::{CStr, CString};
use std::path::Path;
use std::ptr;

use duckdb::ffi;

use crate::StorageError;

/// An open database (owned handle).
pub(crate) struct Db(ffi::duckdb_database);

// SAFETY: a `duckdb_database` may be used from any thread (connections are made from it
// concurrently); it is only closed in `Drop`.
unsafe impl Send for Db {}
unsafe impl Sync for Db {}

impl Db {
    /// Opens `path` with the given startup settings.
    pub(crate) fn open(path: &Path, settings: &[(&str, String)]) -> Result<Db, StorageError> {
        let c_path = cstring(path.to_str().ok_or_else(|| {
            StorageError::Internal(format!("path is not UTF-8: {}", path.display()))
        })?)?;
        unsafe {
            let mut config: ffi::duckdb_config = ptr::null_mut();
            if ffi::duckdb_create_config(&mut config) != ffi::DuckDBSuccess {
                return Err(StorageError::Internal("duckdb_create_config failed".into()));
            }
            for (name, value) in settings {
                let (n, v) = (cstring(name)?, cstring(value)?);
                if ffi::duckdb_set_config(config, n.as_ptr(), v.as_ptr()) != ffi::DuckDBSuccess {
                    ffi::duckdb_destroy_config(&mut config);
                    return Err(StorageError::Internal(format!(
                        "DuckDB refused the setting {name} = {value}"
                    )));
                }
            }
            let mut db: ffi::duckdb_database = ptr::null_mut();
            let mut err: *mut std::os::raw::c_char = ptr::null_mut();
            let rc = ffi::duckdb_open_ext(c_path.as_ptr(), &mut db, config, &mut err);
            ffi::duckdb_destroy_config(&mut config);
            if rc != ffi::DuckDBSuccess {
                let message = if err.is_null() {
                    "unknown error".to_string()
                } else {
                    let m = CStr::from_ptr(err).to_string_lossy().into_owned();
                    ffi::duckdb_free(err.cast());
                    m
                };
                return Err(StorageError::Internal(format!(
                    "cannot open the DuckDB database {}: {message}",
                    path.display()
                )));
            }
            Ok(Db(db))
        }
    }

    pub(crate) fn raw(&self) -> ffi::duckdb_database {
        self.0
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        // Connections still open keep the instance alive inside DuckDB; this releases ours.
        unsafe { ffi::duckdb_close(&mut self.0) }
    }
}

/// A short-lived raw connection used to classify and describe statements.
pub(crate) struct RawConn(ffi::duckdb_connection);

impl Drop for RawConn {
    fn drop(&mut self) {
        unsafe { ffi::duckdb_disconnect(&mut self.0) }
    }
}

/// A prepared statement, destroyed on drop.
struct Prepared(ffi::duckdb_prepared_statement);

impl Drop for Prepared {
    fn drop(&mut self) {
        unsafe { ffi::duckdb_destroy_prepare(&mut self.0) }
    }
}

struct Extracted(ffi::duckdb_extracted_statements);

impl Drop for Extracted {
    fn drop(&mut self) {
        unsafe { ffi::duckdb_destroy_extracted(&mut self.0) }
    }
}

impl RawConn {
    pub(crate) fn connect(db: &Db) -> Result<RawConn, StorageError> {
        let mut con: ffi::duckdb_connection = ptr::null_mut();
        let rc = unsafe { ffi::duckdb_connect(db.raw(), &mut con) };
        if rc != ffi::DuckDBSuccess {
            return Err(StorageError::Internal("duckdb_connect failed".into()));
        }
        Ok(RawConn(con))
    }

    /// Parses `sql` with the engine: it must be exactly one statement, the binder must call
    /// it a SELECT, and it must take no parameters. The statement is prepared (bound), never
    /// executed. Returns the output columns: name and engine type id.
    pub(crate) fn select_columns(
        &self,
        sql: &str,
    ) -> Result<Vec<(String, ffi::duckdb_type)>, StorageError> {
        let stmt = self.prepare_select(sql)?;
        unsafe {
            let n = ffi::duckdb_prepared_statement_column_count(stmt.0);
            (0..n)
                .map(|i| {
                    let p = ffi::duckdb_prepared_statement_column_name(stmt.0, i);
                    if p.is_null() {
                        return Err(StorageError::Internal(format!("no name for column {i}")));
                    }
                    let name = CStr::from_ptr(p).to_string_lossy().into_owned();
                    ffi::duckdb_free(p as *mut std::os::raw::c_void);
                    Ok((name, ffi::duckdb_prepared_statement_column_type(stmt.0, i)))
                })
                .collect()
        }
    }

    fn prepare_select(&self, sql: &str) -> Result<Prepared, StorageError> {
        let c_sql = CString::new(sql).map_err(|_| {
            StorageError::InvalidDefinition("The SQL definition contains a NUL character".into())
        })?;
        unsafe {
            let mut ext = Extracted(ptr::null_mut());
            let count = ffi::duckdb_extract_statements(self.0, c_sql.as_ptr(), &mut ext.0);
            if count == 0 {
                let err = ffi::duckdb_extract_statements_error(ext.0);
                return Err(if err.is_null() {
                    StorageError::InvalidDefinition(
                        "The SQL definition is empty: it must be one SELECT statement".into(),
                    )
                } else {
                    StorageError::provider(CStr::from_ptr(err).to_string_lossy().into_owned())
                });
            }
            if count > 1 {
                return Err(StorageError::InvalidDefinition(format!(
                    "The SQL definition must be exactly one SELECT statement, but it has {count} statements"
                )));
            }
            let mut stmt = Prepared(ptr::null_mut());
            let rc = ffi::duckdb_prepare_extracted_statement(self.0, ext.0, 0, &mut stmt.0);
            if rc != ffi::DuckDBSuccess {
                let err = ffi::duckdb_prepare_error(stmt.0);
                let message = if err.is_null() {
                    "the statement could not be prepared".to_string()
                } else {
                    CStr::from_ptr(err).to_string_lossy().into_owned()
                };
                return Err(StorageError::provider(message));
            }
            let kind = ffi::duckdb_prepared_statement_type(stmt.0);
            if kind != ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_SELECT {
                return Err(StorageError::InvalidDefinition(format!(
                    "Only a SELECT statement is allowed in a data mart definition, not {}",
                    statement_type_name(kind)
                )));
            }
            if ffi::duckdb_nparams(stmt.0) > 0 {
                return Err(StorageError::InvalidDefinition(
                    "The SQL definition must not contain parameters ($1, ?)".into(),
                ));
            }
            Ok(stmt)
        }
    }
}

/// The DuckDB library version.
pub(crate) fn library_version() -> String {
    unsafe {
        let p = ffi::duckdb_library_version();
        if p.is_null() {
            String::new()
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    }
}

fn cstring(s: &str) -> Result<CString, StorageError> {
    CString::new(s).map_err(|_| StorageError::Internal(format!("NUL in {s:?}")))
}

/// A readable name of a statement type, for the 400 message.
fn statement_type_name(kind: ffi::duckdb_statement_type) -> &'static str {
    match kind {
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_INSERT => "INSERT",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_UPDATE => "UPDATE",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_EXPLAIN => "EXPLAIN",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_DELETE => "DELETE",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_PREPARE => "PREPARE",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_CREATE => "CREATE",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_EXECUTE => "EXECUTE",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_ALTER => "ALTER",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_TRANSACTION => "a transaction statement",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_COPY => "COPY",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_ANALYZE => "ANALYZE",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_VARIABLE_SET => "SET VARIABLE",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_CREATE_FUNC => "CREATE FUNCTION",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_DROP => "DROP",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_EXPORT => "EXPORT",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_PRAGMA => "PRAGMA",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_VACUUM => "VACUUM",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_CALL => "CALL",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_SET => "SET",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_LOAD => "LOAD/INSTALL",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_ATTACH => "ATTACH",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_DETACH => "DETACH",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_MULTI => "multiple statements",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_COPY_DATABASE => "COPY DATABASE",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_UPDATE_EXTENSIONS => "UPDATE EXTENSIONS",
        ffi::duckdb_statement_type_DUCKDB_STATEMENT_TYPE_MERGE_INTO => "MERGE INTO",
        _ => "this kind of statement",
    }
}

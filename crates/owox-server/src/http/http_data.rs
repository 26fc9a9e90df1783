//! `GET /api/external/http-data/data-marts/{dataMartId}.ndjson`: a published data mart's rows
//! as NDJSON, compiled by `owox-query`, streamed by the storage, recorded in the run history.
//!
//! The pipeline follows the reference (http-data.md §3.1), so the same error wins: query
//! validation, then the data mart lookup, schema refresh (30 min), column resolution; from the
//! output-controls validation on, every failure records a FAILED run. The status is sent after
//! the first batch, so errors up to there are JSON; later failures truncate the body. Rows flow
//! with backpressure (hyper polls the body only when the socket takes more; the storage channel
//! holds two batches), and a client that goes away drops the body, which interrupts the query.
//!
//! Everything after the data mart checks is [`plan`], shared with the report stream
//! (`report_stream`), report saves and a report's generated SQL (`reports`).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use owox_query::{
    BodyKind, CompileContext, CompiledQuery, HttpDataQuery, QueryError, Source, ValidatedQuery,
};
use owox_storage::StorageError;
use serde_json::{json, Value};
use utoipa::OpenApi;

use crate::auth::{Auth, Caller, Viewer};
use crate::engines::{read_failure, storage_error};
use crate::error::ApiError;
use crate::http::data_marts::{load, Loaded};
use crate::http::definitions::{definition_ref, discover, save_schema, stored_definition};
use crate::http::ndjson::RowEncoder;
use crate::http::ndjson_body::{timeout_message, FramePool, NdjsonBody};
use crate::http::totals::InFlightTotals;
use crate::output_schema::{schema_type_for, OutputSchema};
use crate::state::AppState;
use crate::store::NewRun;

const SCHEMA_MAX_AGE: chrono::TimeDelta = chrono::TimeDelta::minutes(30);

#[derive(OpenApi)]
#[openapi(paths(stream_data_mart))]
pub struct HttpDataDoc;

/// Routed by hand: the documented path has `{dataMartId}.ndjson` inside one segment, which
/// the router cannot express; the handler takes the segment and strips the suffix.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/external/http-data/data-marts/{file}",
        get(stream_data_mart),
    )
}

/// The id from `<id>.ndjson` (suffix matched case-insensitively, one trailing slash allowed);
/// anything else is the reference's 404 for an unknown route, before authentication.
pub struct NdjsonId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for NdjsonId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let no_route = |parts: &Parts| {
            let url = parts
                .uri
                .path_and_query()
                .map_or(parts.uri.path(), |pq| pq.as_str());
            ApiError::no_route(&parts.method, url)
        };
        let Path(file) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| no_route(parts))?;
        let len = file.len();
        match file.get(len.saturating_sub(7)..) {
            Some(suffix) if len > 7 && suffix.eq_ignore_ascii_case(".ndjson") => {
                Ok(NdjsonId(file[..len - 7].to_string()))
            }
            _ => Err(no_route(parts)),
        }
    }
}

/// The reference body for a compiler error; `storage_type` names the storage in a 424 (parse
/// and column errors, found before the data mart is loaded, are never 424s).
fn query_error(e: QueryError, storage_type: &str) -> ApiError {
    match e.body_kind() {
        BodyKind::BusinessViolation => ApiError::Business {
            message: e.to_string(),
            code: e.code().map(str::to_string),
            error_details: e.error_details(),
        },
        BodyKind::HttpException => ApiError::Http {
            status: StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
            message: e.to_string(),
            details: e.details(),
        },
        BodyKind::Storage => read_failure(e, storage_type),
        BodyKind::Internal => ApiError::Internal(anyhow::anyhow!(e.to_string())),
    }
}

/// Everything needed to write the run record once the stream ends, however it ends.
pub(super) struct RunRecorder {
    state: AppState,
    id: String,
    project_id: String,
    data_mart_id: String,
    /// The report streamed, for a report's stream.
    report_id: Option<String>,
    /// `httpData.columns` of a successful run, when it is not known before (a report without
    /// saved columns: the output header names).
    columns_on_success: Option<Value>,
    user_id: String,
    started_at: chrono::DateTime<chrono::Utc>,
    definition_run: String,
    http_data: Value,
}

impl RunRecorder {
    /// Writes the run as RUNNING.
    async fn start(&self) -> Result<(), ApiError> {
        let params = json!({ "httpData": self.http_data }).to_string();
        self.state
            .store
            .start_run(&NewRun {
                id: &self.id,
                project_id: &self.project_id,
                data_mart_id: &self.data_mart_id,
                report_id: self.report_id.as_deref(),
                run_type: "HTTP_DATA",
                status: "RUNNING",
                definition_run: Some(&self.definition_run),
                errors: None,
                additional_params: Some(&params),
                created_by_id: &self.user_id,
                started_at: self.started_at,
            })
            .await?;
        Ok(())
    }

    /// Ends the run: SUCCESS without an error, FAILED with one (unless it was cancelled
    /// meanwhile, which already ended it).
    pub(super) fn finish(self, error: Option<String>, extra: Value) {
        if let Ok(mut running) = self.state.running.lock() {
            running.remove(&self.id);
        }
        // Called from `Drop` too: without a runtime (process teardown) the record is skipped.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(run_id = %self.id, "run not finished: the runtime is shutting down");
            return;
        };
        let seconds = (chrono::Utc::now() - self.started_at)
            .to_std()
            .unwrap_or_default()
            .as_secs_f64();
        runtime.spawn(async move {
            let mut http_data = self.http_data.clone();
            if let (Some(columns), None) = (&self.columns_on_success, &error) {
                http_data["columns"] = columns.clone();
            }
            if let (Some(target), Some(extra)) = (http_data.as_object_mut(), extra.as_object()) {
                target.extend(extra.clone());
            }
            let status = if error.is_some() { "FAILED" } else { "SUCCESS" };
            let errors = error.map(|e| json!([e]).to_string());
            let params = json!({ "httpData": http_data }).to_string();
            match self
                .state
                .store
                .finish_run(
                    &self.project_id,
                    &self.id,
                    status,
                    errors.as_deref(),
                    Some(&params),
                )
                .await
            {
                // Counted once, by the call that ended the run (not after a cancel did).
                Ok(true) => {
                    metrics::counter!("http_data_streams_total", "status" => status).increment(1);
                    metrics::histogram!("http_data_stream_duration_seconds", "status" => status)
                        .record(seconds);
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(run_id = %self.id, error = %e, "could not finish the run")
                }
            }
        });
    }

    /// Records a FAILED run with the error's client-facing message and hands the error back.
    fn failed(self, error: ApiError) -> ApiError {
        let message = match &error {
            ApiError::Internal(_) => "Internal server error".to_string(),
            other => other.to_string(),
        };
        self.finish(Some(message), json!({ "completed": false }));
        error
    }
}

/// Records a FAILED run for `error` when there is a run (streams), and hands the error back.
fn failed(recorder: Option<RunRecorder>, error: ApiError) -> ApiError {
    match recorder {
        Some(recorder) => recorder.failed(error),
        None => error,
    }
}

/// Stream data mart rows as NDJSON
#[utoipa::path(
    get,
    path = "/api/external/http-data/data-marts/{dataMartId}.ndjson",
    operation_id = "HttpDataController_stream",
    tag = "HTTP Data",
    params(
        ("dataMartId" = String, Path, description = "Data Mart ID"),
        ("columns" = Option<String>, Query, description = "`*` (all columns) or `**` (with joined columns)"),
        ("column" = Option<Vec<String>>, Query, description = "A column to include; repeatable"),
        ("filter" = Option<String>, Query, description = "base64url JSON array of filter rules"),
        ("sort" = Option<String>, Query, description = "base64url JSON array of sort rules"),
        ("aggregation" = Option<String>, Query, description = "base64url JSON array of aggregation rules"),
        ("dateTrunc" = Option<String>, Query, description = "base64url JSON array of date bucket rules"),
        ("limit" = Option<u64>, Query, description = "Maximum number of rows"),
    ),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses(
        (status = 200, description = "One JSON object per line; the run id is in `x-owox-run-id`", content_type = "application/x-ndjson"),
        (status = 400, description = "Invalid query parameters or output controls"),
        (status = 404, description = "Data Mart not found or not published"),
        (status = 424, description = "The storage failed"),
    )
)]
async fn stream_data_mart(
    NdjsonId(id): NdjsonId,
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = stream_query_pairs(&state, raw.as_deref())?;
    let query = owox_query::parse_query(&pairs).map_err(|e| query_error(e, ""))?;
    let loaded = load(&state, &caller, &id).await?;
    if loaded.row.status != "PUBLISHED" {
        return Err(ApiError::not_found(format!("Data Mart {id} not found")));
    }
    if !loaded.actions.use_ {
        return Err(ApiError::forbidden(format!(
            "Access to Data Mart {id} is not allowed"
        )));
    }
    match plan(
        &state,
        &caller,
        &loaded,
        query,
        Purpose::Stream(StreamSubject::DataMart),
    )
    .await?
    {
        Planned::Response(response) => Ok(response),
        _ => Err(anyhow::anyhow!("a stream plan ended without a response").into()),
    }
}

/// What [`plan`] is run for.
pub(crate) enum Purpose {
    /// Stream the rows, with a run record.
    Stream(StreamSubject),
    /// Resolve and validate only (a report being saved): no run, nothing executed.
    Check,
    /// Everything up to the SQL (a report's generated SQL): no run, nothing executed.
    Sql,
}

/// Whose rows a stream sends: it decides the run's `reportId` and its `httpData.columns`.
pub(crate) enum StreamSubject {
    DataMart,
    /// A saved report: its id and saved `columnConfig` (§10.2: the run's `columns` are the
    /// saved ones, or the output header names of a successful run when none are saved).
    Report {
        id: String,
        column_config: Option<Vec<String>>,
    },
}

/// What [`plan`] ends with, by [`Purpose`].
pub(crate) enum Planned {
    Response(Response),
    Checked(ValidatedQuery),
    Sql(CompiledQuery),
}

/// From "data mart loaded (published, usable) and query parsed" to the answer: the schema
/// (refreshed when older than 30 minutes, for streams), the fields, column resolution, the run
/// record, output-controls validation, the source and compilation, the query and the NDJSON
/// body. This is the one place where a data mart's fields meet `owox_query`'s
/// `resolve_blended_columns`, `validate_blended` and `compile_blended` (with the joined fields
/// of [`crate::blend::load_stream_blend`]), for the data mart stream, the report stream,
/// report saves (`Purpose::Check`) and a report's generated SQL (`Purpose::Sql`) alike.
pub(crate) async fn plan(
    state: &AppState,
    caller: &Caller,
    loaded: &Loaded,
    query: HttpDataQuery,
    purpose: Purpose,
) -> Result<Planned, ApiError> {
    let id = &loaded.row.id;
    let storage_type = loaded.storage.storage_type.as_str();
    let started_at = chrono::Utc::now();
    let run_id = uuid::Uuid::new_v4().to_string();
    let (definition_type, definition) = stored_definition(&loaded.row)
        .ok_or_else(|| read_failure("Data Mart is not properly configured", storage_type))?;
    let engine = state.engines.get(&loaded.storage).await?;
    let streaming = matches!(purpose, Purpose::Stream(_));
    let saved = loaded.row.output_schema.as_deref();
    let fresh = loaded
        .row
        .schema_actualized_at
        .is_some_and(|at| started_at - at < SCHEMA_MAX_AGE);
    // Saves and generated SQL read the stored schema; only streams refresh it.
    let schema = match saved.and_then(|s| serde_json::from_str::<Value>(s).ok()) {
        Some(v) if fresh || !streaming => OutputSchema::parse(&v, schema_type_for(storage_type))
            .map_err(|e| anyhow::anyhow!(e))?,
        _ => {
            // Any failure of the refresh is a storage failure (424), as in the reference.
            let schema = discover(&engine, &definition_type, &definition, saved)
                .await
                .map_err(|e| read_failure(e, storage_type))?;
            save_schema(state, &caller.project_id, id, &schema).await?;
            schema
        }
    };
    let fields = schema.compiler_fields();
    let mut query = query;
    if let Some(keys) = &mut query.unique_count {
        // A report's Unique Count counts the main data mart's primary keys.
        *keys = schema
            .fields
            .iter()
            .filter(|f| {
                f.is_primary_key && f.status != crate::output_schema::FieldStatus::Disconnected
            })
            .map(|f| f.name.clone())
            .collect();
    }
    // Joined fields: a relationship to a deleted data mart is a 400 before any run.
    let joined = crate::blend::load_stream_blend(state, caller, &loaded.row, &engine).await?;
    let blend = joined.blend();
    let resolved = owox_query::resolve_blended_columns(&fields, &blend.reporting_fields(), &query)
        .map_err(|e| query_error(e, storage_type))?;
    // From here on every failure of a stream records a FAILED run.
    let (recorder, check_only, header_columns) = match purpose {
        Purpose::Stream(subject) => {
            let (report_id, columns, header_columns) = match subject {
                StreamSubject::DataMart => (None, resolved.selected.clone(), false),
                StreamSubject::Report {
                    id: report,
                    column_config,
                } => match column_config {
                    Some(saved) if !saved.is_empty() => (Some(report), saved, false),
                    _ => (Some(report), Vec::new(), true),
                },
            };
            let recorder = RunRecorder {
                state: state.clone(),
                id: run_id.clone(),
                project_id: caller.project_id.clone(),
                data_mart_id: id.clone(),
                report_id,
                columns_on_success: None,
                user_id: caller.user_id.clone(),
                started_at,
                definition_run:
                    json!({ "definitionType": definition_type, "definition": definition })
                        .to_string(),
                http_data: json!({ "format": "ndjson", "columns": columns }),
            };
            recorder.start().await?;
            (Some(recorder), false, header_columns)
        }
        Purpose::Check => (None, true, false),
        Purpose::Sql => (None, false, false),
    };
    let validated = match owox_query::validate_blended(&fields, Some(&blend), &query, &resolved) {
        Ok(v) => v,
        Err(e) => {
            let mut error = query_error(e, storage_type);
            // "Disconnected columns" name the data mart they were looked up in.
            if let ApiError::Business {
                error_details: Some(Value::Object(details)),
                ..
            } = &mut error
            {
                if details.contains_key("unknownColumns") {
                    details.insert("dataMartId".into(), json!(id));
                }
            }
            return Err(failed(recorder, error));
        }
    };
    if check_only {
        return Ok(Planned::Checked(validated));
    }
    let source = match definition_ref(&definition_type, &definition) {
        Some(def) => engine.source_sql(def).await,
        None => Err(StorageError::InvalidDefinition(
            "Unsupported definition".into(),
        )),
    };
    let source = match source {
        Ok(s) => s,
        Err(e) => return Err(failed(recorder, read_failure(e, storage_type))),
    };
    let ctx = CompileContext {
        now: started_at,
        time_zone: state.config.time_zone,
    };
    let compiled = match owox_query::compile_blended(
        &validated,
        engine.dialect(),
        Source::Subquery(source.trim_end_matches(';')),
        &blend,
        &ctx,
    ) {
        Ok(c) => c,
        Err(e) => {
            return Err(failed(
                recorder,
                query_error(QueryError::Compile(e), storage_type),
            ))
        }
    };
    let Some(mut recorder) = recorder else {
        return Ok(Planned::Sql(compiled));
    };
    // The executed SQL (values stay bound parameters: nothing user-given is spliced into it).
    recorder.http_data["executionSqlQuery"] = json!(compiled.statement.sql);
    if header_columns {
        recorder.columns_on_success = Some(json!(compiled.columns));
    }
    let mut rows = match engine.query(compiled.statement).await {
        Ok(rows) => rows,
        Err(e) => return Err(recorder.failed(storage_error(e, storage_type))),
    };
    if let Ok(mut running) = state.running.lock() {
        running.insert(run_id.clone(), rows.cancel_handle());
    }
    // The status goes out only after the first batch, so its errors are still proper answers.
    let deadline = state
        .config
        .query_timeout
        .map(|t| Box::pin(tokio::time::sleep(t)));
    // In the driver's own layout, like every later batch: the in-flight totals must see
    // each value as the same kind (a FLOAT read as rows is a widened double, read in place
    // an f32), or they give up and the totals query runs after all.
    let first_batch = futures::future::poll_fn(|cx| rows.poll_next_batch(cx));
    let first = match state.config.query_timeout {
        Some(t) => match tokio::time::timeout(t, first_batch).await {
            Ok(first) => first,
            Err(_) => {
                rows.cancel();
                let message = timeout_message(t);
                return Err(recorder.failed(read_failure(message, storage_type)));
            }
        },
        None => first_batch.await,
    };
    let first = match first {
        Some(Ok(batch)) => Some(batch),
        Some(Err(e)) => return Err(recorder.failed(storage_error(e, storage_type))),
        None => None,
    };
    metrics::gauge!("http_data_active_streams").increment(1.0);
    // DuckDB's totals types are matched exactly by the in-flight accumulator; PostgreSQL's
    // (numeric sums and means) are not, so its totals always come from the query.
    let in_flight = match (&compiled.totals, engine.storage_type()) {
        (Some(t), crate::engines::DUCKDB) => InFlightTotals::new(t, &compiled.columns),
        _ => None,
    };
    let body = NdjsonBody {
        rows,
        in_flight,
        shutting_down: state.shutting_down.clone(),
        deadline,
        timeout: state.config.query_timeout,
        totals: compiled.totals.map(|t| (engine.clone(), t)),
        encoder: Arc::new(RowEncoder::new(&compiled.columns)),
        encoding: std::collections::VecDeque::new(),
        ended: None,
        first,
        recorder: Some(recorder),
        row_count: 0,
        bytes: 0,
        frames: FramePool::new(),
    };
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    headers.insert(
        "x-owox-run-id",
        HeaderValue::from_str(&run_id).map_err(anyhow::Error::from)?,
    );
    Ok(Planned::Response(response))
}

/// The first steps of both streams (§3.1 and §3.2, steps 1–2): 503 while the server shuts
/// down, then the query string as decoded pairs (repeated keys kept, in order).
pub(crate) fn stream_query_pairs(
    state: &AppState,
    raw: Option<&str>,
) -> Result<Vec<(String, String)>, ApiError> {
    if state.is_shutting_down() {
        return Err(ApiError::Http {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: "Server is shutting down".into(),
            details: None,
        });
    }
    serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|e| ApiError::bad_request(format!("Malformed query string: {e}")))
}

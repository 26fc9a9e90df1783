//! `/api/reports`: saved reports (domain.md §1.6): create, list (whole or paged), get, list by
//! data mart, update with optimistic locking, delete (output schema, generated SQL and run are
//! in `report_outputs`). A report's rules are checked at save time with the same resolution and
//! validation its stream runs ([`plan`] with [`Purpose::Check`]), so a report that could not
//! run is refused with the stream's messages.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use owox_contract::resources::Report;
use owox_query::ValidatedQuery;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Auth, Caller, Viewer};
use crate::error::ApiError;
use crate::http::body::JsonObject;
use crate::http::data_marts::{load, Loaded};
use crate::http::http_data::{plan, Planned, Purpose};
use crate::http::report_access::{
    check_mutate, check_owners, detail, load_report, not_found, usable_destination, with_row,
};
use crate::http::report_config::{check_unique_count, parse_body, ReportInput};
use crate::http::report_destination::check_destination_config;
use crate::state::AppState;
use crate::store::{OwnerPresence, ReportUpdate, Viewer as ListViewer};

/// The namespace of Looker Studio report ids (UUID v5 of `"<dataMartId>:<dataDestinationId>"`).
const LOOKER_REPORT_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x550e8400_e29b_41d4_a716_446655440000);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_reports, create_report))
        .routes(routes!(get_report, update_report, delete_report))
        .routes(routes!(list_data_mart_reports))
}

/// The id of the one Looker Studio report of a data mart and a destination.
pub fn looker_report_id(data_mart_id: &str, destination_id: &str) -> String {
    uuid::Uuid::new_v5(
        &LOOKER_REPORT_NAMESPACE,
        format!("{data_mart_id}:{destination_id}").as_bytes(),
    )
    .to_string()
}

fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// A report answer with its version as `ETag` (the `If-Match` of a later update).
async fn answer(
    state: &AppState,
    caller: &Caller,
    id: &str,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let report = load_report(state, caller, id, not_found).await?;
    let body = detail(state, &report).await?;
    Ok((
        status,
        [(header::ETAG, etag(report.row.version))],
        Json(body),
    )
        .into_response())
}

/// Resolution and output-controls validation of a report's plan, as its stream runs them.
async fn check_plan(
    state: &AppState,
    caller: &Caller,
    data_mart: &Loaded,
    input: &ReportInput,
) -> Result<ValidatedQuery, ApiError> {
    check_unique_count(input.unique_count_config.as_ref())?;
    match plan(state, caller, data_mart, input.query()?, Purpose::Check).await? {
        Planned::Checked(validated) => Ok(validated),
        _ => Err(anyhow::anyhow!("a check plan ended without its validation").into()),
    }
}

/// List the reports of the project
#[utoipa::path(
    get,
    path = "/api/reports",
    operation_id = "ProjectReportsController_list",
    tag = "Reports",
    params(
        ("ownerFilter" = Option<String>, Query, description = "has_owners or no_owners"),
        ("limit" = Option<f64>, Query, description = "Page size (1–100, default 100); without limit and offset the whole list is returned"),
        ("offset" = Option<f64>, Query, description = "Reports to skip (at most 100,000)"),
    ),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses(
        (status = 200, description = "Newest first", body = Vec<Report>),
        (status = 400, description = "Invalid ownerFilter"),
    )
)]
async fn list_reports(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Json<Vec<Report>>, ApiError> {
    let mut owners = OwnerPresence::Any;
    for (key, value) in &query {
        if key == "ownerFilter" {
            owners = match value.as_str() {
                "has_owners" => OwnerPresence::HasOwners,
                "no_owners" => OwnerPresence::NoOwners,
                _ => {
                    return Err(ApiError::bad_request(
                        "Validation failed (enum string is expected)",
                    ))
                }
            };
        }
    }
    let paged = query.iter().any(|(k, _)| k == "limit" || k == "offset");
    let page = paged.then(|| crate::http::runs::paging(&query, 100, 100));
    let viewer = ListViewer {
        role: caller.role,
        user_id: &caller.user_id,
    };
    let rows = state
        .store
        .list_reports(&caller.project_id, viewer, owners, page)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(report) = with_row(&state, &caller, row).await? {
            out.push(detail(&state, &report).await?);
        }
    }
    Ok(Json(out))
}

/// Create a report
#[utoipa::path(
    post,
    path = "/api/reports",
    operation_id = "ReportController_create",
    tag = "Reports",
    request_body(content = Object, description = "`{title, dataMartId, dataDestinationId, destinationConfig, ownerIds?, columnConfig?, filterConfig? (≤50), sortConfig? (≤10), limitConfig? (1–10,000,000), aggregationConfig? (≤50), dateTruncConfig? (≤50), uniqueCountConfig?}`. destinationConfig by destination type: GOOGLE_SHEETS `{type: \"google-sheets-config\", spreadsheetId, sheetId}`, LOOKER_STUDIO `{type: \"looker-studio-config\", cacheLifetime (≥60)}`, EMAIL/SLACK/MS_TEAMS/GOOGLE_CHAT `{type: \"email-config\", subject, reportCondition, templateSource: {type: \"CUSTOM_MESSAGE\", config: {messageTemplate}}}`. A LOOKER_STUDIO report's id is derived from its data mart and destination (one per pair) and its title is empty."),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses(
        (status = 201, description = "The report; its version is in `ETag`", body = Report),
        (status = 400, description = "Invalid body, configuration or output controls; data mart not published"),
        (status = 403, description = "No use of the data mart or the destination"),
        (status = 404, description = "Unknown data mart or destination"),
        (status = 409, description = "A Looker Studio report for this data mart and destination exists"),
    )
)]
async fn create_report(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let input = parse_body(body, true)?;
    let data_mart = load(&state, &caller, &input.data_mart_id).await?;
    if data_mart.row.status != "PUBLISHED" {
        return Err(ApiError::business(format!(
            "Cannot create report for data mart with status {}. Data mart must be in PUBLISHED status.",
            data_mart.row.status
        )));
    }
    if !data_mart.actions.use_ {
        return Err(ApiError::forbidden(
            "You do not have access to the DataMart for this report",
        ));
    }
    let destination = usable_destination(&state, &caller, &input.data_destination_id).await?;
    let destination_config = check_destination_config(
        &destination.destination_type,
        destination.public_credentials.is_some(),
        &input.destination_config,
    )?;
    if let Some(owners) = &input.owner_ids {
        check_owners(&state, &caller, owners, &data_mart, &destination).await?;
    }
    check_plan(&state, &caller, &data_mart, &input).await?;
    let looker = destination.destination_type == "LOOKER_STUDIO";
    let id = if looker {
        looker_report_id(&data_mart.row.id, &destination.id)
    } else {
        uuid::Uuid::new_v4().to_string()
    };
    let input = ReportInput {
        destination_config,
        ..input
    };
    let title = if looker { "" } else { input.title.as_str() };
    let texts = input.texts();
    let inserted = state
        .store
        .insert_report(
            &id,
            &caller.project_id,
            &data_mart.row.id,
            &texts.write(title, &destination.id, input.limit_config),
            &caller.user_id,
            input.owner_ids.as_deref(),
        )
        .await?;
    if !inserted {
        return Err(ApiError::Http {
            status: StatusCode::CONFLICT,
            message: format!(
                "A Looker Studio report for Data Mart {} and Data Destination {} already exists: {id}. Update it instead.",
                data_mart.row.id, destination.id
            ),
            details: None,
        });
    }
    answer(&state, &caller, &id, StatusCode::CREATED).await
}

/// Get a report
#[utoipa::path(
    get,
    path = "/api/reports/{id}",
    operation_id = "ReportController_get",
    tag = "Reports",
    params(("id" = String, Path, description = "Report ID")),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses(
        (status = 200, description = "The report; its version is in `ETag`", body = Report),
        (status = 404, description = "Not found"),
    )
)]
async fn get_report(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    answer(&state, &caller, &id, StatusCode::OK).await
}

/// Update a report
#[utoipa::path(
    put,
    path = "/api/reports/{id}",
    operation_id = "ReportController_update",
    tag = "Reports",
    params(
        ("id" = String, Path, description = "Report ID"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` of the version the change is based on (`\"3\"`); a report changed since answers 412"),
    ),
    request_body(content = Object, description = "As the create body, without `dataMartId`. `ownerIds`, when given, replaces the owners."),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses(
        (status = 200, description = "The report; its new version is in `ETag`", body = Report),
        (status = 400, description = "Invalid body, configuration or output controls"),
        (status = 403, description = "Not allowed to change this report or to use the destination"),
        (status = 404, description = "Not found"),
        (status = 409, description = "Changed by a concurrent request while this one was applied"),
        (status = 412, description = "Changed since the version in If-Match"),
    )
)]
async fn update_report(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let input = parse_body(body, false)?;
    let report = load_report(&state, &caller, &id, not_found).await?;
    check_mutate(&report)?;
    let version = report.row.version;
    let expected = headers
        .get(header::IF_MATCH)
        .map(|v| v.to_str().unwrap_or("").to_string());
    let stale = |precondition: bool| ApiError::Http {
        status: if precondition {
            StatusCode::PRECONDITION_FAILED
        } else {
            StatusCode::CONFLICT
        },
        message: if precondition {
            format!("Report {id} has changed: it is at version {version} (ETag \"{version}\"); reload it and retry")
        } else {
            format!("Report {id} was changed by another request while this update was applied; reload it and retry")
        },
        details: None,
    };
    if let Some(expected) = &expected {
        let wanted = format!("\"{version}\"");
        if !expected
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag == wanted)
        {
            return Err(stale(true));
        }
    }
    let destination = if input.data_destination_id == report.destination.id {
        report.destination.clone()
    } else {
        let next = usable_destination(&state, &caller, &input.data_destination_id).await?;
        if next.destination_type == "LOOKER_STUDIO"
            || report.destination.destination_type == "LOOKER_STUDIO"
        {
            return Err(ApiError::business(
                "A report cannot move to or from a Looker Studio destination: a Looker Studio report's id is derived from its data mart and destination. Create a report for the new destination instead.",
            ));
        }
        next
    };
    let destination_config = check_destination_config(
        &destination.destination_type,
        destination.public_credentials.is_some(),
        &input.destination_config,
    )?;
    if let Some(owners) = &input.owner_ids {
        check_owners(&state, &caller, owners, &report.data_mart, &destination).await?;
    }
    check_plan(&state, &caller, &report.data_mart, &input).await?;
    let input = ReportInput {
        destination_config,
        ..input
    };
    let looker = destination.destination_type == "LOOKER_STUDIO";
    let title = if looker { "" } else { input.title.as_str() };
    let texts = input.texts();
    let outcome = state
        .store
        .update_report(
            &caller.project_id,
            &id,
            version,
            &texts.write(title, &destination.id, input.limit_config),
            input.owner_ids.as_deref(),
        )
        .await?;
    if outcome == ReportUpdate::Stale {
        return Err(stale(expected.is_some()));
    }
    answer(&state, &caller, &id, StatusCode::OK).await
}

/// Delete a report
#[utoipa::path(
    delete,
    path = "/api/reports/{id}",
    operation_id = "ReportController_delete",
    tag = "Reports",
    params(("id" = String, Path, description = "Report ID")),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses(
        (status = 200, description = "Deleted (empty body); its run history stays"),
        (status = 403, description = "Not allowed to change this report"),
        (status = 404, description = "Not found"),
    )
)]
async fn delete_report(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let report = load_report(&state, &caller, &id, not_found).await?;
    check_mutate(&report)?;
    state.store.delete_report(&caller.project_id, &id).await?;
    Ok(StatusCode::OK)
}

/// List the reports of a data mart
#[utoipa::path(
    get,
    path = "/api/reports/data-mart/{dataMartId}",
    operation_id = "ReportController_listByDataMart",
    tag = "Reports",
    params(("dataMartId" = String, Path, description = "Data mart ID")),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses(
        (status = 200, description = "Newest first", body = Vec<Report>),
        (status = 404, description = "Unknown data mart"),
    )
)]
async fn list_data_mart_reports(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path(data_mart_id): Path<String>,
) -> Result<Json<Vec<Report>>, ApiError> {
    load(&state, &caller, &data_mart_id).await?;
    let rows = state
        .store
        .list_reports_of_data_mart(&caller.project_id, &data_mart_id)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(report) = with_row(&state, &caller, row).await? {
            out.push(detail(&state, &report).await?);
        }
    }
    Ok(Json(out))
}

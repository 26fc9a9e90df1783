//! A report with everything its answers and checks need: its data mart (with the caller's
//! rights on it), its destination (likewise), its owners and what the caller may do with it
//! ([`report_actions`]); and the report object every report endpoint answers.

use axum::http::StatusCode;
use owox_contract::resources::Report;

use crate::access::{
    data_mart_actions, destination_actions, report_actions, Actions, ReportActions,
};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::data_marts::{full, load, Loaded};
use crate::http::destinations;
use crate::http::users::{projection, projections};
use crate::state::AppState;
use crate::store::{json_column, DestinationRow, ReportRow};

/// Destination types whose data is pulled by the destination itself: nothing to run.
const PULL_BASED: [&str; 2] = ["LOOKER_STUDIO", "EXCEL"];

pub struct LoadedReport {
    pub row: ReportRow,
    pub data_mart: Loaded,
    pub destination: DestinationRow,
    pub owners: Vec<String>,
    /// Whether the caller is one of the owners.
    pub is_owner: bool,
    pub actions: ReportActions,
}

/// The reference's 404 of the report endpoints (`GET`, `PUT`, `DELETE`, …).
pub fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Report with ID {id} not found"))
}

fn forbidden(message: &str) -> ApiError {
    ApiError::forbidden(message)
}

/// A report the caller can see (they can see its data mart), or `missing(id)`: absent, in
/// another project, deleted, on a deleted data mart, or on a data mart they cannot see.
pub async fn load_report(
    state: &AppState,
    caller: &Caller,
    id: &str,
    missing: fn(&str) -> ApiError,
) -> Result<LoadedReport, ApiError> {
    let row = state
        .store
        .get_report(&caller.project_id, id)
        .await?
        .ok_or_else(|| missing(id))?;
    with_row(state, caller, row)
        .await?
        .ok_or_else(|| missing(id))
}

/// Completes a report row; `None` when the caller cannot see it.
pub async fn with_row(
    state: &AppState,
    caller: &Caller,
    row: ReportRow,
) -> Result<Option<LoadedReport>, ApiError> {
    let data_mart = match load(state, caller, &row.data_mart_id).await {
        Ok(loaded) => loaded,
        Err(ApiError::Http { status, .. }) if status == StatusCode::NOT_FOUND => return Ok(None),
        Err(e) => return Err(e),
    };
    let destination = state
        .store
        .get_destination(&caller.project_id, &row.data_destination_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("report {} has no live destination", row.id))?;
    let owners = state.store.report_owners(&row.id).await?;
    let on_destination = destination_rights(state, caller, &destination).await?;
    let is_owner = owners.contains(&caller.user_id);
    let actions = report_actions(data_mart.actions, on_destination, is_owner);
    Ok(Some(LoadedReport {
        row,
        data_mart,
        destination,
        owners,
        is_owner,
        actions,
    }))
}

/// What the caller may do with a destination.
pub async fn destination_rights(
    state: &AppState,
    caller: &Caller,
    destination: &DestinationRow,
) -> Result<Actions, ApiError> {
    let owners = state.store.destination_owners(&destination.id).await?;
    Ok(destination_actions(
        caller.role,
        owners.contains(&caller.user_id),
        destination.available_for_use,
        destination.available_for_maintenance,
    ))
}

/// A destination a report may send to: visible (else 404) and usable by the caller (else 403).
pub async fn usable_destination(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<DestinationRow, ApiError> {
    let not_found = || ApiError::not_found(format!("Data Destination with id {id} not found"));
    let destination = state
        .store
        .get_destination(&caller.project_id, id)
        .await?
        .ok_or_else(not_found)?;
    let rights = destination_rights(state, caller, &destination).await?;
    if !rights.see {
        return Err(not_found());
    }
    if !rights.use_ {
        return Err(forbidden(
            "You do not have access to the Destination for this report",
        ));
    }
    Ok(destination)
}

/// Editing and deleting: allowed with edit rights on the data mart, or to an owner who may use
/// the destination; otherwise the reference's 403s.
pub fn check_mutate(report: &LoadedReport) -> Result<(), ApiError> {
    if report.actions.mutate {
        return Ok(());
    }
    Err(forbidden(if report.is_owner {
        "The destination for this report is not accessible to you. Ask a Technical User to share the destination or replace it."
    } else {
        "You are not an owner of this report. Only report owners can modify it."
    }))
}

/// Checks that every proposed owner is a project member who can see the data mart and use
/// the destination (the reference's `canBeOwner`).
pub async fn check_owners(
    state: &AppState,
    caller: &Caller,
    owners: &[String],
    data_mart: &Loaded,
    destination: &DestinationRow,
) -> Result<(), ApiError> {
    if owners.is_empty() {
        return Ok(());
    }
    let members = state.store.list_members(&caller.project_id).await?;
    let mart_owners = state.store.data_mart_owners(&data_mart.row.id).await?;
    let destination_owners = state.store.destination_owners(&destination.id).await?;
    for owner in owners {
        let allowed = members
            .iter()
            .find(|m| &m.user_id == owner)
            .is_some_and(|m| {
                let owns = |kind: &str| mart_owners.iter().any(|(u, k)| u == owner && k == kind);
                let on_mart = data_mart_actions(
                    m.role(),
                    owns("technical"),
                    owns("business"),
                    data_mart.row.available_for_reporting,
                    data_mart.row.available_for_maintenance,
                );
                let on_destination = destination_actions(
                    m.role(),
                    destination_owners.contains(owner),
                    destination.available_for_use,
                    destination.available_for_maintenance,
                );
                on_mart.see && on_destination.use_
            });
        if !allowed {
            return Err(ApiError::bad_request(format!(
                "User {owner} cannot be added as report owner — not a valid project member or lacks required access."
            )));
        }
    }
    Ok(())
}

/// The report object (`ReportResponseApiDto`).
pub async fn detail(state: &AppState, report: &LoadedReport) -> Result<Report, ApiError> {
    let row = &report.row;
    let rules =
        |text: &Option<String>| json_column(text.as_deref()).and_then(|v| v.as_array().cloned());
    let pull_based = PULL_BASED.contains(&report.destination.destination_type.as_str());
    Ok(Report {
        id: row.id.clone(),
        title: row.title.clone(),
        data_mart: full(state, &report.data_mart.row, &report.data_mart.storage).await?,
        data_destination_access: destinations::detail(state, &report.destination).await?,
        destination_config: json_column(Some(&row.destination_config)).unwrap_or_default(),
        column_config: crate::http::report_config::saved_columns(row),
        filter_config: rules(&row.filter_config),
        sort_config: rules(&row.sort_config),
        limit_config: row.limit_config.and_then(|n| u64::try_from(n).ok()),
        aggregation_config: rules(&row.aggregation_config),
        date_trunc_config: rules(&row.date_trunc_config),
        unique_count_config: json_column(row.unique_count_config.as_deref()),
        last_run_at: row.last_run_at,
        last_run_status: row.last_run_status.clone(),
        last_run_error: row.last_run_error.clone(),
        runs_count: u64::try_from(row.runs_count).unwrap_or(0),
        created_at: row.created_at,
        modified_at: row.modified_at,
        created_by_user: projection(&state.store, &row.project_id, row.created_by_id.as_deref())
            .await?,
        owner_users: projections(&state.store, &row.project_id, &report.owners).await?,
        can_run: report.actions.operate && !pull_based,
        can_manage_triggers: report.actions.operate,
        can_edit_config: report.actions.mutate,
    })
}

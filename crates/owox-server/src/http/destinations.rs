//! `/api/data-destinations`: create, list, get, configure, delete (domain.md §1.5), for every
//! type 0.35.0 has. Credentials are checked per type, sealed at rest and shown only in their
//! public shape. A destination that reports use cannot be deleted. Delivering report runs is
//! not in this build (README, Status).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use owox_contract::resources::Destination;
use rand::RngCore as _;
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::{destination_actions, Actions};
use crate::auth::{Auth, Caller, Editor, Viewer};
use crate::error::ApiError;
use crate::http::body::{JsonObject, Validator};
use crate::http::users::{projection, projections};
use crate::state::AppState;
use crate::store::{DestinationRow, DestinationWrite};

/// Every destination type, in the published enum order.
const DESTINATION_TYPES: &[&str] = &[
    "GOOGLE_SHEETS",
    "LOOKER_STUDIO",
    "EXCEL",
    "EMAIL",
    "SLACK",
    "MS_TEAMS",
    "GOOGLE_CHAT",
];

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_destinations, create_destination))
        .routes(routes!(
            get_destination,
            update_destination,
            delete_destination
        ))
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Data Destination with id {id} not found"))
}

fn denied(id: &str) -> ApiError {
    ApiError::forbidden(format!("Access to Data Destination {id} is not allowed"))
}

async fn actions(
    state: &AppState,
    caller: &Caller,
    row: &DestinationRow,
) -> Result<Actions, ApiError> {
    let owners = state.store.destination_owners(&row.id).await?;
    Ok(destination_actions(
        caller.role,
        owners.contains(&caller.user_id),
        row.available_for_use,
        row.available_for_maintenance,
    ))
}

/// A destination the caller can see, or 404.
async fn visible(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(DestinationRow, Actions), ApiError> {
    let row = state
        .store
        .get_destination(&caller.project_id, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let allowed = actions(state, caller, &row).await?;
    if !allowed.see {
        return Err(not_found(id));
    }
    Ok((row, allowed))
}

pub(crate) async fn detail(
    state: &AppState,
    row: &DestinationRow,
) -> Result<Destination, ApiError> {
    let owners = state.store.destination_owners(&row.id).await?;
    let parse = |text: &Option<String>| text.as_deref().and_then(|t| serde_json::from_str(t).ok());
    Ok(Destination {
        id: row.id.clone(),
        title: row.title.clone(),
        destination_type: row.destination_type.as_str().into(),
        project_id: row.project_id.clone(),
        credentials: parse(&row.public_credentials),
        created_at: row.created_at,
        modified_at: row.modified_at,
        credential_id: None,
        created_by_user: projection(&state.store, &row.project_id, row.created_by_id.as_deref())
            .await?,
        owner_users: projections(&state.store, &row.project_id, &owners).await?,
        available_for_use: row.available_for_use,
        available_for_maintenance: row.available_for_maintenance,
        contexts: vec![],
        config: parse(&row.config),
    })
}

/// The reference's answer for credentials of the wrong shape: 400 `Invalid credentials` with
/// one issue per problem.
fn invalid_credentials(issues: Vec<(String, String)>) -> ApiError {
    let errors: Vec<Value> = issues
        .into_iter()
        .map(|(path, message)| json!({ "path": [path], "message": message }))
        .collect();
    ApiError::Business {
        message: "Invalid credentials".into(),
        code: None,
        error_details: Some(json!({ "errors": errors })),
    }
}

/// What the checked credentials of a destination are: the full value (sealed at rest) and
/// the shape responses show.
struct CheckedCredentials {
    full: Value,
    public: Value,
}

fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.contains(char::is_whitespace)
}

/// Checks `credentials` for `destination_type`. `previous` are the stored ones (an update
/// keeps a Looker Studio secret key); `id` and `origin` make the Looker Studio public shape.
fn check_credentials(
    destination_type: &str,
    credentials: Option<&Value>,
    previous: Option<&Value>,
    id: &str,
    origin: &str,
) -> Result<Option<CheckedCredentials>, ApiError> {
    let Some(credentials) = credentials.filter(|c| !c.is_null()) else {
        return Ok(None);
    };
    let object = credentials.as_object().cloned().unwrap_or_default();
    let literal = |expected: &str| -> Option<(String, String)> {
        (object.get("type").and_then(Value::as_str) != Some(expected)).then(|| {
            (
                "type".to_string(),
                format!("Invalid literal value, expected \"{expected}\""),
            )
        })
    };
    match destination_type {
        "GOOGLE_SHEETS" => {
            let mut issues: Vec<(String, String)> =
                literal("google-sheets-credentials").into_iter().collect();
            let key = object.get("serviceAccountKey");
            let mut public = json!({ "type": "google-sheets-credentials" });
            if let Some(key) = key.filter(|k| !k.is_null()) {
                let field = |name: &str| key.get(name).and_then(Value::as_str);
                if field("type") != Some("service_account") {
                    issues.push((
                        "serviceAccountKey".into(),
                        "serviceAccountKey.type must be \"service_account\"".into(),
                    ));
                }
                for name in ["project_id", "private_key", "client_email"] {
                    if field(name).is_none_or(str::is_empty) {
                        issues.push((
                            "serviceAccountKey".into(),
                            format!("serviceAccountKey.{name} is required"),
                        ));
                    }
                }
                public["serviceAccountKey"] = json!({
                    "type": field("type"),
                    "project_id": field("project_id"),
                    "client_email": field("client_email"),
                    "client_id": field("client_id"),
                });
            }
            if !issues.is_empty() {
                return Err(invalid_credentials(issues));
            }
            Ok(Some(CheckedCredentials {
                full: Value::Object(object),
                public,
            }))
        }
        "LOOKER_STUDIO" => {
            if let Some(issue) = literal("looker-studio-credentials") {
                return Err(invalid_credentials(vec![issue]));
            }
            // The connector's shared secret: generated once, kept across updates.
            let secret = previous
                .and_then(|p| p.get("destinationSecretKey"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| {
                    let mut bytes = [0u8; 32];
                    rand::rngs::OsRng.fill_bytes(&mut bytes);
                    bytes.iter().map(|b| format!("{b:02x}")).collect()
                });
            let deployment_url = match origin.strip_prefix("http://") {
                Some(rest) => format!("https://{rest}"),
                None => origin.to_string(),
            };
            let full = json!({
                "type": "looker-studio-credentials",
                "destinationSecretKey": secret,
                "destinationId": id,
                "deploymentUrl": deployment_url,
            });
            Ok(Some(CheckedCredentials {
                public: full.clone(),
                full,
            }))
        }
        "EXCEL" => Ok(None),
        _ => {
            let mut issues: Vec<(String, String)> =
                literal("email-credentials").into_iter().collect();
            match object.get("to").and_then(Value::as_array) {
                None => issues.push(("to".into(), "Expected array, received undefined".into())),
                Some(to) if to.is_empty() => issues.push((
                    "to".into(),
                    "Array must contain at least 1 element(s)".into(),
                )),
                Some(to) => {
                    for address in to {
                        if !address.as_str().is_some_and(is_email) {
                            issues.push(("to".into(), format!("Invalid email: {address}")));
                        }
                    }
                }
            }
            if !issues.is_empty() {
                return Err(invalid_credentials(issues));
            }
            let full = json!({ "type": "email-credentials", "to": object["to"] });
            Ok(Some(CheckedCredentials {
                public: full.clone(),
                full,
            }))
        }
    }
}

/// `config`: `{folderUrl?}` (Google Drive folder for new sheets) or null.
fn check_config(config: Option<&Value>) -> Result<Option<String>, ApiError> {
    match config {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map))
            if map.keys().all(|k| k == "folderUrl" || k == "folderId")
                && map.values().all(|v| v.is_string() || v.is_null()) =>
        {
            Ok(Some(Value::Object(map.clone()).to_string()))
        }
        Some(_) => Err(ApiError::business(
            "Invalid config: expected {\"folderUrl\"?: string} or null",
        )),
    }
}

/// Seals checked credentials for destination `id`: `(sealed, public)` texts.
fn seal(
    state: &AppState,
    id: &str,
    checked: Option<CheckedCredentials>,
) -> Result<(Option<String>, Option<String>), ApiError> {
    let Some(checked) = checked else {
        return Ok((None, None));
    };
    Ok((
        Some(state.engines.secrets().seal_json(&checked.full, id)?),
        Some(checked.public.to_string()),
    ))
}

/// List data destinations
#[utoipa::path(
    get,
    path = "/api/data-destinations",
    operation_id = "DataDestinationController_findAll",
    tag = "DataDestinations",
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses((status = 200, description = "", body = Vec<Destination>))
)]
async fn list_destinations(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
) -> Result<Json<Vec<Destination>>, ApiError> {
    let mut out = Vec::new();
    for row in state.store.list_destinations(&caller.project_id).await? {
        if actions(&state, &caller, &row).await?.see {
            out.push(detail(&state, &row).await?);
        }
    }
    Ok(Json(out))
}

/// Create a data destination
#[utoipa::path(
    post,
    path = "/api/data-destinations",
    operation_id = "DataDestinationController_create",
    tag = "DataDestinations",
    request_body(content = Object, description = "`{title, type, credentials?, config?, ownerIds?}`; credentials by type: GOOGLE_SHEETS `{type: \"google-sheets-credentials\", serviceAccountKey?}`, LOOKER_STUDIO `{type: \"looker-studio-credentials\"}` (the secret key is generated), EXCEL none, EMAIL/SLACK/MS_TEAMS/GOOGLE_CHAT `{type: \"email-credentials\", to: [email, …]}`"),
    security(("X-OWOX-Authorization" = ["editor"])),
    responses(
        (status = 201, description = "", body = Destination),
        (status = 400, description = "Invalid body or credentials"),
    )
)]
async fn create_destination(
    State(state): State<AppState>,
    caller: Auth<Editor>,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Destination>), ApiError> {
    let destination_type = body.get("type").and_then(Value::as_str).map(str::to_string);
    let mut v = Validator::new(
        body,
        &[
            "title",
            "type",
            "credentials",
            "config",
            "ownerIds",
            "credentialId",
        ],
    );
    let title = v.required_string("title", Some(255));
    if !destination_type
        .as_deref()
        .is_some_and(|t| DESTINATION_TYPES.contains(&t))
    {
        v.error(format!(
            "type must be one of the following values: {}",
            DESTINATION_TYPES.join(", ")
        ));
    }
    let owners = v.optional_string_array("ownerIds", 100).unwrap_or_default();
    let body: Map<String, Value> = v.finish()?;
    let destination_type = destination_type.unwrap_or_default();
    let id = uuid::Uuid::new_v4().to_string();
    let checked = check_credentials(
        &destination_type,
        body.get("credentials"),
        None,
        &id,
        &state.config.public_origin,
    )?;
    let config = check_config(body.get("config"))?;
    let (sealed, public) = seal(&state, &id, checked)?;
    let title = title.unwrap_or_default();
    state
        .store
        .insert_destination(
            &id,
            &caller.project_id,
            &destination_type,
            &DestinationWrite {
                title: &title,
                config: config.as_deref(),
                sealed_credentials: sealed.as_deref(),
                public_credentials: public.as_deref(),
            },
            &caller.user_id,
            &owners,
        )
        .await?;
    let row = state
        .store
        .get_destination(&caller.project_id, &id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("destination {id} vanished after insert"))?;
    Ok((StatusCode::CREATED, Json(detail(&state, &row).await?)))
}

/// Get a data destination
#[utoipa::path(
    get,
    path = "/api/data-destinations/{id}",
    operation_id = "DataDestinationController_get",
    tag = "DataDestinations",
    params(("id" = String, Path)),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses((status = 200, description = "", body = Destination), (status = 404, description = "Not found"))
)]
async fn get_destination(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path(id): Path<String>,
) -> Result<Json<Destination>, ApiError> {
    let (row, _) = visible(&state, &caller, &id).await?;
    Ok(Json(detail(&state, &row).await?))
}

/// Configure a data destination
#[utoipa::path(
    put,
    path = "/api/data-destinations/{id}",
    operation_id = "DataDestinationController_update",
    tag = "DataDestinations",
    params(("id" = String, Path)),
    request_body(content = Object, description = "`{title, credentials?, config?}`; omitted credentials are kept"),
    security(("X-OWOX-Authorization" = ["editor"])),
    responses(
        (status = 200, description = "", body = Destination),
        (status = 400, description = "Invalid body or credentials"),
        (status = 404, description = "Not found"),
    )
)]
async fn update_destination(
    State(state): State<AppState>,
    caller: Auth<Editor>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<Destination>, ApiError> {
    let (row, allowed) = visible(&state, &caller, &id).await?;
    if !allowed.edit {
        return Err(denied(&id));
    }
    let mut v = Validator::new(body, &["title", "credentials", "config", "credentialId"]);
    let title = v.required_string("title", Some(255));
    let body = v.finish()?;
    let previous: Option<Value> = match row.sealed_credentials.as_deref() {
        Some(sealed) => Some(state.engines.secrets().open_json(sealed, &row.id)?),
        None => None,
    };
    let checked = check_credentials(
        &row.destination_type,
        body.get("credentials"),
        previous.as_ref(),
        &row.id,
        &state.config.public_origin,
    )?;
    let config = check_config(body.get("config"))?;
    let (sealed, public) = seal(&state, &row.id, checked)?;
    let title = title.unwrap_or_default();
    state
        .store
        .update_destination(
            &caller.project_id,
            &id,
            &DestinationWrite {
                title: &title,
                config: config.as_deref(),
                sealed_credentials: sealed.as_deref(),
                public_credentials: public.as_deref(),
            },
        )
        .await?;
    let row = state
        .store
        .get_destination(&caller.project_id, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    Ok(Json(detail(&state, &row).await?))
}

/// Delete a data destination
#[utoipa::path(
    delete,
    path = "/api/data-destinations/{id}",
    operation_id = "DataDestinationController_delete",
    tag = "DataDestinations",
    params(("id" = String, Path)),
    security(("X-OWOX-Authorization" = ["editor"])),
    responses(
        (status = 200, description = "Deleted (empty body)"),
        (status = 400, description = "Reports still use the destination"),
        (status = 404, description = "Not found"),
    )
)]
async fn delete_destination(
    State(state): State<AppState>,
    caller: Auth<Editor>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let (_, allowed) = visible(&state, &caller, &id).await?;
    if !allowed.delete {
        return Err(denied(&id));
    }
    let reports = state
        .store
        .reports_using_destination(&caller.project_id, &id)
        .await?;
    if reports > 0 {
        return Err(ApiError::business(format!(
            "Cannot delete the destination because it is referenced by {reports} existing report(s)."
        )));
    }
    state
        .store
        .delete_destination(&caller.project_id, &id)
        .await?;
    Ok(StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_by_type() {
        let origin = "http://127.0.0.1:3100";
        let email = check_credentials(
            "EMAIL",
            Some(&json!({"type": "email-credentials", "to": ["a@example.com"]})),
            None,
            "d",
            origin,
        )
        .unwrap()
        .unwrap();
        assert_eq!(email.public["to"], json!(["a@example.com"]));
        for bad in [
            json!({}),
            json!({"type": "email-credentials", "to": []}),
            json!({"type": "email-credentials", "to": ["not an email"]}),
        ] {
            assert!(
                check_credentials("SLACK", Some(&bad), None, "d", origin).is_err(),
                "{bad}"
            );
        }
        let looker = check_credentials(
            "LOOKER_STUDIO",
            Some(&json!({"type": "looker-studio-credentials"})),
            None,
            "dest-1",
            origin,
        )
        .unwrap()
        .unwrap();
        let secret = looker.public["destinationSecretKey"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(secret.len(), 64);
        assert!(secret
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(looker.public["deploymentUrl"], "https://127.0.0.1:3100");
        assert_eq!(looker.public["destinationId"], "dest-1");
        let kept = check_credentials(
            "LOOKER_STUDIO",
            Some(&json!({"type": "looker-studio-credentials"})),
            Some(&looker.full),
            "dest-1",
            origin,
        )
        .unwrap()
        .unwrap();
        assert_eq!(kept.public["destinationSecretKey"], secret.as_str());
        let sheets = check_credentials(
            "GOOGLE_SHEETS",
            Some(&json!({"type": "google-sheets-credentials", "serviceAccountKey": {
                "type": "service_account", "project_id": "p", "private_key": "-----BEGIN PRIVATE KEY-----x",
                "client_email": "sa@p.iam.gserviceaccount.com", "client_id": "1"
            }})),
            None,
            "d",
            origin,
        )
        .unwrap()
        .unwrap();
        assert!(!sheets.public.to_string().contains("PRIVATE KEY"));
        assert!(sheets.full.to_string().contains("PRIVATE KEY"));
        assert!(
            check_credentials("EXCEL", Some(&json!({"x": 1})), None, "d", origin)
                .unwrap()
                .is_none()
        );
    }
}

//! `POST /api/auth/api-keys/exchange` and `GET /api/auth/context` (auth.md §8, §10).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::Extension;
use axum::Json;
use owox_contract::auth::{ExchangeRequest, ExchangeResponse};
use owox_contract::resources::AuthContextResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::keys::StoredHash;
use crate::auth::{Auth, Viewer};
use crate::error::ApiError;
use crate::http::body::{JsonObject, Validator};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(exchange))
        .routes(routes!(get_context))
}

fn unauthorized() -> ApiError {
    ApiError::unauthorized("Unauthorized")
}

/// The client address for rate limiting: the socket's, or the last value of the configured
/// trusted-proxy header (the one our proxy appended).
fn client_address(headers: &HeaderMap, socket: Option<SocketAddr>, state: &AppState) -> String {
    if let Some(name) = &state.config.trusted_proxy_header {
        if let Some(v) = headers.get(name.as_str()).and_then(|v| v.to_str().ok()) {
            if let Some(last) = v.rsplit(',').map(str::trim).find(|s| !s.is_empty()) {
                return last.to_string();
            }
        }
    }
    socket.map_or_else(|| "unknown".into(), |s| s.ip().to_string())
}

/// Exchange a project member API key for an ODM access token
#[utoipa::path(
    post,
    path = "/api/auth/api-keys/exchange",
    operation_id = "ApiKeyExchangeController_exchange",
    tag = "Project Member API Keys",
    params(("X-OWOX-Api-Key-Id" = String, Header)),
    request_body = ExchangeRequest,
    responses(
        (status = 200, description = "", body = ExchangeResponse),
        (status = 400, description = "Request validation failed"),
        (status = 401, description = "Unauthorized"),
        (status = 429, description = "Too many failed exchanges for this key id or client address; retry after the number of seconds in Retry-After"),
    )
)]
async fn exchange(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Json<ExchangeResponse>, ApiError> {
    let mut v = Validator::new(body, &["apiKeySecret"]);
    let secret = v.required_string("apiKeySecret", None);
    v.finish()?;
    let secret = secret.unwrap_or_default();

    let mut ids = headers.get_all("x-owox-api-key-id").iter();
    let key_id = match (ids.next(), ids.next()) {
        (Some(id), None) => id.to_str().unwrap_or_default().to_string(),
        // Missing, or repeated (the reference joins repeats with ", ", which never matches).
        _ => String::new(),
    };
    let client = client_address(&headers, connect.map(|c| c.0 .0), &state);
    if let Err(retry_after_secs) = state.exchange_limiter.check(&key_id, &client) {
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }

    let row = if owox_contract::api_key::is_valid_api_key_id(&key_id) {
        state.store.get_api_key(&key_id).await?
    } else {
        None
    };
    let stored = row.as_ref().map(|r| StoredHash {
        key_hash: r.key_hash.clone(),
        key_hash_salt: r.key_hash_salt.clone(),
        key_hash_params: r.key_hash_params.clone(),
    });
    // Unknown ids are hashed against a dummy, so they take as long as a wrong secret.
    let secret_ok = state.hasher.verify(key_id.clone(), secret, stored).await;
    let row = match row {
        Some(row) if secret_ok && row.is_active(chrono::Utc::now()) => row,
        _ => {
            state.exchange_limiter.record_failure(&key_id, &client);
            tracing::info!(api_key_id = %truncate(&key_id), %client, "API key exchange refused");
            return Err(unauthorized());
        }
    };
    if state
        .store
        .get_member(&row.project_id, &row.user_id)
        .await?
        .is_none()
    {
        return Err(ApiError::forbidden(
            "Project member API key user is not an active project member",
        ));
    }
    let access_token = state
        .tokens
        .issue(&row.project_id, &row.user_id, &row.api_key_id)?;
    state.store.touch_api_key(&row.api_key_id).await?;
    Ok(Json(ExchangeResponse {
        access_token,
        access_token_expires_in: Some(state.tokens.ttl().as_secs()),
    }))
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Get the authentication context of the current caller
#[utoipa::path(
    get,
    path = "/api/auth/context",
    operation_id = "AuthContextController_getContext",
    tag = "Authentication",
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses((status = 200, description = "", body = AuthContextResponse))
)]
async fn get_context(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
) -> Result<Json<AuthContextResponse>, ApiError> {
    let project = state.store.get_project(&caller.project_id).await?;
    Ok(Json(AuthContextResponse {
        user_id: caller.user_id.clone(),
        project_id: caller.project_id.clone(),
        email: Some(caller.email.clone()),
        full_name: Some(
            caller
                .full_name
                .clone()
                .unwrap_or_else(|| caller.email.clone()),
        ),
        avatar: None,
        roles: Some(vec![caller.role.as_str().to_string()]),
        project_title: project.map(|p| p.title),
        auth_flow: Some("api_key".into()),
        api_key_id: Some(caller.api_key_id.clone()),
        ..AuthContextResponse::default()
    }))
}

//! The auth extractor every protected handler takes: `Auth<Viewer>`, `Auth<Editor>` or
//! `Auth<Admin>`. It follows the reference guard's order (auth.md §4) and adds live checks.
//!
//! 1. `x-owox-authorization` (optionally `Bearer `-prefixed) must be a valid token of ours,
//!    else 401 `Authentication failed`;
//! 2. `x-owox-api-key-id` must be one value equal to the token's key id, else 403
//!    `Access denied by api key`;
//! 3. the key must still exist, be unrevoked and unexpired, and its member still be in the
//!    project (read from the store now, not from the token), else 401;
//! 4. the effective role, the lower of the member's current role and the key's cap, must
//!    satisfy the handler's requirement, else 403 `Access denied. Required role: …`.

use std::marker::PhantomData;
use std::ops::Deref;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use owox_contract::auth::Role;

use crate::error::ApiError;
use crate::state::AppState;

/// Who is calling, as established for this request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub project_id: String,
    pub user_id: String,
    pub email: String,
    pub full_name: Option<String>,
    /// The effective role: member role capped by the key's role.
    pub role: Role,
    pub api_key_id: String,
}

/// A role requirement, as a type so that a handler's signature states what it needs.
pub trait RoleRequirement: Send + Sync + 'static {
    const ROLE: Role;
}

pub struct Viewer;
pub struct Editor;
pub struct Admin;

impl RoleRequirement for Viewer {
    const ROLE: Role = Role::Viewer;
}
impl RoleRequirement for Editor {
    const ROLE: Role = Role::Editor;
}
impl RoleRequirement for Admin {
    const ROLE: Role = Role::Admin;
}

/// An authenticated caller whose role satisfies `R`.
pub struct Auth<R: RoleRequirement = Viewer>(pub Caller, PhantomData<R>);

impl<R: RoleRequirement> Deref for Auth<R> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.0
    }
}

const AUTH_HEADER: &str = "x-owox-authorization";
const KEY_ID_HEADER: &str = "x-owox-api-key-id";

fn authentication_failed() -> ApiError {
    ApiError::unauthorized("Authentication failed")
}

/// The token from `x-owox-authorization`: trimmed, with a case-insensitive `Bearer ` prefix
/// removed (the reference accepts a bare token too).
fn raw_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTH_HEADER)?.to_str().ok()?.trim();
    let token = match value.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => value[7..].trim(),
        _ => value,
    };
    (!token.is_empty()).then_some(token)
}

/// The single `x-owox-api-key-id` value; repeated headers never match (the reference sees
/// them joined with `", "`).
fn bound_key_id(parts: &Parts) -> Option<&str> {
    let mut values = parts.headers.get_all(KEY_ID_HEADER).iter();
    let first = values.next()?;
    if values.next().is_some() {
        return None;
    }
    first.to_str().ok()
}

impl<R: RoleRequirement> FromRequestParts<AppState> for Auth<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let claims = raw_token(parts)
            .and_then(|t| state.tokens.verify(t))
            .ok_or_else(authentication_failed)?;
        if bound_key_id(parts) != Some(claims.api_key_id.as_str()) {
            return Err(ApiError::forbidden("Access denied by api key"));
        }
        let key = state
            .store
            .get_api_key(&claims.api_key_id)
            .await?
            .filter(|k| k.is_active(chrono::Utc::now()))
            .filter(|k| k.project_id == claims.project_id && k.user_id == claims.sub)
            .ok_or_else(authentication_failed)?;
        let member = state
            .store
            .get_member(&key.project_id, &key.user_id)
            .await?
            .ok_or_else(authentication_failed)?;
        let role = match key.role_cap() {
            Some(cap) => cap.min(member.role()),
            None => member.role(),
        };
        if !role.satisfies(R::ROLE) {
            return Err(ApiError::forbidden(format!(
                "Access denied. Required role: {}",
                R::ROLE.display_name()
            )));
        }
        Ok(Auth(
            Caller {
                project_id: key.project_id,
                user_id: member.user_id,
                email: member.email,
                full_name: member.full_name,
                role,
                api_key_id: key.api_key_id,
            },
            PhantomData,
        ))
    }
}

//! `auth.getContext()`: `GET /api/auth/context`, checked and rebuilt.

use owox_contract::resources::{AuthContext, AuthContextMember, AuthContextProject};
use serde_json::Value;

use super::shape_error;
use crate::client::OwoxClient;
use crate::error::Result;
use crate::validate::{is_string, optional_string, record, string_array};

const SHAPE: &str = "OWOX auth context API returned an unexpected response shape";

/// The auth resource.
pub struct AuthApi<'a> {
    client: &'a OwoxClient,
}

impl<'a> AuthApi<'a> {
    pub(crate) fn new(client: &'a OwoxClient) -> Self {
        Self { client }
    }

    /// `GET /api/auth/context`. The answer must carry `apiKeyId`, `authFlow == "api_key"`,
    /// `projectId`, `userId`, `roles` (strings) and optional string-or-null `projectTitle`,
    /// `email`, `fullName`, `avatar`; the result is rebuilt as [`AuthContext`].
    pub async fn get_context(&self) -> Result<AuthContext> {
        let body = self.client.get_json("/api/auth/context", &[]).await?;
        match body.as_ref().and_then(parse_context) {
            Some(context) => Ok(context),
            None => Err(shape_error(SHAPE, body)),
        }
    }
}

fn parse_context(body: &Value) -> Option<AuthContext> {
    let o = record(body)?;
    let ok = is_string(o.get("apiKeyId"))
        && o.get("authFlow").and_then(Value::as_str) == Some("api_key")
        && is_string(o.get("projectId"))
        && is_string(o.get("userId"))
        && ["projectTitle", "email", "fullName", "avatar"]
            .iter()
            .all(|k| optional_string(o.get(*k)))
        && string_array(o.get("roles"));
    if !ok {
        return None;
    }
    let text = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
    Some(AuthContext {
        api_key_id: text("apiKeyId")?,
        auth_flow: text("authFlow")?,
        project: AuthContextProject {
            id: text("projectId")?,
            title: text("projectTitle"),
        },
        member: AuthContextMember {
            user_id: text("userId")?,
            email: text("email"),
            full_name: text("fullName"),
            avatar: text("avatar"),
            roles: o["roles"]
                .as_array()?
                .iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect(),
        },
    })
}

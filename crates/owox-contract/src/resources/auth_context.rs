//! `GET /api/auth/context`: the server's answer and the client's rebuilt view of it.

use serde::{Deserialize, Serialize};

/// The wire answer of `GET /api/auth/context` (auth.md §10), keys in the reference's order;
/// unset optional keys are omitted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuthContextResponse {
    pub user_id: String,
    pub project_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_flow: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_only: Option<bool>,
}

/// What the API client returns from `auth.getContext()`: a rebuilt object
/// `{apiKeyId, authFlow, project: {id, title}, member: {userId, email, fullName, avatar, roles}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthContext {
    pub api_key_id: String,
    pub auth_flow: String,
    pub project: AuthContextProject,
    pub member: AuthContextMember,
}

/// `project` of [`AuthContext`]; `title` is `null` when the server sent none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthContextProject {
    pub id: String,
    pub title: Option<String>,
}

/// `member` of [`AuthContext`], absent values as `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthContextMember {
    pub user_id: String,
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub avatar: Option<String>,
    pub roles: Vec<String>,
}

//! Authentication wire types: roles and the API-key exchange (auth.md §3, §8). The auth
//! context answer is in [`crate::resources::AuthContextResponse`].

use serde::{Deserialize, Serialize};

/// A member's role in a project. Ordered: `Viewer < Editor < Admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Editor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Editor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// The name the reference shows in 403 messages and in OpenAPI.
    pub fn display_name(self) -> &'static str {
        match self {
            Role::Viewer => "Business User",
            Role::Editor => "Technical User",
            Role::Admin => "Project Admin",
        }
    }

    /// Whether a member with this role may do what `required` allows.
    pub fn satisfies(self, required: Role) -> bool {
        self >= required
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "editor" => Ok(Role::Editor),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role {other:?}: expected viewer, editor or admin"
            )),
        }
    }
}

/// Body of `POST /api/auth/api-keys/exchange`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExchangeRequest {
    #[cfg_attr(
        feature = "openapi",
        schema(example = "vjqmM5GfJ6QklV8mFqM5Ior2hK6vK4mY8pE9T7aZr6Q")
    )]
    pub api_key_secret: String,
}

/// Answer of a successful exchange.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExchangeResponse {
    #[cfg_attr(feature = "openapi", schema(example = "regular-odm-access-token"))]
    pub access_token: String,
    /// Seconds until the token expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = 900))]
    pub access_token_expires_in: Option<u64>,
}

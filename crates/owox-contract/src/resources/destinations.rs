//! Data destinations (`GET /api/data-destinations`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{timestamp, ContextRef, UserProjection};

open_enum! {
    /// Destination `type`, in the published enum order.
    DestinationType {
        GoogleSheets => "GOOGLE_SHEETS",
        LookerStudio => "LOOKER_STUDIO",
        Excel => "EXCEL",
        Email => "EMAIL",
        Slack => "SLACK",
        MsTeams => "MS_TEAMS",
        GoogleChat => "GOOGLE_CHAT",
    }
}

/// A destination as listed and returned by mutations, in the reference's key order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    pub id: String,
    pub title: String,
    #[serde(rename = "type")]
    pub destination_type: DestinationType,
    pub project_id: String,
    /// Public credentials shape (secrets masked); depends on the type.
    #[serde(default)]
    pub credentials: Option<Value>,
    #[serde(with = "timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "timestamp")]
    pub modified_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_user: Option<UserProjection>,
    pub owner_users: Vec<UserProjection>,
    pub available_for_use: bool,
    pub available_for_maintenance: bool,
    pub contexts: Vec<ContextRef>,
    /// `{folderUrl?, folderId?}` or `null`.
    #[serde(default)]
    pub config: Option<Value>,
}

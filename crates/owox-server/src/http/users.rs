//! User projections (`createdByUser`, owners) from the project's members.

use owox_contract::resources::UserProjection;

use crate::error::ApiError;
use crate::store::Store;

/// Projections for `user_ids` in the project, in the given order. A user who is no longer a
/// member still appears, with only the id.
pub async fn projections(
    store: &Store,
    project_id: &str,
    user_ids: &[String],
) -> Result<Vec<UserProjection>, ApiError> {
    let members = store.list_members(project_id).await?;
    Ok(user_ids
        .iter()
        .map(|id| {
            let member = members.iter().find(|m| &m.user_id == id);
            UserProjection {
                user_id: id.clone(),
                full_name: member.map(|m| m.full_name.clone().unwrap_or_else(|| m.email.clone())),
                email: member.map(|m| m.email.clone()),
                avatar: None,
            }
        })
        .collect())
}

pub async fn projection(
    store: &Store,
    project_id: &str,
    user_id: Option<&str>,
) -> Result<Option<UserProjection>, ApiError> {
    match user_id {
        Some(id) => Ok(projections(store, project_id, &[id.to_string()])
            .await?
            .pop()),
        None => Ok(None),
    }
}

//! `/api/data-destinations`: the list. Destinations themselves (create, configure, deliver)
//! are not in this build, so a project has none; see the README's Status.

use axum::Json;
use owox_contract::resources::Destination;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Auth, Viewer};
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_destinations))
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
async fn list_destinations(_caller: Auth<Viewer>) -> Result<Json<Vec<Destination>>, ApiError> {
    Ok(Json(Vec::new()))
}

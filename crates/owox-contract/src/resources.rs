//! Response types of the data-mart, storage, destination, report, run and auth-context
//! endpoints, as the server writes them and the clients read them.
//!
//! Field order is wire order (the reference writes keys in a fixed order and clients may compare
//! bodies as ordered JSON). Enum-like fields are *open*: a value this build does not know
//! deserializes into an `Unknown(String)` variant and serializes back unchanged, so a newer
//! server never breaks an older client. Servers still validate their inputs strictly; openness
//! is only about reading.

#[macro_use]
mod open_enum;

pub mod auth_context;
pub mod common;
pub mod data_marts;
pub mod destinations;
pub mod relationships;
pub mod reports;
pub mod runs;
pub mod storages;

pub use auth_context::{AuthContext, AuthContextMember, AuthContextProject, AuthContextResponse};
pub use common::{ContextRef, UserProjection};
pub use data_marts::{
    DataMart, DataMartDefinitionType, DataMartListItem, DataMartListPage, DataMartStatus,
    DataMartStorageRef, OwnerFilter,
};
pub use destinations::{Destination, DestinationType};
pub use relationships::{
    AvailableSource, BlendableSchema, BlendedField, CalculatedFieldIssue, Relationship,
    RelationshipDataMart, RelationshipGraph, RelationshipGraphNode, RelationshipJoinCondition,
    UniqueCountAvailability,
};
pub use reports::{Report, ReportGeneratedSql, ReportOutputField};
pub use runs::{
    DataMartRef, DataMartRun, DataMartRunDetail, DataMartRunList, ProjectRunHistoryItem,
    ProjectRunHistoryPage, RunStatus, RunTrigger, RunType,
};
pub use storages::{StorageDetail, StorageListItem, StorageType};

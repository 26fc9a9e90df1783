//! `reports.traverseData(reportId, {limit?})`: the report row stream.

use crate::client::OwoxClient;
use crate::error::Result;
use crate::path::encode_component;
use crate::traversal::{NdjsonTraversal, StreamKind};

/// The reports resource.
pub struct ReportsApi<'a> {
    client: &'a OwoxClient,
}

impl<'a> ReportsApi<'a> {
    pub(crate) fn new(client: &'a OwoxClient) -> Self {
        Self { client }
    }

    /// Opens `GET /api/external/http-data/reports/<id>.ndjson[?limit=n]`. Like the reference,
    /// no content-type check is made on this stream.
    pub async fn traverse_data(
        &self,
        report_id: &str,
        limit: Option<u64>,
    ) -> Result<NdjsonTraversal> {
        let query: Vec<(String, String)> = limit
            .map(|n| ("limit".to_owned(), n.to_string()))
            .into_iter()
            .collect();
        let path = format!(
            "/api/external/http-data/reports/{}.ndjson",
            encode_component(report_id)
        );
        NdjsonTraversal::open(self.client, StreamKind::Report, report_id, &path, &query).await
    }
}

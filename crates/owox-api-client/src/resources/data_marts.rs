//! `dataMarts`: the list (one page, all pages, a stream over pages) and the row stream.

use std::collections::HashSet;

use futures::stream::{self, Stream, TryStreamExt};
use owox_contract::resources::{DataMartListItem, DataMartListPage, OwnerFilter};
use serde_json::{json, Map, Value};

use super::{shape_error, typed};
use crate::client::OwoxClient;
use crate::error::{Error, Result};
use crate::path::encode_component;
use crate::traversal::{NdjsonTraversal, StreamKind, TraversalOptions};
use crate::validate::{
    is_bool, is_string, non_negative_int, optional_string, record, string_or_null, timestamp, user,
    user_or_null,
};

const SHAPE: &str = "OWOX Data Marts API returned an unexpected response shape";

/// Options of the list: a starting `offset` and an `ownerFilter`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataMartListOptions {
    pub offset: Option<u64>,
    pub owner_filter: Option<OwnerFilter>,
}

impl DataMartListOptions {
    fn validate(&self) -> Result<()> {
        match &self.owner_filter {
            Some(filter) if !filter.is_known() => {
                let mut details = Map::new();
                if let Some(offset) = self.offset {
                    details.insert("offset".into(), json!(offset));
                }
                details.insert("ownerFilter".into(), json!(filter.as_str()));
                Err(Error::api_with_details(
                    "Invalid OWOX Data Mart list options",
                    Value::Object(details),
                ))
            }
            _ => Ok(()),
        }
    }

    fn query(&self, offset: Option<u64>) -> Vec<(String, String)> {
        let mut query = Vec::new();
        if let Some(offset) = offset {
            query.push(("offset".to_owned(), offset.to_string()));
        }
        if let Some(filter) = &self.owner_filter {
            query.push(("ownerFilter".to_owned(), filter.as_str().to_owned()));
        }
        query
    }
}

/// One raw page after the shape check.
#[derive(Debug, Clone)]
pub struct RawPage {
    /// Items exactly as received (extra fields kept, server key order kept).
    pub items: Vec<Value>,
    pub total: u64,
    pub next_offset: Option<u64>,
}

/// The data-marts resource.
pub struct DataMartsApi<'a> {
    client: &'a OwoxClient,
}

impl<'a> DataMartsApi<'a> {
    pub(crate) fn new(client: &'a OwoxClient) -> Self {
        Self { client }
    }

    /// One page, `GET /api/data-marts[?offset=…&ownerFilter=…]`, checked, items as received.
    pub async fn list_page_json(&self, options: &DataMartListOptions) -> Result<RawPage> {
        options.validate()?;
        fetch_page(self.client, options, options.offset).await
    }

    /// One typed page.
    pub async fn list_page(&self, options: &DataMartListOptions) -> Result<DataMartListPage> {
        let page = self.list_page_json(options).await?;
        let value =
            json!({"items": page.items, "total": page.total, "nextOffset": page.next_offset});
        typed(value, SHAPE)
    }

    /// Every page in order, following `nextOffset`; a repeated offset (the first page counts as
    /// offset 0) ends the stream with `OWOX Data Marts API returned repeated nextOffset <n>`.
    /// Options are checked before any request.
    pub fn pages_json(
        &self,
        options: DataMartListOptions,
    ) -> impl Stream<Item = Result<RawPage>> + Send + 'static {
        let client = self.client.clone();
        let start = options.validate().map(|()| options.offset);
        struct State {
            client: OwoxClient,
            options: DataMartListOptions,
            next: Option<Option<u64>>,
            seen: HashSet<u64>,
        }
        let first = match start {
            Ok(offset) => Ok(State {
                client,
                next: Some(offset),
                seen: HashSet::from([offset.unwrap_or(0)]),
                options,
            }),
            Err(e) => Err(e),
        };
        stream::once(async move { first })
            .map_ok(|state| {
                stream::try_unfold(state, |mut state| async move {
                    let Some(offset) = state.next.take() else {
                        return Ok(None);
                    };
                    let page = fetch_page(&state.client, &state.options, offset).await?;
                    if let Some(next) = page.next_offset {
                        if !state.seen.insert(next) {
                            return Err(Error::api_with_details(
                                format!("OWOX Data Marts API returned repeated nextOffset {next}"),
                                json!({ "offset": next }),
                            ));
                        }
                        state.next = Some(Some(next));
                    }
                    Ok(Some((page, state)))
                })
            })
            .try_flatten()
    }

    /// Every item of every page, as a stream of raw items.
    pub fn stream_json(
        &self,
        options: DataMartListOptions,
    ) -> impl Stream<Item = Result<Value>> + Send + 'static {
        self.pages_json(options)
            .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
    }

    /// Every item of every page, typed.
    pub fn stream(
        &self,
        options: DataMartListOptions,
    ) -> impl Stream<Item = Result<DataMartListItem>> + Send + 'static {
        self.stream_json(options)
            .and_then(|item| async move { typed(item, SHAPE) })
    }

    /// All items of all pages, as received (what `owox-ctl data-marts list` prints).
    pub async fn list_json(&self, options: DataMartListOptions) -> Result<Vec<Value>> {
        self.stream_json(options).try_collect().await
    }

    /// All items of all pages, typed.
    pub async fn list(&self, options: DataMartListOptions) -> Result<Vec<DataMartListItem>> {
        self.stream(options).try_collect().await
    }

    /// Opens `GET /api/external/http-data/data-marts/<id>.ndjson` with the traversal query.
    /// The options are checked before any network call.
    pub async fn traverse_data(
        &self,
        data_mart_id: &str,
        options: &TraversalOptions,
    ) -> Result<NdjsonTraversal> {
        let query = options.to_query()?;
        let path = format!(
            "/api/external/http-data/data-marts/{}.ndjson",
            encode_component(data_mart_id)
        );
        NdjsonTraversal::open(
            self.client,
            StreamKind::DataMart,
            data_mart_id,
            &path,
            &query,
        )
        .await
    }
}

async fn fetch_page(
    client: &OwoxClient,
    options: &DataMartListOptions,
    offset: Option<u64>,
) -> Result<RawPage> {
    let body = client
        .get_json("/api/data-marts", &options.query(offset))
        .await?;
    let checked = body.as_ref().and_then(record).and_then(|o| {
        let items = o.get("items")?.as_array()?;
        let next = o.get("nextOffset")?;
        let ok = non_negative_int(o.get("total"))
            && (next.is_null() || non_negative_int(Some(next)))
            && items.iter().all(item_ok);
        ok.then(|| RawPage {
            items: items.clone(),
            total: o["total"].as_f64().unwrap_or(0.0) as u64,
            next_offset: next.as_f64().map(|n| n as u64),
        })
    });
    checked.ok_or_else(|| shape_error(SHAPE, body))
}

/// The reference's item check, except that enum-like fields accept any string (a newer server
/// may know values this build does not).
fn item_ok(item: &Value) -> bool {
    let Some(o) = record(item) else { return false };
    let storage_ok = o
        .get("storage")
        .and_then(Value::as_object)
        .is_some_and(|s| is_string(s.get("type")) && is_string(s.get("title")));
    let users = |k: &str| {
        o.get(k)
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().all(user))
    };
    let contexts = o
        .get("contexts")
        .and_then(Value::as_array)
        .is_some_and(|a| {
            a.iter().all(|c| {
                record(c).is_some_and(|c| is_string(c.get("id")) && is_string(c.get("name")))
            })
        });
    is_string(o.get("id"))
        && is_string(o.get("title"))
        && is_string(o.get("status"))
        && storage_ok
        && string_or_null(o.get("description"))
        && optional_string(o.get("definitionType"))
        && matches!(o.get("connectorSourceName"), None | Some(Value::String(_)))
        && non_negative_int(o.get("triggersCount"))
        && non_negative_int(o.get("reportsCount"))
        && user_or_null(o.get("createdByUser"))
        && users("businessOwnerUsers")
        && users("technicalOwnerUsers")
        && timestamp(o.get("createdAt"))
        && timestamp(o.get("modifiedAt"))
        && contexts
        && is_bool(o.get("availableForReporting"))
        && is_bool(o.get("availableForMaintenance"))
}

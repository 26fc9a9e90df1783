use futures::TryStreamExt;
use owox_api_client::testing::Reply;
use owox_api_client::types::{DataMartStatus, OwnerFilter, RunStatus, StorageType};
use owox_api_client::{DataMartListOptions, RunListOptions};
use serde_json::{json, Value};

use crate::{recorded, setup};

#[tokio::test]
async fn auth_context_is_checked_and_rebuilt() {
    let (server, client) = setup().await;
    server.on(
        "GET",
        "/api/auth/context",
        vec![Reply::json(200, recorded("authContext"))],
    );
    let context = client.auth().get_context().await.unwrap();
    assert_eq!(
        serde_json::to_value(&context).unwrap(),
        json!({"apiKeyId": "pmk_0c-EmAOvAFh6AaB6ywsfaw", "authFlow": "api_key",
               "project": {"id": "0", "title": null},
               "member": {"userId": "0", "email": "admin@localhost", "fullName": "Admin", "avatar": null, "roles": ["admin"]}})
    );
    let mut browser = recorded("authContext");
    browser.as_object_mut().unwrap().remove("authFlow");
    server.on(
        "GET",
        "/api/auth/context",
        vec![Reply::json(200, browser.clone())],
    );
    let error = client.auth().get_context().await.unwrap_err();
    assert_eq!(
        error.message(),
        "OWOX auth context API returned an unexpected response shape"
    );
    assert_eq!(error.details(), Some(&browser));
    assert_eq!(error.status(), None);
}

#[tokio::test]
async fn data_marts_recorded_page_reads_typed_and_raw() {
    let (server, client) = setup().await;
    let page = recorded("dataMartsList");
    server.on(
        "GET",
        "/api/data-marts",
        vec![Reply::json(200, page.clone())],
    );
    let raw = client
        .data_marts()
        .list_json(Default::default())
        .await
        .unwrap();
    assert_eq!(Value::Array(raw), page["items"]);
    let typed = client.data_marts().list(Default::default()).await.unwrap();
    assert_eq!(typed.len(), 3);
    assert_eq!(typed[0].status, DataMartStatus::Draft);
    assert_eq!(typed[0].storage.storage_type, StorageType::GoogleBigquery);
    // The typed form writes the recorded key order back.
    assert_eq!(
        serde_json::to_value(&typed[0]).unwrap().to_string(),
        page["items"][0].to_string()
    );
    server.on(
        "GET",
        "/api/data-marts",
        vec![Reply::json(200, recorded("dataMartsEmpty"))],
    );
    assert!(client
        .data_marts()
        .list(Default::default())
        .await
        .unwrap()
        .is_empty());
}

fn item(id: &str, storage_type: &str) -> Value {
    let mut item = recorded("dataMartsList")["items"][0].clone();
    item["id"] = json!(id);
    item["storage"]["type"] = json!(storage_type);
    item
}

#[tokio::test]
async fn all_pages_follow_next_offset_and_keep_the_owner_filter() {
    let (server, client) = setup().await;
    server.on(
        "GET",
        "/api/data-marts?ownerFilter=has_owners",
        vec![Reply::json(
            200,
            json!({"items": [item("a", "DUCKDB")], "total": 3, "nextOffset": 1}),
        )],
    );
    server.on("GET", "/api/data-marts?offset=1&ownerFilter=has_owners", vec![Reply::json(200, json!({"items": [item("b", "SOMETHING_NEW"), item("c", "POSTGRES")], "total": 3, "nextOffset": null}))]);
    let options = DataMartListOptions {
        offset: None,
        owner_filter: Some(OwnerFilter::HasOwners),
    };
    let items = client.data_marts().list(options.clone()).await.unwrap();
    let ids: Vec<_> = items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(
        items[1].storage.storage_type,
        StorageType::Unknown("SOMETHING_NEW".into())
    );
    assert_eq!(items[2].storage.storage_type, StorageType::Postgres);
    let page = client.data_marts().list_page(&options).await.unwrap();
    assert_eq!((page.total, page.next_offset), (3, Some(1)));
    let streamed: Vec<Value> = client
        .data_marts()
        .stream_json(options)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed.len(), 3);
}

#[tokio::test]
async fn repeated_next_offset_and_bad_pages_fail() {
    let (server, client) = setup().await;
    server.on(
        "GET",
        "/api/data-marts",
        vec![Reply::json(
            200,
            json!({"items": [], "total": 5, "nextOffset": 0}),
        )],
    );
    let error = client
        .data_marts()
        .list(Default::default())
        .await
        .unwrap_err();
    assert_eq!(
        error.message(),
        "OWOX Data Marts API returned repeated nextOffset 0"
    );
    assert_eq!(error.details(), Some(&json!({"offset": 0})));
    let bad = json!({"items": [{"id": 1}], "total": 1, "nextOffset": null});
    server.on(
        "GET",
        "/api/data-marts",
        vec![Reply::json(200, bad.clone())],
    );
    let error = client
        .data_marts()
        .list(Default::default())
        .await
        .unwrap_err();
    assert_eq!(
        error.message(),
        "OWOX Data Marts API returned an unexpected response shape"
    );
    assert_eq!(error.details(), Some(&bad));
    server.on(
        "GET",
        "/api/data-marts",
        vec![Reply::json(200, json!({"items": [], "total": 0}))],
    );
    assert!(client.data_marts().list(Default::default()).await.is_err());
}

#[tokio::test]
async fn invalid_list_options_fail_before_any_request() {
    let (server, client) = setup().await;
    let options = DataMartListOptions {
        offset: Some(2),
        owner_filter: Some(OwnerFilter::Unknown("mine".into())),
    };
    let error = client.data_marts().list(options).await.unwrap_err();
    assert_eq!(error.message(), "Invalid OWOX Data Mart list options");
    assert_eq!(
        error.details(),
        Some(&json!({"offset": 2, "ownerFilter": "mine"}))
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn storages_and_destinations_recorded_lists() {
    let (server, client) = setup().await;
    server.on(
        "GET",
        "/api/data-storages",
        vec![Reply::json(200, recorded("storagesList"))],
    );
    server.on(
        "GET",
        "/api/data-destinations",
        vec![Reply::json(200, recorded("destinationsList"))],
    );
    let storages = client.storages().list().await.unwrap();
    assert_eq!(storages[0].draft_data_marts_count, 3);
    let destinations = client.destinations().list().await.unwrap();
    assert_eq!(destinations.len(), 2);
    assert_eq!(
        serde_json::to_value(&destinations).unwrap(),
        recorded("destinationsList")
    );
    server.on(
        "GET",
        "/api/data-storages",
        vec![Reply::json(200, json!({"items": []}))],
    );
    let error = client.storages().list_json().await.unwrap_err();
    assert_eq!(
        error.message(),
        "OWOX Data Storages API returned an unexpected response shape"
    );
    server.on(
        "GET",
        "/api/data-destinations",
        vec![Reply::json(200, json!(null))],
    );
    let error = client.destinations().list_json().await.unwrap_err();
    assert_eq!(
        error.message(),
        "OWOX Data Destinations API returned an unexpected response shape"
    );
}

pub fn run(id: &str, status: &str) -> Value {
    json!({"id": id, "status": status, "type": "HTTP_DATA", "runType": "manual", "dataMartId": "dm 1",
           "definitionRun": null, "reportId": null, "reportDefinition": null, "insightId": null,
           "insightDefinition": null, "insightTemplateId": null, "insightTemplateDefinition": null,
           "aiSourceDefinition": null, "logs": null, "errors": [], "createdAt": "2026-01-01T00:00:00.000Z",
           "startedAt": null, "finishedAt": "2026-01-01T00:00:01.000Z", "createdByUser": null,
           "additionalParams": {"httpData": {}}, "totals": {"revenue": 1.5, "n": null}})
}

#[tokio::test]
async fn runs_list_get_cancel() {
    let (server, client) = setup().await;
    let mut history = run("r1", "SUCCESS");
    history["dataMart"] = json!({"id": "dm 1", "title": "T"});
    server.on(
        "GET",
        "/api/data-marts/runs?limit=5",
        vec![Reply::json(200, json!({"runs": [history]}))],
    );
    server.on(
        "GET",
        "/api/data-marts/dm%201/runs",
        vec![Reply::json(200, json!({"runs": [run("r2", "RUNNING")]}))],
    );
    server.on(
        "GET",
        "/api/data-marts/dm%201/runs/run%3A1",
        vec![Reply::json(200, run("run:1", "BRAND_NEW"))],
    );
    server.on(
        "POST",
        "/api/data-marts/dm%201/runs/run%3A1/cancel",
        vec![Reply::no_content()],
    );
    let page = client
        .runs()
        .list(RunListOptions {
            limit: Some(5),
            offset: None,
        })
        .await
        .unwrap();
    assert_eq!(page.runs[0].data_mart.title, "T");
    let scoped = client.runs().for_data_mart("dm 1").unwrap();
    let list = scoped.list_json(RunListOptions::default()).await.unwrap();
    assert_eq!(list["runs"][0]["qualitySummary"], json!(null));
    assert!(
        scoped.list(RunListOptions::default()).await.unwrap().runs[0]
            .status
            .is_active()
    );
    let detail = scoped.get("run:1").await.unwrap();
    assert_eq!(detail.run.status, RunStatus::Unknown("BRAND_NEW".into()));
    assert_eq!(detail.data_quality, None);
    scoped.cancel("run:1").await.unwrap();
    let cancel = server.requests().pop().unwrap();
    assert!(cancel.body.is_empty());
    assert_eq!(cancel.header("content-type"), None);
}

#[tokio::test]
async fn run_ids_and_options_are_checked_locally() {
    let (server, client) = setup().await;
    for bad in ["", " ", "..", "a/b", "a%2F", "a\\b"] {
        let error = client.runs().for_data_mart(bad).err().expect("rejected");
        assert_eq!(error.message(), "Invalid OWOX Data Mart ID");
        assert_eq!(error.details(), Some(&json!(bad)));
    }
    let scoped = client.runs().for_data_mart("dm").unwrap();
    assert_eq!(
        scoped.get(".").await.unwrap_err().message(),
        "Invalid OWOX run ID"
    );
    assert_eq!(
        scoped.cancel("x/y").await.unwrap_err().message(),
        "Invalid OWOX run ID"
    );
    let error = scoped
        .list(RunListOptions {
            limit: Some(0),
            offset: None,
        })
        .await
        .unwrap_err();
    assert_eq!(error.message(), "Invalid OWOX Data Mart run-list options");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn bad_runs_fail_with_the_shape_message() {
    let (server, client) = setup().await;
    let mut bad = run("r", "SUCCESS");
    bad["createdAt"] = json!("2026-02-30T00:00:00Z");
    server.on(
        "GET",
        "/api/data-marts/runs",
        vec![Reply::json(200, json!({"runs": [bad]}))],
    );
    let error = client
        .runs()
        .list_json(RunListOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        error.message(),
        "OWOX Project Run History API returned an unexpected response shape"
    );
}

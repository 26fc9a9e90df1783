use owox_api_client::testing::Reply;
use serde_json::{json, Value};

use crate::{ctl, pretty, recorded, setup};

#[tokio::test]
async fn data_marts_list_prints_every_page_as_received() {
    let (server, dir, key) = setup().await;
    let items = recorded("dataMartsList")["items"].clone();
    let first = json!({"items": [items[0], items[1]], "total": 3, "nextOffset": 2});
    let second = json!({"items": [items[2]], "total": 3, "nextOffset": null});
    server.on("GET", "/api/data-marts", vec![Reply::json(200, first)]);
    server.on(
        "GET",
        "/api/data-marts?offset=2",
        vec![Reply::json(200, second)],
    );
    let out = ctl(
        &["data-marts", "list"],
        &[("OWOX_API_KEY", &key)],
        dir.path(),
    )
    .await;
    assert_eq!(
        (out.code, out.stdout, out.stderr),
        (0, pretty(&items), String::new())
    );
    // The colon form works too.
    let out = ctl(&["data-marts:list"], &[("OWOX_API_KEY", &key)], dir.path()).await;
    assert_eq!(out.code, 0);
}

#[tokio::test]
async fn empty_lists_print_brackets() {
    let (server, dir, key) = setup().await;
    server.on(
        "GET",
        "/api/data-marts",
        vec![Reply::json(200, recorded("dataMartsEmpty"))],
    );
    server.on(
        "GET",
        "/api/data-storages",
        vec![Reply::json(200, json!([]))],
    );
    server.on(
        "GET",
        "/api/data-destinations",
        vec![Reply::json(200, json!([]))],
    );
    for args in [
        ["data-marts", "list"],
        ["storages", "list"],
        ["destinations", "list"],
    ] {
        let out = ctl(&args, &[("OWOX_API_KEY", &key)], dir.path()).await;
        assert_eq!((out.code, out.stdout.as_str()), (0, "[]\n"), "{args:?}");
    }
}

#[tokio::test]
async fn storages_and_destinations_lists() {
    let (server, dir, key) = setup().await;
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
    let out = ctl(&["storages", "list"], &[("OWOX_API_KEY", &key)], dir.path()).await;
    assert_eq!(
        (out.code, out.stdout),
        (0, pretty(&recorded("storagesList")))
    );
    let out = ctl(
        &["destinations", "list"],
        &[("OWOX_API_KEY", &key)],
        dir.path(),
    )
    .await;
    assert_eq!(
        (out.code, out.stdout),
        (0, pretty(&recorded("destinationsList")))
    );
}

fn run(id: &str) -> Value {
    json!({"id": id, "status": "RUNNING", "type": "CONNECTOR", "runType": "manual", "dataMartId": "dm1",
           "definitionRun": null, "reportId": null, "reportDefinition": null, "insightId": null,
           "insightDefinition": null, "insightTemplateId": null, "insightTemplateDefinition": null,
           "aiSourceDefinition": null, "logs": null, "errors": null, "createdAt": "2026-01-01T00:00:00.000Z",
           "startedAt": null, "finishedAt": null, "createdByUser": null, "additionalParams": null,
           "totals": null, "qualitySummary": null})
}

#[tokio::test]
async fn runs_list_get_and_cancel() {
    let (server, dir, key) = setup().await;
    let mut history = run("r1");
    history["dataMart"] = json!({"id": "dm1", "title": "Orders"});
    server.on(
        "GET",
        "/api/data-marts/runs?limit=2",
        vec![Reply::json(200, json!({"runs": [history]}))],
    );
    server.on(
        "GET",
        "/api/data-marts/dm1/runs",
        vec![Reply::json(200, json!({"runs": [run("r2")]}))],
    );
    server.on(
        "GET",
        "/api/data-marts/dm1/runs/r2",
        vec![Reply::json(200, run("r2"))],
    );
    server.on(
        "POST",
        "/api/data-marts/dm1/runs/r2/cancel",
        vec![Reply::no_content()],
    );
    let env = [("OWOX_API_KEY", key.as_str())];
    let out = ctl(&["runs", "list", "--limit", "2"], &env, dir.path()).await;
    assert_eq!((out.code, out.stdout), (0, pretty(&json!([history]))));
    let out = ctl(&["runs", "list", "--data-mart", "dm1"], &env, dir.path()).await;
    assert_eq!(out.json()[0]["id"], "r2");
    let out = ctl(&["runs", "get", "dm1", "r2"], &env, dir.path()).await;
    assert_eq!(out.json()["dataQuality"], json!(null));
    let out = ctl(&["runs", "cancel", "dm1", "r2"], &env, dir.path()).await;
    assert_eq!(
        (out.code, out.stdout),
        (
            0,
            pretty(&json!({"dataMartId": "dm1", "runId": "r2", "cancelled": true}))
        )
    );
    let out = ctl(&["runs", "cancel", "dm1", "r/2"], &env, dir.path()).await;
    assert_eq!(out.code, 1);
    assert_eq!(
        out.error(),
        json!({"error": {"message": "Invalid OWOX run ID", "name": "OWOXApiError", "details": "r/2"}})
    );
}

#[tokio::test]
async fn reports_stream_passes_rows_through() {
    let (server, dir, key) = setup().await;
    server.on(
        "GET",
        "/api/external/http-data/reports/rep%201.ndjson?limit=2",
        vec![Reply::ndjson_chunks(["{\"a\":1}\n", "{\"a\":2}\n"])],
    );
    let out = ctl(
        &["reports", "stream", "rep 1", "--limit", "2"],
        &[("OWOX_API_KEY", &key)],
        dir.path(),
    )
    .await;
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "{\"a\":1}\n{\"a\":2}\n", "")
    );
}

#[tokio::test]
async fn help_version_and_completions() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &[][..],
        &["--help"][..],
        &["help"][..],
        &["data-marts"][..],
        &["data-marts", "stream", "--help"][..],
    ] {
        let out = ctl(args, &[], dir.path()).await;
        assert_eq!(out.code, 0, "{args:?}");
        assert!(out.stdout.contains("Usage"), "{args:?}");
        assert!(!out.stdout.contains('\u{1b}'));
    }
    let out = ctl(&["--version"], &[], dir.path()).await;
    assert!(out.stdout.starts_with("owox-ctl "));
    let out = ctl(&["completions", "bash"], &[], dir.path()).await;
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("owox-ctl"));
}

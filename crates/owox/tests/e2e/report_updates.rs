//! Issue 8 (part): report updates with optimistic locking (`ETag` / `If-Match`), output schema,
//! generated SQL, run (501), deletes, destinations refused while used, and the Looker Studio id
//! rule.

use serde_json::{json, Value};

use crate::reports::{body, destination, email_config, SQL};
use crate::support::{client, Server, Session};

/// `PUT` with an optional `If-Match`; status, `ETag` and body.
async fn put_if_match(
    s: &Session,
    path: &str,
    if_match: Option<&str>,
    body: Value,
) -> (u16, Option<String>, Value) {
    let mut r = client()
        .put(format!("{}{path}", s.base))
        .header("x-owox-authorization", format!("Bearer {}", s.token))
        .header("x-owox-api-key-id", &s.key_id)
        .json(&body);
    if let Some(tag) = if_match {
        r = r.header("if-match", tag);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let tag = r
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string());
    (status, tag, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn reports_update_with_optimistic_locking_and_free_their_destination() {
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let mart = s.published_mart("orders", SQL).await;
    let email = destination(&s, "EMAIL").await;
    let (status, created) = s
        .post(
            "/api/reports",
            body(
                &mart,
                &email,
                json!({"filterConfig": [{"column": "amount", "operator": "gte", "value": 3}], "limitConfig": 5}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("/api/reports/{id}");

    // Updates: optimistic locking through ETag / If-Match.
    let update = body(
        &mart,
        &email,
        json!({"title": "Renamed", "columnConfig": ["country"], "limitConfig": null}),
    );
    let update = {
        let mut u = update;
        u.as_object_mut().unwrap().remove("dataMartId");
        u
    };
    let (status, tag, updated) = put_if_match(&s, &path, Some("\"1\""), update.clone()).await;
    assert_eq!((status, tag.as_deref()), (200, Some("\"2\"")), "{updated}");
    assert_eq!(
        (
            &updated["title"],
            &updated["limitConfig"],
            &updated["filterConfig"]
        ),
        (&json!("Renamed"), &Value::Null, &Value::Null)
    );
    let (status, _, err) = put_if_match(&s, &path, Some("\"1\""), update.clone()).await;
    assert_eq!(status, 412, "a stale version is refused: {err}");
    assert!(
        err["message"].as_str().unwrap().contains("version 2"),
        "{err}"
    );
    let (status, _, _) = put_if_match(&s, &path, Some("garbage"), update.clone()).await;
    assert_eq!(status, 412);
    let (status, tag, _) = put_if_match(&s, &path, None, update.clone()).await;
    assert_eq!((status, tag.as_deref()), (200, Some("\"3\"")));
    let (status, err) = s.put(&path, body(&mart, &email, json!({}))).await;
    assert_eq!(status, 400, "dataMartId cannot be changed: {err}");
    let (status, err) = s.put("/api/reports/nope", update.clone()).await;
    assert_eq!(
        (status, err["message"].as_str()),
        (404, Some("Report with ID nope not found"))
    );

    // Output schema, generated SQL, run.
    let (status, _, _) = put_if_match(&s, &path, None, {
        let mut u = update.clone();
        u["columnConfig"] = json!(["country", "amount"]);
        u["aggregationConfig"] = json!([{"column": "amount", "function": "SUM"}, {"column": "amount", "function": "MAX"}]);
        u
    })
    .await;
    assert_eq!(status, 200);
    let (status, fields) = s.get(&format!("{path}/output-schema")).await;
    assert_eq!(status, 200, "{fields}");
    let names: Vec<&str> = fields
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["country", "amount | SUM", "amount | MAX", "Row Count"]
    );
    assert_eq!(fields[1]["aggregateFunction"], "SUM");
    let (status, sql) = s.get(&format!("{path}/generated-sql")).await;
    assert_eq!(status, 200, "{sql}");
    assert!(sql["sql"].as_str().unwrap().contains("GROUP BY"), "{sql}");
    assert_eq!(sql["canModifySource"], true);
    let (status, err) = s.post(&format!("{path}/run"), json!({})).await;
    assert_eq!(status, 501, "{err}");
    assert!(err["message"]
        .as_str()
        .unwrap()
        .starts_with("Report delivery is not available"));

    // A destination in use cannot be deleted; a deleted report frees it.
    let (status, err) = s.delete(&format!("/api/data-destinations/{email}")).await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(
        err["message"],
        "Cannot delete the destination because it is referenced by 1 existing report(s)."
    );
    let (status, _) = s.delete(&path).await;
    assert_eq!(status, 200);
    let (status, err) = s.get(&path).await;
    assert_eq!(
        (status, err["message"].as_str()),
        (404, Some(format!("Report with ID {id} not found").as_str()))
    );
    let (status, _) = s.delete(&format!("/api/data-destinations/{email}")).await;
    assert_eq!(status, 200);
}

/// The reference's Looker Studio report id: UUID v5 of `"<dataMartId>:<dataDestinationId>"`,
/// computed here by Python's `uuid` module.
fn expected_looker_id(mart: &str, dest: &str) -> String {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, uuid; print(uuid.uuid5(uuid.UUID('550e8400-e29b-41d4-a716-446655440000'), sys.argv[1]))",
            &format!("{mart}:{dest}"),
        ])
        .output()
        .expect("python3 computes the expected UUID v5");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[tokio::test]
async fn looker_studio_reports_have_derived_ids() {
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let mart = s.published_mart("orders", SQL).await;
    let looker = destination(&s, "LOOKER_STUDIO").await;
    let config = json!({"type": "looker-studio-config", "cacheLifetime": 300});
    let (status, created) = s
        .post(
            "/api/reports",
            body(
                &mart,
                &looker,
                json!({"title": "ignored", "destinationConfig": config}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["id"], expected_looker_id(&mart, &looker).as_str());
    assert_eq!(created["title"], "", "Looker Studio reports have no title");
    assert_eq!(created["canRun"], false, "pull-based: nothing to run");
    // One per data mart and destination.
    let (status, err) = s
        .post(
            "/api/reports",
            body(&mart, &looker, json!({"destinationConfig": config})),
        )
        .await;
    assert_eq!(status, 409, "{err}");
    assert!(err["message"]
        .as_str()
        .unwrap()
        .contains(created["id"].as_str().unwrap()));
    let (status, err) = s
        .post(
            "/api/reports",
            body(
                &mart,
                &looker,
                json!({"destinationConfig": {"type": "looker-studio-config", "cacheLifetime": 10}}),
            ),
        )
        .await;
    assert_eq!(
        (status, err["message"].as_str()),
        (400, Some("Invalid configuration")),
        "{err}"
    );
    // A report cannot move to or from a Looker Studio destination.
    let email = destination(&s, "EMAIL").await;
    let (status, err) = s
        .put(
            &format!("/api/reports/{}", created["id"].as_str().unwrap()),
            json!({"title": "t", "dataDestinationId": email, "destinationConfig": email_config()}),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    // Deleted, the pair can be reported on again, with the same id.
    s.delete(&format!("/api/reports/{}", created["id"].as_str().unwrap()))
        .await;
    let (status, again) = s
        .post(
            "/api/reports",
            body(&mart, &looker, json!({"destinationConfig": config})),
        )
        .await;
    assert_eq!((status, &again["id"]), (201, &created["id"]), "{again}");
    // A destination without credentials cannot be reported to.
    let (status, bare) = s
        .post(
            "/api/data-destinations",
            json!({"title": "bare", "type": "LOOKER_STUDIO"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, err) = s
        .post(
            "/api/reports",
            body(
                &mart,
                bare["id"].as_str().unwrap(),
                json!({"destinationConfig": config}),
            ),
        )
        .await;
    assert_eq!(
        (status, err["message"].as_str()),
        (400, Some("Credentials are not configured")),
        "{err}"
    );
}

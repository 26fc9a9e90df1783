//! Issue 8 (part): saved reports are created with the reference's shape and every validation
//! the reference has, and with their rules checked against the data mart's schema at save
//! time. Updates, outputs and deletes: `report_updates`; lists and access: `report_lists`.

use serde_json::{json, Value};

use crate::support::{Server, Session};

pub const SQL: &str = "SELECT i AS id, CASE WHEN i % 3 = 0 THEN 'DE' WHEN i % 3 = 1 THEN 'FR' ELSE 'PL' END AS country, CAST(i AS DECIMAL(10,2)) * 1.5 AS amount, DATE '2024-01-01' + CAST(i * 11 AS INTEGER) AS day FROM range(40) t(i)";

/// A destination of `kind` with working credentials; its id.
pub async fn destination(s: &Session, kind: &str) -> String {
    let credentials = match kind {
        "LOOKER_STUDIO" => json!({"type": "looker-studio-credentials"}),
        "GOOGLE_SHEETS" => json!({"type": "google-sheets-credentials", "serviceAccountKey": {
            "type": "service_account", "project_id": "p", "private_key": "k",
            "client_email": "sa@p.iam.gserviceaccount.com", "client_id": "1"}}),
        "EXCEL" => Value::Null,
        _ => json!({"type": "email-credentials", "to": ["team@example.com"]}),
    };
    let (status, body) = s
        .post(
            "/api/data-destinations",
            json!({"title": format!("{kind} out"), "type": kind, "credentials": credentials}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

pub fn email_config() -> Value {
    json!({"type": "email-config", "subject": "Weekly", "reportCondition": "ALWAYS",
           "templateSource": {"type": "CUSTOM_MESSAGE", "config": {"messageTemplate": "Hi"}}})
}

/// A report body on `mart` and `dest` with `extra` fields merged in.
pub fn body(mart: &str, dest: &str, extra: Value) -> Value {
    let mut b = json!({"title": "Weekly", "dataMartId": mart, "dataDestinationId": dest,
                       "destinationConfig": email_config()});
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

fn messages(body: &Value) -> Vec<String> {
    body["details"]["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn reports_are_created_and_validated() {
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let mart = s.published_mart("orders", SQL).await;
    let email = destination(&s, "EMAIL").await;

    // Created: the reference's shape, legacy e-mail config stored in the new form.
    let legacy = json!({"type": "email-config", "subject": "S", "messageTemplate": "M",
                        "reportCondition": "RESULT_IS_NOT_EMPTY", "extra": 1});
    let (status, created) = s
        .post(
            "/api/reports",
            body(&mart, &email, json!({"destinationConfig": legacy, "columnConfig": ["country", "amount"],
                "filterConfig": [{"column": "amount", "operator": "gte", "value": 3, "aliasPath": "x"}],
                "sortConfig": [{"column": "amount", "direction": "desc"}], "limitConfig": 5})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let keys: Vec<&str> = created
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "title",
            "dataMart",
            "dataDestinationAccess",
            "destinationConfig",
            "columnConfig",
            "filterConfig",
            "sortConfig",
            "limitConfig",
            "aggregationConfig",
            "dateTruncConfig",
            "uniqueCountConfig",
            "lastRunAt",
            "lastRunStatus",
            "lastRunError",
            "runsCount",
            "createdAt",
            "modifiedAt",
            "createdByUser",
            "ownerUsers",
            "canRun",
            "canManageTriggers",
            "canEditConfig"
        ]
    );
    assert_eq!(
        created["destinationConfig"],
        json!({"type": "email-config", "subject": "S", "reportCondition": "RESULT_IS_NOT_EMPTY",
               "templateSource": {"type": "CUSTOM_MESSAGE", "config": {"messageTemplate": "M"}}})
    );
    assert_eq!(
        created["filterConfig"],
        json!([{"column": "amount", "operator": "gte", "value": 3}]),
        "unknown keys are dropped as zod drops them"
    );
    assert_eq!(created["dataMart"]["id"], mart.as_str());
    assert_eq!(created["dataDestinationAccess"]["id"], email.as_str());
    assert_eq!(created["ownerUsers"][0]["userId"], "0");
    assert_eq!(created["createdByUser"]["userId"], "0");
    assert_eq!(
        (
            &created["runsCount"],
            &created["lastRunStatus"],
            &created["aggregationConfig"]
        ),
        (&json!(0), &Value::Null, &Value::Null)
    );
    assert_eq!(
        (
            &created["canRun"],
            &created["canManageTriggers"],
            &created["canEditConfig"]
        ),
        (&json!(true), &json!(true), &json!(true))
    );
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("/api/reports/{id}");
    let (status, got) = s.get(&path).await;
    assert_eq!((status, &got["id"]), (200, &json!(id)));

    // Body validation: class-validator's messages, all at once.
    let (status, err) = s.post("/api/reports", json!({"bogus": 1})).await;
    assert_eq!(status, 400, "{err}");
    let m = messages(&err);
    for expected in [
        "property bogus should not exist.",
        "title should not be empty.",
        "dataMartId must be a string.",
        "dataDestinationId should not be empty.",
        "destinationConfig must be an object.",
    ] {
        assert!(m.contains(&expected.to_string()), "{expected}: {m:?}");
    }
    let rule = |c: &str| json!({"column": c, "operator": "is_null"});
    let too_many = |n: usize, v: Value| Value::Array(vec![v; n]);
    for (extra, expected) in [
        (
            json!({"filterConfig": too_many(51, rule("id"))}),
            "filterConfig must contain no more than 50 elements.",
        ),
        (
            json!({"sortConfig": too_many(11, json!({"column": "id", "direction": "asc"}))}),
            "sortConfig must contain no more than 10 elements.",
        ),
        (
            json!({"aggregationConfig": too_many(51, json!({"column": "id", "function": "SUM"}))}),
            "aggregationConfig must contain no more than 50 elements.",
        ),
        (
            json!({"dateTruncConfig": too_many(51, json!({"column": "day", "unit": "DAY"}))}),
            "dateTruncConfig must contain no more than 50 elements.",
        ),
        (
            json!({"limitConfig": 0}),
            "limitConfig must not be less than 1.",
        ),
        (
            json!({"limitConfig": 10_000_001}),
            "limitConfig must not be greater than 10000000.",
        ),
        (
            json!({"limitConfig": 1.5}),
            "limitConfig must be an integer number.",
        ),
        (
            json!({"uniqueCountConfig": "yes"}),
            "uniqueCountConfig must be a boolean or an array of at most 50 source alias paths.",
        ),
        (
            json!({"columnConfig": "id"}),
            "columnConfig must be an array.",
        ),
        (
            json!({"ownerIds": [1]}),
            "each value in ownerIds must be a string.",
        ),
    ] {
        let (status, err) = s
            .post("/api/reports", body(&mart, &email, extra.clone()))
            .await;
        assert_eq!(status, 400, "{extra}: {err}");
        assert!(
            messages(&err).contains(&expected.to_string()),
            "{extra}: {err}"
        );
    }
    // 10,000,000 rows is the largest limit.
    let (status, ok) = s
        .post(
            "/api/reports",
            body(&mart, &email, json!({"limitConfig": 10_000_000})),
        )
        .await;
    assert_eq!(
        (status, &ok["limitConfig"]),
        (201, &json!(10_000_000)),
        "{ok}"
    );
    s.delete(&format!("/api/reports/{}", ok["id"].as_str().unwrap()))
        .await;

    // Rule shapes (HTTP Data's schemas) and the destination configuration.
    let (status, err) = s
        .post(
            "/api/reports",
            body(
                &mart,
                &email,
                json!({"filterConfig": [{"column": "id", "operator": "bogus"}]}),
            ),
        )
        .await;
    assert_eq!(
        (status, err["message"].as_str()),
        (400, Some("filterConfig has invalid shape")),
        "{err}"
    );
    assert!(err["details"]["errors"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("Invalid discriminator value"));
    let (status, err) = s
        .post(
            "/api/reports",
            body(
                &mart,
                &email,
                json!({"sortConfig": [{"column": "id", "direction": "ASC"}]}),
            ),
        )
        .await;
    assert_eq!(
        (status, err["message"].as_str()),
        (400, Some("sortConfig has invalid shape")),
        "{err}"
    );
    let (status, err) = s
        .post(
            "/api/reports",
            body(
                &mart,
                &email,
                json!({"destinationConfig": {"type": "email-config"}}),
            ),
        )
        .await;
    assert_eq!(
        (status, err["message"].as_str()),
        (400, Some("Invalid configuration")),
        "{err}"
    );
    assert_eq!(
        err["errorDetails"]["errors"].as_array().unwrap().len(),
        3,
        "{err}"
    );
    let sheets = destination(&s, "GOOGLE_SHEETS").await;
    let (status, err) = s
        .post("/api/reports", body(&mart, &sheets, json!({"destinationConfig": {"type": "google-sheets-config", "spreadsheetId": "", "sheetId": -1}})))
        .await;
    assert_eq!(
        (status, err["message"].as_str()),
        (400, Some("Invalid configuration")),
        "{err}"
    );
    let (status, ok) = s
        .post("/api/reports", body(&mart, &sheets, json!({"destinationConfig": {"type": "google-sheets-config", "spreadsheetId": "1AbC", "sheetId": 0}})))
        .await;
    assert_eq!(status, 201, "{ok}");
    s.delete(&format!("/api/reports/{}", ok["id"].as_str().unwrap()))
        .await;
    let excel = destination(&s, "EXCEL").await;
    let (status, err) = s.post("/api/reports", body(&mart, &excel, json!({}))).await;
    assert_eq!(status, 400, "{err}");
    assert!(err["message"].as_str().unwrap().contains("EXCEL"), "{err}");
    let (status, err) = s
        .post(
            "/api/reports",
            body(&mart, &email, json!({"uniqueCountConfig": true})),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert!(
        err["message"].as_str().unwrap().starts_with("Unique Count"),
        "{err}"
    );

    // The data mart: unknown, draft; its schema: the stream's messages, at save time.
    let (status, err) = s
        .post("/api/reports", body("nope", &email, json!({})))
        .await;
    assert_eq!(
        (status, err["message"].as_str()),
        (
            404,
            Some("Data Mart with id nope and projectId 0 not found")
        )
    );
    let draft = s.draft_mart("draft").await;
    let (status, err) = s
        .post("/api/reports", body(&draft, &email, json!({})))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        err["message"],
        "Cannot create report for data mart with status DRAFT. Data mart must be in PUBLISHED status."
    );
    let (status, err) = s.post("/api/reports", body(&mart, "nope", json!({}))).await;
    assert_eq!(
        (status, err["message"].as_str()),
        (404, Some("Data Destination with id nope not found"))
    );
    let (status, err) = s
        .post(
            "/api/reports",
            body(
                &mart,
                &email,
                json!({"columnConfig": ["country", "nope"], "filterConfig": [rule("gone")]}),
            ),
        )
        .await;
    assert_eq!(
        (status, err["message"].as_str()),
        (400, Some("Unknown columns: nope, gone")),
        "{err}"
    );
    assert_eq!(err["errorDetails"]["columns"], json!(["nope", "gone"]));
    let (status, err) = s
        .post("/api/reports", body(&mart, &email, json!({"columnConfig": ["country"], "sortConfig": [{"column": "amount", "direction": "asc"}],
            "aggregationConfig": [{"column": "country", "function": "SUM"}]})))
        .await;
    assert_eq!(
        (status, err["message"].as_str()),
        (400, Some("Output controls validation failed")),
        "{err}"
    );
    let codes: Vec<&str> = err["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "SORT_COLUMN_NOT_SELECTED",
            "AGGREGATION_FUNCTION_NOT_ALLOWED_FOR_TYPE"
        ]
    );
}

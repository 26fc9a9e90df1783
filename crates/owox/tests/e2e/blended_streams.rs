//! Issue 8: joined (blended) columns through HTTP Data on DuckDB and PostgreSQL, with a
//! three-level relationship chain orders → customers → country and a cycle back to customers.

use serde_json::{json, Value};

use crate::http_data::{b64, stream};
use crate::postgres::{postgres_storage, published, Fixture};
use crate::relationships::{created, on};
use crate::reports::{body, destination};
use crate::support::{Server, Session};

const ORDERS: &str = "SELECT * FROM (VALUES (1, 1, 10), (2, 1, 20), (3, 2, 5), (4, 3, 7), (5, NULL, 1)) AS t(id, customer_id, amount)";
/// Customer 2 has two rows: blending collapses them to one per key.
const CUSTOMERS: &str = "SELECT * FROM (VALUES (1, 'Ann', 'UA', 100), (2, 'Bob', 'PL', 50), (2, 'Bob', 'PL', 25)) AS t(id, name, country, credit)";
const COUNTRIES: &str = "SELECT * FROM (VALUES ('UA', 'Ukraine', 40), ('PL', 'Poland', 38), ('DE', 'Germany', 83)) AS t(code, title, population)";

/// Reads a stream as parsed rows; panics on a non-200.
async fn rows(s: &Session, id: &str, query: &str) -> Vec<Value> {
    let r = stream(
        s,
        &format!("/api/external/http-data/data-marts/{id}.ndjson?{query}"),
    )
    .await;
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 200, "{query}: {text}");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A saved report's stream as parsed rows; panics on a non-200.
async fn report_rows(s: &Session, report: &Value) -> Vec<Value> {
    let path = format!(
        "/api/external/http-data/reports/{}.ndjson",
        report["id"].as_str().unwrap()
    );
    let r = stream(s, &path).await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn keys(row: &Value) -> Vec<&str> {
    row.as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

async fn error(s: &Session, id: &str, query: &str) -> (u16, Value) {
    let r = stream(
        s,
        &format!("/api/external/http-data/data-marts/{id}.ndjson?{query}"),
    )
    .await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::String(s) => s.parse().unwrap(),
        other => panic!("not a number: {other}"),
    }
}

/// The whole scenario on one storage; `publish` creates a published SQL data mart there.
async fn scenario(s: &Session, ids: [String; 3]) {
    let [orders, customers, countries] = ids;
    created(s, &orders, &customers, "customers", on("customer_id", "id")).await;
    created(s, &customers, &countries, "country", on("country", "code")).await;
    // A cycle: country → customers is a stub below customers and contributes nothing.
    created(s, &countries, &customers, "people", on("code", "country")).await;

    let by_id = b64(json!([{"column": "id", "direction": "asc"}]));
    let all = rows(s, &orders, &format!("columns=**&sort={by_id}")).await;
    assert_eq!(all.len(), 5, "the root's row count never grows");
    let names = keys(&all[0]);
    for k in [
        "id",
        "customers__name",
        "customers__credit",
        "customers_country__title",
        "customers_country__population",
    ] {
        assert!(names.contains(&k), "{k} missing from {names:?}");
    }
    assert!(
        !names
            .iter()
            .any(|k| k.starts_with("customers_country_people__")),
        "a cycle stub adds no fields: {names:?}"
    );
    let bob = &all[2];
    assert_eq!(bob["customers__name"], "Bob, Bob", "STRING_AGG by default");
    assert_eq!(num(&bob["customers__credit"]), 75.0, "SUM by default");
    assert_eq!(bob["customers_country__title"], "Poland");
    assert_eq!(num(&all[0]["customers_country__population"]), 40.0);
    assert!(all[3]["customers__name"].is_null() && all[4]["customers__credit"].is_null());

    // Pre-join filters slice the related rows (every order stays); post-join filters the rows.
    let pre = b64(
        json!([{"column": "customers__credit", "operator": "gt", "value": 30, "placement": "pre-join"}]),
    );
    let sliced = rows(
        s,
        &orders,
        &format!("column=id&column=customers__credit&filter={pre}&sort={by_id}"),
    )
    .await;
    assert_eq!(sliced.len(), 5);
    assert_eq!(num(&sliced[2]["customers__credit"]), 50.0);
    let post = b64(json!([{"column": "customers__credit", "operator": "gt", "value": 80}]));
    let filtered = rows(
        s,
        &orders,
        &format!("column=id&column=customers__credit&filter={post}&sort={by_id}"),
    )
    .await;
    let ids: Vec<f64> = filtered.iter().map(|r| num(&r["id"])).collect();
    assert_eq!(ids, [1.0, 2.0]);

    // A saved report with joined columns and a pre-join filter streams what the data mart
    // stream gives for the same controls, and is refused at save time with an unknown one.
    let dest = destination(s, "EMAIL").await;
    let (status, report) = s
        .post(
            "/api/reports",
            body(
                &orders,
                &dest,
                json!({"columnConfig": ["id", "customers__credit", "customers_country__title"],
                       "filterConfig": [{"column": "customers__credit", "operator": "gt", "value": 30, "placement": "pre-join"}],
                       "sortConfig": [{"column": "id", "direction": "asc"}]}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{report}");
    let from_report = report_rows(s, &report).await;
    let mart_rows = rows(
        s,
        &orders,
        &format!("column=id&column=customers__credit&column=customers_country__title&filter={pre}&sort={by_id}"),
    )
    .await;
    assert_eq!(from_report, mart_rows);
    assert_eq!(from_report.len(), 5);
    let (status, refused) = s
        .post(
            "/api/reports",
            body(
                &orders,
                &dest,
                json!({"columnConfig": ["id", "customers__nope"]}),
            ),
        )
        .await;
    assert_eq!(status, 400, "{refused}");

    // Unique Count: the distinct primary keys of the main data mart per group, after Row Count.
    let (_, mart) = s.get(&format!("/api/data-marts/{orders}")).await;
    let mut schema = mart["schema"].clone();
    for f in schema["fields"].as_array_mut().unwrap() {
        if f["name"] == "id" {
            f["isPrimaryKey"] = json!(true);
        }
    }
    let (status, saved) = s
        .put(
            &format!("/api/data-marts/{orders}/schema"),
            json!({"schema": schema}),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    let (status, report) = s
        .post(
            "/api/reports",
            body(
                &orders,
                &dest,
                json!({"columnConfig": ["customers_country__title", "amount"],
                       "aggregationConfig": [{"column": "amount", "function": "SUM"}],
                       "sortConfig": [{"column": "customers_country__title", "direction": "asc"}],
                       "uniqueCountConfig": true}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{report}");
    let counted = report_rows(s, &report).await;
    let names = keys(&counted[0]);
    assert_eq!(
        names,
        [
            "customers_country__title",
            "amount | SUM",
            "Row Count",
            "Unique Count"
        ]
    );
    let uniques: Vec<f64> = counted.iter().map(|r| num(&r["Unique Count"])).collect();
    assert_eq!(uniques, [1.0, 2.0, 2.0]);

    // Grouped by a second-level field.
    let agg = b64(json!([{"column": "amount", "function": "SUM"}]));
    let by_title = b64(json!([{"column": "customers_country__title", "direction": "asc"}]));
    let grouped = rows(
        s,
        &orders,
        &format!("column=customers_country__title&column=amount&aggregation={agg}&sort={by_title}"),
    )
    .await;
    let sums: Vec<(Value, f64)> = grouped
        .iter()
        .map(|r| {
            (
                r["customers_country__title"].clone(),
                num(&r["amount | SUM"]),
            )
        })
        .collect();
    assert_eq!(
        sums,
        [
            (json!("Poland"), 5.0),
            (json!("Ukraine"), 30.0),
            (Value::Null, 8.0)
        ]
    );

    // A joined SUM counts each customer once per group, not once per order.
    let credit = b64(json!([{"column": "customers__credit", "function": "SUM"}]));
    let sleeved = rows(
        s,
        &orders,
        &format!("column=customers_country__title&column=customers__credit&aggregation={credit}&sort={by_title}"),
    )
    .await;
    let sums: Vec<Option<f64>> = sleeved
        .iter()
        .map(|r| {
            (!r["customers__credit | SUM"].is_null()).then(|| num(&r["customers__credit | SUM"]))
        })
        .collect();
    assert_eq!(sums, [Some(75.0), Some(100.0), None]);

    // The configuration: a dedup override, a hidden field, an excluded source.
    let (status, body) = s
        .put(
            &format!("/api/data-marts/{orders}/blended-fields-config"),
            json!({"blendedFieldsConfig": {"sources": [
                {"path": "customers", "alias": "Customers", "fields": {
                    "credit": {"aggregateFunction": "MAX"}, "name": {"isHidden": true}}},
                {"path": "customers.country", "alias": "Country", "isExcluded": true}
            ]}}),
        )
        .await;
    assert!(status == 200 || status == 204, "{status} {body}");
    let configured = rows(s, &orders, &format!("columns=**&sort={by_id}")).await;
    assert_eq!(configured.len(), 5);
    assert_eq!(
        num(&configured[2]["customers__credit"]),
        50.0,
        "MAX override"
    );
    let names = keys(&configured[0]);
    assert!(!names.contains(&"customers__name"), "hidden: {names:?}");
    assert!(
        !names.iter().any(|k| k.starts_with("customers_country__")),
        "excluded: {names:?}"
    );
    let (status, body) = error(s, &orders, "column=customers_country__title").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["message"], "Unknown column: customers_country__title");
    let pre_hidden = b64(
        json!([{"column": "customers_country__title", "operator": "eq", "value": "x", "placement": "pre-join"}]),
    );
    let (status, body) = error(s, &orders, &format!("column=id&filter={pre_hidden}")).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().starts_with(
            "Cannot build report SQL. Disconnected columns: \"customers_country__title\""
        ),
        "{body}"
    );

    // HAVING on a joined SUM is refused (a FAILED run), as in the reference.
    let sum = b64(json!([{"column": "customers__credit", "function": "SUM"}]));
    let having = b64(
        json!([{"column": "customers__credit", "operator": "gt", "value": 1, "function": "SUM"}]),
    );
    let (status, body) = error(
        s,
        &orders,
        &format!("column=id&column=customers__credit&aggregation={sum}&filter={having}"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["details"]["errors"][0]["code"],
        "HAVING_ON_BLENDED_SLEEVE_METRIC_NOT_SUPPORTED"
    );

    // From the country data mart, `customers__credit` is no joined column (its own
    // relationship is `people`): the reference's "Disconnected columns" with the mart's id.
    let (status, body) = error(s, &countries, &format!("column=code&filter={pre}")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errorDetails"],
        json!({"unknownColumns": ["customers__credit"], "dataMartId": countries})
    );
}

#[tokio::test]
async fn blended_columns_on_duckdb() {
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let ids = [
        s.published_mart("orders", ORDERS).await,
        s.published_mart("customers", CUSTOMERS).await,
        s.published_mart("countries", COUNTRIES).await,
    ];
    scenario(&s, ids).await;
}

#[tokio::test]
async fn blended_columns_on_postgres() {
    let fixture = Fixture::new("").await;
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let storage = postgres_storage(&s, &fixture).await;
    let mut ids = Vec::new();
    for (title, sql) in [
        ("orders", ORDERS),
        ("customers", CUSTOMERS),
        ("countries", COUNTRIES),
    ] {
        let definition = json!({"definitionType": "SQL", "definition": {"sqlQuery": sql}});
        ids.push(published(&s, &storage, title, definition).await.0);
    }
    scenario(&s, ids.try_into().unwrap()).await;
    drop(server);
    fixture.drop_schema().await;
}

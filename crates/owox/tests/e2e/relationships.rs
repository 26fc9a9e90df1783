//! Issue 8 (part): relationships between data marts (checks, access, soft-deleted ends) and
//! their graph. The blended-fields configuration and blendable schema are in `blending`.

use serde_json::{json, Value};

use crate::support::{Server, Session};

pub(crate) const ORDERS: &str = "SELECT i AS id, i % 2 AS customer_id, CAST(i AS DOUBLE) AS amount, DATE '2024-01-01' + CAST(i AS INTEGER) AS day FROM range(4) t(i)";
pub(crate) const CUSTOMERS: &str =
    "SELECT i AS id, 'c' || i AS name, i AS country_id, 'x' AS secret FROM range(2) t(i)";
pub(crate) const COUNTRIES: &str =
    "SELECT i AS id, 'land' || i AS name, i * 1000 AS population FROM range(2) t(i)";

pub(crate) fn on(source: &str, target: &str) -> Value {
    json!([{"sourceFieldName": source, "targetFieldName": target}])
}

pub(crate) async fn relate(
    s: &Session,
    source: &str,
    target: &str,
    alias: &str,
    joins: Value,
) -> (u16, Value) {
    s.post(
        &format!("/api/data-marts/{source}/relationships"),
        json!({"targetDataMartId": target, "targetAlias": alias, "joinConditions": joins}),
    )
    .await
}

pub(crate) async fn created(
    s: &Session,
    source: &str,
    target: &str,
    alias: &str,
    joins: Value,
) -> String {
    let (status, body) = relate(s, source, target, alias, joins).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

/// The first validation message of a 400.
pub(crate) fn first_error(body: &Value) -> &str {
    body["details"]["errors"][0]["message"]
        .as_str()
        .unwrap_or("")
}

#[tokio::test]
async fn relationships_are_created_checked_updated_and_deleted() {
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let orders = s.published_mart("Orders", ORDERS).await;
    let customers = s.published_mart("Customers", CUSTOMERS).await;
    let storage = s.get("/api/data-storages").await.1[0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let (status, rel) = relate(
        &s,
        &orders,
        &customers,
        "customers",
        on("customer_id", "id"),
    )
    .await;
    assert_eq!(status, 201, "{rel}");
    assert_eq!(rel["dataStorageId"], storage.as_str());
    assert_eq!(rel["sourceDataMart"]["id"], orders.as_str());
    assert_eq!(
        rel["targetDataMart"],
        json!({"id": customers, "title": "Customers", "status": "PUBLISHED",
            "userHasAccess": true, "hasPrimaryKey": false})
    );
    assert_eq!(rel["joinConditions"], on("customer_id", "id"));
    assert_eq!(rel["createdById"], "0");
    assert_eq!(rel["createdByUser"]["userId"], "0");
    let id = rel["id"].as_str().unwrap().to_string();

    // Validation: the alias, the body shape, then the business rules.
    let (status, body) = relate(
        &s,
        &orders,
        &customers,
        "Bad-Alias",
        on("customer_id", "id"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        first_error(&body),
        "targetAlias must contain only lowercase letters, numbers, and underscores."
    );
    let (status, body) = s
        .post(
            &format!("/api/data-marts/{orders}/relationships"),
            json!({"targetAlias": 1}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["details"]["errors"].as_array().unwrap().len(),
        5,
        "{body}"
    );
    let (status, body) = relate(
        &s,
        &orders,
        &customers,
        "customers",
        on("customer_id", "id"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "Alias \"customers\" is already used in another relationship for this data mart"
    );
    assert_eq!(
        body["errorDetails"]["conflictingRelationshipId"],
        id.as_str()
    );
    let (status, body) = relate(&s, &orders, &orders, "me", on("id", "id")).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (
            400,
            Some("A data mart cannot have a relationship with itself")
        )
    );
    let (_, other_storage) = s
        .post("/api/data-storages", json!({"type": "DUCKDB"}))
        .await;
    let (_, elsewhere) = s
        .post(
            "/api/data-marts",
            json!({"title": "Elsewhere", "storageId": other_storage["id"]}),
        )
        .await;
    let elsewhere = elsewhere["id"].as_str().unwrap();
    let (status, body) = relate(&s, &orders, elsewhere, "far", json!([])).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (
            400,
            Some("Source and target data marts must belong to the same storage")
        )
    );
    for (joins, message) in [
        (
            on("customer.id", "id"),
            "Join field \"customer.id\" is not a top-level column",
        ),
        (on("nope", "id"), "Field not found in schema: nope"),
        (on("customer_id", "nope"), "Field not found in schema: nope"),
        (
            on("amount", "name"),
            "Incompatible types: \"amount\" (DOUBLE) and \"name\" (VARCHAR)",
        ),
    ] {
        let (status, body) = relate(&s, &orders, &customers, "c2", joins).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["message"].as_str().unwrap().starts_with(message),
            "{body}"
        );
    }
    let (status, body) = relate(&s, &orders, "missing", "m", json!([])).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (
            404,
            Some("Data Mart with id missing and projectId 0 not found")
        )
    );
    // `[]` is a draft relationship.
    let draft = created(&s, &orders, &customers, "draft_join", json!([])).await;

    // Update: alias, conditions, description; a taken alias is refused.
    let path = format!("/api/data-marts/{orders}/relationships/{id}");
    let (status, body) = s
        .call(
            "PATCH",
            &path,
            Some(json!({"targetAlias": "buyers", "description": " who buys "})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["targetAlias"].as_str(), body["description"].as_str()),
        (Some("buyers"), Some("who buys"))
    );
    let (status, body) = s
        .call("PATCH", &path, Some(json!({"targetAlias": "draft_join"})))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = s
        .call(
            "PATCH",
            &path,
            Some(json!({"joinConditions": on("id", "name"), "description": null})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = s
        .call(
            "PATCH",
            &path,
            Some(json!({"joinConditions": on("id", "id"), "description": null})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["joinConditions"], on("id", "id"));
    assert!(body.get("description").is_none(), "{body}");

    // The storage's relationships.
    let (status, list) = s
        .get(&format!("/api/data-storages/{storage}/relationships"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(s.get("/api/data-storages/nope/relationships").await.0, 404);

    // Delete, then it is gone (also through another data mart's path).
    let draft_path = format!("/api/data-marts/{orders}/relationships/{draft}");
    assert_eq!(
        s.delete(&format!(
            "/api/data-marts/{customers}/relationships/{draft}"
        ))
        .await
        .0,
        404
    );
    assert_eq!(s.delete(&draft_path).await.0, 204);
    let (status, body) = s.delete(&draft_path).await;
    assert_eq!(status, 404);
    assert_eq!(
        body["message"],
        format!("Relationship with ID {draft} not found for data mart {orders}")
    );
}

#[tokio::test]
async fn editing_needs_edit_on_both_ends_and_other_projects_see_nothing() {
    let server = Server::start(&[]);
    let admin = Session::new(&server, &server.create_key(&[])).await;
    let orders = admin.published_mart("Orders", ORDERS).await;
    let customers = admin.published_mart("Customers", CUSTOMERS).await;
    let id = created(
        &admin,
        &orders,
        &customers,
        "customers",
        on("customer_id", "id"),
    )
    .await;
    assert!(server
        .owox(&["members", "add", "ed@example.com", "--role", "editor"])
        .status
        .success());
    let ed = Session::new(&server, &server.create_key(&["--member", "ed@example.com"])).await;
    let store = server.store().await;
    store
        .update_data_mart(
            "0",
            &customers,
            owox_server::store::DataMartChange::Availability {
                for_reporting: true,
                for_maintenance: false,
            },
        )
        .await
        .unwrap();
    let (status, body) = relate(&ed, &orders, &customers, "c2", on("customer_id", "id")).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (
            403,
            Some("You do not have permission to create relationship between these DataMarts")
        )
    );
    let (status, body) = ed
        .call(
            "PATCH",
            &format!("/api/data-marts/{customers}/relationships/{id}"),
            Some(json!({"targetAlias": "x"})),
        )
        .await;
    assert_eq!(status, 404, "not a relationship of that data mart: {body}");
    // Ed may edit Orders (shared for maintenance) but not a relationship of Customers.
    let back = created(
        &admin,
        &customers,
        &orders,
        "orders",
        on("id", "customer_id"),
    )
    .await;
    let (status, body) = ed
        .delete(&format!("/api/data-marts/{customers}/relationships/{back}"))
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (
            403,
            Some("You do not have permission to manage relationships of this DataMart")
        )
    );
    // Seeing is enough for the graph; a data mart Ed cannot see is not found.
    assert_eq!(
        ed.get(&format!("/api/data-marts/{customers}/relationships/graph"))
            .await
            .0,
        200
    );
    store
        .update_data_mart(
            "0",
            &customers,
            owox_server::store::DataMartChange::Availability {
                for_reporting: false,
                for_maintenance: false,
            },
        )
        .await
        .unwrap();
    let (status, graph) = ed
        .get(&format!("/api/data-marts/{orders}/relationships/graph"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        graph["nodes"][0]["relationship"]["targetDataMart"]["userHasAccess"],
        false
    );
    assert_eq!(
        ed.get(&format!("/api/data-marts/{customers}/relationships/graph"))
            .await
            .0,
        404
    );
    assert_eq!(
        relate(&ed, &orders, &customers, "c3", json!([])).await.0,
        404
    );

    // Another project's key finds none of it.
    let out = server.owox(&["projects", "create", "Second", "--json"]);
    let project: Value = serde_json::from_slice(&out.stdout).unwrap();
    let project_id = project["id"].as_str().unwrap();
    assert!(server
        .owox(&[
            "members",
            "add",
            "b@example.com",
            "--role",
            "admin",
            "--project",
            project_id
        ])
        .status
        .success());
    let b = Session::new(&server, &server.create_key(&["--project", project_id])).await;
    let (status, body) = relate(&b, &orders, &customers, "x", json!([])).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        b.get(&format!("/api/data-marts/{orders}/relationships/graph"))
            .await
            .0,
        404
    );
    assert_eq!(
        b.delete(&format!("/api/data-marts/{orders}/relationships/{id}"))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn the_graph_of_a_chain_with_a_cycle_draft_and_missing_conditions() {
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let orders = s.published_mart("Orders", ORDERS).await;
    let customers = s.published_mart("Customers", CUSTOMERS).await;
    let countries = s.published_mart("Countries", COUNTRIES).await;
    let draft = s.draft_mart("Draft").await;
    created(
        &s,
        &orders,
        &customers,
        "customers",
        on("customer_id", "id"),
    )
    .await;
    created(
        &s,
        &customers,
        &countries,
        "country",
        on("country_id", "id"),
    )
    .await;
    created(&s, &countries, &orders, "orders", on("id", "id")).await;
    created(&s, &orders, &draft, "drafty", json!([])).await;
    created(&s, &draft, &countries, "land", json!([])).await;

    let (status, graph) = s
        .get(&format!("/api/data-marts/{orders}/relationships/graph"))
        .await;
    assert_eq!(status, 200, "{graph}");
    assert_eq!(graph["rootDataMartId"], orders.as_str());
    let nodes: Vec<(String, u64, bool, bool)> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["aliasPath"].as_str().unwrap().to_string(),
                n["depth"].as_u64().unwrap(),
                n["isCycleStub"].as_bool().unwrap(),
                n["isBlocked"].as_bool().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("customers", 1, false, false),
        ("customers.country", 2, false, false),
        ("customers.country.orders", 3, true, false),
        ("drafty", 1, false, false),
        ("drafty.land", 2, false, true),
        ("drafty.land.orders", 3, true, true),
    ];
    assert_eq!(
        nodes,
        expected
            .map(|(p, d, c, b)| (p.to_string(), d, c, b))
            .to_vec()
    );
    assert_eq!(
        graph["nodes"][3]["relationship"]["targetDataMart"]["status"],
        "DRAFT"
    );
    // Rooted at the draft, everything below is blocked.
    let (_, graph) = s
        .get(&format!("/api/data-marts/{draft}/relationships/graph"))
        .await;
    assert!(graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["isBlocked"] == true));
    assert_eq!(
        s.get("/api/data-marts/nope/relationships/graph").await.0,
        404
    );
}

//! Issue 8 (part): the blended-fields configuration of a data mart and its blendable schema.

use serde_json::json;

use crate::relationships::{created, first_error, on, COUNTRIES, CUSTOMERS, ORDERS};
use crate::support::{Server, Session};

#[tokio::test]
async fn blended_fields_config_round_trip_and_the_blendable_schema() {
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let orders = s.published_mart("Orders", ORDERS).await;
    let customers = s.published_mart("Customers", CUSTOMERS).await;
    let countries = s.published_mart("Countries", COUNTRIES).await;
    let draft = s.draft_mart("Draft").await;
    let (status, body) = s
        .put(
            &format!("/api/data-marts/{draft}/definition"),
            json!({"definitionType": "SQL", "definition": {"sqlQuery": "SELECT 1 AS id, 'd' AS note"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    created(
        &s,
        &orders,
        &customers,
        "customers",
        on("customer_id", "id"),
    )
    .await;
    let country = created(
        &s,
        &customers,
        &countries,
        "country",
        on("country_id", "id"),
    )
    .await;
    created(&s, &orders, &draft, "drafty", on("id", "id")).await;
    // Customers hides `secret` for reporting.
    let (_, mart) = s.get(&format!("/api/data-marts/{customers}")).await;
    let mut schema = mart["schema"].clone();
    schema["fields"][3]["isHiddenForReporting"] = json!(true);
    let (status, body) = s
        .put(
            &format!("/api/data-marts/{customers}/schema"),
            json!({"schema": schema}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // The configuration: validated, stored (descriptions trimmed) and shown on the data mart.
    let config_path = format!("/api/data-marts/{orders}/blended-fields-config");
    let (status, body) = s
        .put(
            &config_path,
            json!({"blendedFieldsConfig": {"sources": [{"path": "Bad", "alias": ""}]}}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["details"]["errors"].as_array().unwrap().len(),
        2,
        "{body}"
    );
    let (status, body) = s
        .put(
            &config_path,
            json!({"blendedFieldsConfig": {"sources": [{"path": "customers", "alias": "Buyers",
            "fields": {"x": {"aggregateFunction": "P50"}}}]}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let config = json!({"sources": [
        {"path": "customers", "alias": "Buyers", "description": " people ", "fields": {
            "name": {"isHidden": true},
            "id": {"aggregateFunction": "COUNT_DISTINCT", "alias": "Buyer count"}}},
        {"path": "customers.country", "alias": "Land", "isExcluded": true}
    ]});
    let (status, body) = s
        .put(&config_path, json!({"blendedFieldsConfig": config}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["blendedFieldsConfig"]["sources"][0]["description"],
        "people"
    );
    let (_, mart) = s.get(&format!("/api/data-marts/{orders}")).await;
    assert_eq!(mart["blendedFieldsConfig"], body["blendedFieldsConfig"]);

    let (status, bs) = s
        .get(&format!("/api/data-marts/{orders}/blendable-schema"))
        .await;
    assert_eq!(status, 200, "{bs}");
    let native: Vec<&str> = bs["nativeFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(native, ["id", "customer_id", "amount", "day"]);
    let names: Vec<&str> = bs["blendedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "customers__id",
            "customers__name",
            "customers__country_id",
            "customers_country__id",
            "customers_country__name",
            "customers_country__population"
        ],
        "unified names; the field hidden for reporting is absent; no draft target"
    );
    let id_field = &bs["blendedFields"][0];
    assert_eq!(
        (
            &id_field["aggregateFunction"],
            &id_field["type"],
            &id_field["sourceFieldType"],
            &id_field["alias"],
            &id_field["outputPrefix"]
        ),
        (
            &json!("COUNT_DISTINCT"),
            &json!("INTEGER"),
            &json!("BIGINT"),
            &json!("Buyer count"),
            &json!("Buyers")
        )
    );
    assert_eq!(bs["blendedFields"][1]["isHidden"], true);
    assert_eq!(bs["blendedFields"][1]["aggregateFunction"], "STRING_AGG");
    assert_eq!(bs["blendedFields"][5]["aggregateFunction"], "SUM");
    assert_eq!(
        bs["hiddenFieldNames"],
        json!(["customers__name", "customers__secret"])
    );
    let sources = bs["availableSources"].as_array().unwrap();
    assert_eq!(sources.len(), 2);
    assert_eq!(
        (
            &sources[0]["aliasPath"],
            &sources[0]["defaultAlias"],
            &sources[0]["isIncluded"],
            &sources[0]["joinDescription"]
        ),
        (
            &json!("customers"),
            &json!("Buyers"),
            &json!(true),
            &json!("people")
        )
    );
    assert_eq!(
        (&sources[1]["aliasPath"], &sources[1]["isIncluded"]),
        (&json!("customers.country"), &json!(false))
    );
    assert_eq!(sources[1]["relationshipId"], country.as_str());
    assert_eq!(sources[0]["uniqueCountAvailability"], "no-primary-key");

    // Draft targets only on request; bad values are refused.
    let (status, bs) = s
        .get(&format!(
            "/api/data-marts/{orders}/blendable-schema?includeDraftTargets=true"
        ))
        .await;
    assert_eq!(status, 200);
    let paths: Vec<&str> = bs["availableSources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["aliasPath"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["customers", "customers.country", "drafty"]);
    assert!(bs["blendedFields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "drafty__note"));
    let (status, body) = s
        .get(&format!(
            "/api/data-marts/{orders}/blendable-schema?includeDraftTargets=yes"
        ))
        .await;
    assert_eq!(
        (status, first_error(&body)),
        (400, "includeDraftTargets must be a boolean value.")
    );

    // Renaming an alias moves the configuration's paths.
    let (_, storages) = s.get("/api/data-storages").await;
    let rel = s
        .get(&format!(
            "/api/data-storages/{}/relationships",
            storages[0]["id"].as_str().unwrap()
        ))
        .await
        .1;
    let customers_rel = rel
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["targetAlias"] == "customers")
        .unwrap();
    let (status, _) = s
        .call(
            "PATCH",
            &format!(
                "/api/data-marts/{orders}/relationships/{}",
                customers_rel["id"].as_str().unwrap()
            ),
            Some(json!({"targetAlias": "buyers"})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, mart) = s.get(&format!("/api/data-marts/{orders}")).await;
    let paths: Vec<&str> = mart["blendedFieldsConfig"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["buyers", "buyers.country"]);

    // A soft-deleted target keeps its relationship and fails blending with a clear 400.
    assert_eq!(
        s.delete(&format!("/api/data-marts/{countries}")).await.0,
        200
    );
    let (status, body) = s
        .get(&format!("/api/data-marts/{orders}/blendable-schema"))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["message"],
        format!("Relationship \"country\" (id={country}) targets a data mart that has been deleted. Remove this relationship or restore the target data mart before running reports that depend on it.")
    );
    assert_eq!(body["errorDetails"]["relationshipId"], country.as_str());
    let (_, graph) = s
        .get(&format!("/api/data-marts/{orders}/relationships/graph"))
        .await;
    assert_eq!(graph["nodes"].as_array().unwrap().len(), 3, "{graph}");

    // `null` clears the configuration.
    let (status, body) = s
        .put(&config_path, json!({"blendedFieldsConfig": null}))
        .await;
    assert_eq!(status, 200);
    assert!(body.get("blendedFieldsConfig").is_none());
}

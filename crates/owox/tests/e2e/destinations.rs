//! Issue: destinations (part of relationships/reports): create, list, get, configure and
//! delete every 0.35.0 type, with credentials checked, sealed and never shown in full.

use serde_json::{json, Value};

use crate::support::{Server, Session};

const PRIVATE_KEY: &str =
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";

#[tokio::test]
async fn destinations_of_every_type() {
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;

    let cases = [
        (
            "GOOGLE_SHEETS",
            json!({"type": "google-sheets-credentials", "serviceAccountKey": {
            "type": "service_account", "project_id": "shop-123", "private_key_id": "k1",
            "private_key": PRIVATE_KEY, "client_email": "sa@shop-123.iam.gserviceaccount.com",
            "client_id": "42"}}),
        ),
        (
            "LOOKER_STUDIO",
            json!({"type": "looker-studio-credentials"}),
        ),
        ("EXCEL", Value::Null),
        (
            "EMAIL",
            json!({"type": "email-credentials", "to": ["team@example.com"]}),
        ),
        (
            "SLACK",
            json!({"type": "email-credentials", "to": ["c-abc@example.slack.com"]}),
        ),
        (
            "MS_TEAMS",
            json!({"type": "email-credentials", "to": ["x@example.com"]}),
        ),
        (
            "GOOGLE_CHAT",
            json!({"type": "email-credentials", "to": ["y@example.com"]}),
        ),
    ];
    let mut ids = Vec::new();
    for (t, credentials) in &cases {
        let (status, body) = s
            .post(
                "/api/data-destinations",
                json!({"title": format!("{t} out"), "type": t, "credentials": credentials}),
            )
            .await;
        assert_eq!(status, 201, "{t}: {body}");
        assert_eq!(body["type"], *t);
        assert_eq!(body["ownerUsers"][0]["userId"], "0");
        assert!(!body.to_string().contains("PRIVATE KEY"), "{body}");
        ids.push(body["id"].as_str().unwrap().to_string());
        match *t {
            "GOOGLE_SHEETS" => assert_eq!(
                body["credentials"],
                json!({"type": "google-sheets-credentials", "serviceAccountKey": {
                    "type": "service_account", "project_id": "shop-123",
                    "client_email": "sa@shop-123.iam.gserviceaccount.com", "client_id": "42"}})
            ),
            "LOOKER_STUDIO" => {
                assert_eq!(body["credentials"]["destinationId"], body["id"]);
                assert_eq!(
                    body["credentials"]["destinationSecretKey"]
                        .as_str()
                        .unwrap()
                        .len(),
                    64
                );
                assert!(body["credentials"]["deploymentUrl"]
                    .as_str()
                    .unwrap()
                    .starts_with("https://"));
            }
            "EXCEL" => assert_eq!(body["credentials"], Value::Null),
            _ => assert_eq!(body["credentials"]["to"], credentials["to"]),
        }
    }
    let (status, list) = s.get("/api/data-destinations").await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), cases.len());
    assert!(!list.to_string().contains("PRIVATE KEY"));

    // Invalid credentials: the reference's 400 with the issues.
    let (status, body) = s
        .post(
            "/api/data-destinations",
            json!({"title": "x", "type": "EMAIL", "credentials": {}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["message"], "Invalid credentials");
    assert_eq!(body["errorDetails"]["errors"].as_array().unwrap().len(), 2);
    let (status, body) = s
        .post(
            "/api/data-destinations",
            json!({"title": "x", "type": "FAX"}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["details"]["errors"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with(
            "type must be one of the following values: GOOGLE_SHEETS, LOOKER_STUDIO, EXCEL"
        ));

    // The sealed credentials hold the private key; the row's public part does not.
    assert!(
        !server.metadata_files_contain(b"MIIEvQIBAD"),
        "the private key is in the metadata files"
    );
    // (The check does see what is stored in clear, such as the public e-mail recipients.)
    assert!(server.metadata_files_contain(b"team@example.com"));

    // Update: title and config change, omitted credentials are kept, the Looker secret stays.
    let looker = &ids[1];
    let (_, before) = s.get(&format!("/api/data-destinations/{looker}")).await;
    let (status, after) = s
        .put(
            &format!("/api/data-destinations/{looker}"),
            json!({"title": "Renamed", "credentials": {"type": "looker-studio-credentials"}}),
        )
        .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["title"], "Renamed");
    assert_eq!(
        after["credentials"]["destinationSecretKey"],
        before["credentials"]["destinationSecretKey"]
    );
    let sheets = &ids[0];
    let (status, after) = s
        .put(
            &format!("/api/data-destinations/{sheets}"),
            json!({"title": "Sheets", "config": {"folderUrl": "https://drive.google.com/drive/folders/x"}}),
        )
        .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(
        after["credentials"]["serviceAccountKey"]["project_id"],
        "shop-123"
    );
    assert_eq!(
        after["config"]["folderUrl"],
        "https://drive.google.com/drive/folders/x"
    );

    // A viewer who owns none sees none of them (not shared with viewers); delete works once.
    let out = server.owox(&["members", "add", "viewer@example.com", "--role", "viewer"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let viewer = Session::new(
        &server,
        &server.create_key(&["--member", "viewer@example.com"]),
    )
    .await;
    let (status, list) = viewer.get("/api/data-destinations").await;
    assert_eq!((status, list), (200, json!([])));
    let (status, _) = viewer
        .get(&format!("/api/data-destinations/{sheets}"))
        .await;
    assert_eq!(status, 404);
    let (status, _) = s.delete(&format!("/api/data-destinations/{sheets}")).await;
    assert_eq!(status, 200);
    let (status, body) = s.get(&format!("/api/data-destinations/{sheets}")).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        body["message"],
        format!("Data Destination with id {sheets} not found")
    );
}

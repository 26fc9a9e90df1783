//! Issue 8 (part): report lists (whole, paged, by owners, by data mart) and what a second
//! member may do with reports, data marts and destinations they do not own.

use serde_json::{json, Value};

use crate::reports::{body, destination, SQL};
use crate::support::{Server, Session};

#[tokio::test]
async fn report_lists_page_and_filter_by_owners() {
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let mart = s.published_mart("orders", SQL).await;
    let other = s.published_mart("other", "SELECT 1 AS a").await;
    let email = destination(&s, "EMAIL").await;
    let mut ids = Vec::new();
    for (i, (m, owners)) in [(&mart, None), (&mart, Some(json!([]))), (&other, None)]
        .into_iter()
        .enumerate()
    {
        let mut b = body(m, &email, json!({"title": format!("r{i}")}));
        if let Some(o) = owners {
            b["ownerIds"] = o;
        }
        let (status, created) = s.post("/api/reports", b).await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["id"].as_str().unwrap().to_string());
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let listed = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    let (status, all) = s.get("/api/reports").await;
    assert_eq!(status, 200);
    assert_eq!(listed(&all), newest_first);
    let (_, page) = s.get("/api/reports?limit=2").await;
    assert_eq!(listed(&page), newest_first[..2]);
    let (_, page) = s.get("/api/reports?limit=2&offset=2").await;
    assert_eq!(listed(&page), newest_first[2..]);
    let (_, page) = s.get("/api/reports?offset=1").await;
    assert_eq!(
        listed(&page),
        newest_first[1..],
        "offset alone pages with the default limit"
    );
    let (_, page) = s.get("/api/reports?limit=0").await;
    assert_eq!(
        listed(&page).len(),
        3,
        "a non-positive limit is the default"
    );
    let (_, page) = s.get("/api/reports?limit=1000&offset=-5").await;
    assert_eq!(listed(&page).len(), 3);
    let (_, page) = s.get("/api/reports?offset=999999999").await;
    assert_eq!(listed(&page).len(), 0);
    let (_, owned) = s.get("/api/reports?ownerFilter=has_owners").await;
    assert_eq!(listed(&owned).len(), 2);
    let (_, unowned) = s.get("/api/reports?ownerFilter=no_owners").await;
    assert_eq!(listed(&unowned), [ids[1].clone()]);
    assert_eq!(unowned[0]["ownerUsers"], json!([]));
    let (status, _) = s.get("/api/reports?ownerFilter=mine").await;
    assert_eq!(status, 400);
    let (status, of_mart) = s.get(&format!("/api/reports/data-mart/{mart}")).await;
    assert_eq!(status, 200);
    assert_eq!(listed(&of_mart), [ids[1].clone(), ids[0].clone()]);
    let (status, _) = s.get("/api/reports/data-mart/nope").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_second_member_needs_access_to_data_mart_and_destination() {
    let server = Server::start(&[]);
    let admin = Session::new(&server, &server.create_key(&[])).await;
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
    let (_, context) = viewer.get("/api/auth/context").await;
    let viewer_id = context["userId"].as_str().unwrap().to_string();
    let mart = admin.published_mart("orders", SQL).await;
    let email = destination(&admin, "EMAIL").await;

    // The viewer sees the data mart (shared for reporting) but may not use the destination.
    let (status, err) = viewer
        .post("/api/reports", body(&mart, &email, json!({})))
        .await;
    assert_eq!(status, 404, "not even visible to a viewer: {err}");
    let (status, shared) = admin
        .post("/api/data-destinations", json!({"title": "shared", "type": "EMAIL",
            "credentials": {"type": "email-credentials", "to": ["a@example.com"]}, "ownerIds": [&viewer_id]}))
        .await;
    assert_eq!(status, 201, "{shared}");
    let shared = shared["id"].as_str().unwrap().to_string();

    // The admin's report: visible to the viewer, who may neither change nor run it.
    let (status, report) = admin
        .post("/api/reports", body(&mart, &email, json!({})))
        .await;
    assert_eq!(status, 201, "{report}");
    let path = format!("/api/reports/{}", report["id"].as_str().unwrap());
    let (status, seen) = viewer.get(&path).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(
        (&seen["canEditConfig"], &seen["canRun"]),
        (&json!(false), &json!(false))
    );
    let mut update = body(&mart, &email, json!({"title": "mine now"}));
    update.as_object_mut().unwrap().remove("dataMartId");
    let (status, err) = viewer.put(&path, update.clone()).await;
    assert_eq!(status, 403, "{err}");
    assert_eq!(
        err["message"],
        "You are not an owner of this report. Only report owners can modify it."
    );
    let (status, _) = viewer.delete(&path).await;
    assert_eq!(status, 403);
    // Owners must be members who can use the destination.
    let (status, err) = admin
        .post(
            "/api/reports",
            body(&mart, &email, json!({"ownerIds": ["nobody"]})),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(
        err["message"],
        "User nobody cannot be added as report owner — not a valid project member or lacks required access."
    );
    let (status, err) = admin
        .post(
            "/api/reports",
            body(&mart, &email, json!({"ownerIds": [&viewer_id]})),
        )
        .await;
    assert_eq!(status, 400, "the viewer cannot use that destination: {err}");

    // On a destination they own, the viewer creates and edits their own report.
    let (status, own) = viewer
        .post("/api/reports", body(&mart, &shared, json!({})))
        .await;
    assert_eq!(status, 201, "{own}");
    assert_eq!(
        (&own["canEditConfig"], &own["canRun"]),
        (&json!(true), &json!(true))
    );
    let own_path = format!("/api/reports/{}", own["id"].as_str().unwrap());
    let mut update = body(&mart, &shared, json!({"title": "mine"}));
    update.as_object_mut().unwrap().remove("dataMartId");
    let (status, updated) = viewer.put(&own_path, update).await;
    assert_eq!(
        (status, &updated["title"]),
        (200, &json!("mine")),
        "{updated}"
    );
    // Moving it to a destination they cannot use is refused.
    let mut moved = body(&mart, &email, json!({}));
    moved.as_object_mut().unwrap().remove("dataMartId");
    let (status, _) = viewer.put(&own_path, moved).await;
    assert_eq!(
        status, 404,
        "the admin's destination is not visible to the viewer"
    );
    let (status, _) = viewer.delete(&own_path).await;
    assert_eq!(status, 200);
}

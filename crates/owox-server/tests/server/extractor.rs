//! The auth extractor on a router with one route per role requirement.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::Router;
use owox_contract::auth::Role;
use owox_server::admin::{self, CreateKeyRequest};
use owox_server::auth::{Admin, Auth, Editor, Viewer};
use owox_server::state::AppState;
use owox_server::store::Store;
use tower::ServiceExt;

use crate::support::test_config;

async fn setup() -> (AppState, Router) {
    let store = Store::in_memory().await.unwrap();
    store.ensure_default_project().await.unwrap();
    let state = AppState::new(test_config(&[]), store).await.unwrap();
    let router = Router::new()
        .route(
            "/viewer",
            get(|a: Auth<Viewer>| async move { a.role.to_string() }),
        )
        .route(
            "/editor",
            get(|a: Auth<Editor>| async move { a.role.to_string() }),
        )
        .route(
            "/admin",
            get(|a: Auth<Admin>| async move { a.role.to_string() }),
        )
        .with_state(state.clone());
    (state, router)
}

async fn token_for(state: &AppState, member: &str, cap: Option<Role>) -> (String, String) {
    let key = admin::create_api_key(
        &state.store,
        "http://localhost:3000",
        &CreateKeyRequest {
            name: "k".into(),
            member_email: Some(member.into()),
            role_cap: cap,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let row = state
        .store
        .get_api_key(&key.api_key_id)
        .await
        .unwrap()
        .unwrap();
    (
        state
            .tokens
            .issue(&row.project_id, &row.user_id, &row.api_key_id)
            .unwrap(),
        key.api_key_id,
    )
}

async fn call(router: &Router, path: &str, token: &str, key_id: &str) -> (StatusCode, String) {
    let response = router
        .clone()
        .oneshot(
            Request::get(path)
                .header("x-owox-authorization", format!("Bearer {token}"))
                .header("x-owox-api-key-id", key_id)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn effective_role_is_the_lower_of_member_role_and_key_cap() {
    let (state, router) = setup().await;
    admin::add_member(&state.store, None, "ed@example.com", Role::Editor, None)
        .await
        .unwrap();
    let (editor_token, editor_key) = token_for(&state, "ed@example.com", None).await;
    assert_eq!(
        call(&router, "/viewer", &editor_token, &editor_key).await,
        (StatusCode::OK, "editor".into())
    );
    assert_eq!(
        call(&router, "/editor", &editor_token, &editor_key).await.0,
        StatusCode::OK
    );
    // The 403 body is rendered by the outer middleware in the app; here the status is enough.
    assert_eq!(
        call(&router, "/admin", &editor_token, &editor_key).await.0,
        StatusCode::FORBIDDEN
    );

    let (capped_token, capped_key) = token_for(&state, "admin@localhost", Some(Role::Viewer)).await;
    assert_eq!(
        call(&router, "/viewer", &capped_token, &capped_key).await,
        (StatusCode::OK, "viewer".into())
    );
    assert_eq!(
        call(&router, "/editor", &capped_token, &capped_key).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn role_changes_and_removal_take_effect_on_the_next_request() {
    let (state, router) = setup().await;
    admin::add_member(&state.store, None, "m@example.com", Role::Admin, None)
        .await
        .unwrap();
    let (token, key) = token_for(&state, "m@example.com", None).await;
    assert_eq!(
        call(&router, "/admin", &token, &key).await.0,
        StatusCode::OK
    );
    admin::set_member_role(&state.store, None, "m@example.com", Role::Viewer)
        .await
        .unwrap();
    assert_eq!(
        call(&router, "/admin", &token, &key).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&router, "/viewer", &token, &key).await,
        (StatusCode::OK, "viewer".into())
    );
    admin::remove_member(&state.store, None, "m@example.com")
        .await
        .unwrap();
    assert_eq!(
        call(&router, "/viewer", &token, &key).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn binding_and_token_checks() {
    let (state, router) = setup().await;
    let (token, key) = token_for(&state, "admin@localhost", None).await;
    assert_eq!(
        call(&router, "/viewer", &token, "pmk_BBBBBBBBBBBBBBBBBBBBBB")
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&router, "/viewer", "not-a-token", &key).await.0,
        StatusCode::UNAUTHORIZED
    );
    admin::revoke_api_key(&state.store, None, &key)
        .await
        .unwrap();
    assert_eq!(
        call(&router, "/viewer", &token, &key).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn admin_commands_refuse_bad_input_and_store_nothing() {
    let (state, _) = setup().await;
    let store = &state.store;
    let bad = [
        CreateKeyRequest {
            name: "".into(),
            ..Default::default()
        },
        CreateKeyRequest {
            name: "   ".into(),
            ..Default::default()
        },
        CreateKeyRequest {
            name: "x".repeat(101),
            ..Default::default()
        },
        CreateKeyRequest {
            name: "k".into(),
            member_email: Some("nobody@example.com".into()),
            ..Default::default()
        },
        CreateKeyRequest {
            name: "k".into(),
            project_id: Some("nope".into()),
            ..Default::default()
        },
        CreateKeyRequest {
            name: "k".into(),
            expires_at: Some("tomorrow".into()),
            ..Default::default()
        },
        CreateKeyRequest {
            name: "k".into(),
            expires_at: Some("2001-01-01T00:00:00Z".into()),
            ..Default::default()
        },
    ];
    for request in &bad {
        let err = admin::create_api_key(store, "http://localhost:3000", request)
            .await
            .unwrap_err();
        assert!(!err.to_string().is_empty());
    }
    admin::add_member(store, None, "v@example.com", Role::Viewer, None)
        .await
        .unwrap();
    let above = CreateKeyRequest {
        name: "k".into(),
        member_email: Some("v@example.com".into()),
        role_cap: Some(Role::Admin),
        ..Default::default()
    };
    let err = admin::create_api_key(store, "http://localhost:3000", &above)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("above the member's role"), "{err}");
    assert!(store.list_api_keys("0").await.unwrap().is_empty());
    assert!(
        admin::add_member(store, None, "not-an-email", Role::Viewer, None)
            .await
            .is_err()
    );
    assert!(
        admin::add_member(store, None, "v@example.com", Role::Viewer, None)
            .await
            .is_err(),
        "duplicate"
    );
    assert!(admin::revoke_api_key(store, None, "pmk_nope")
        .await
        .is_err());
    assert_eq!(store.list_members("0").await.unwrap().len(), 2);
}

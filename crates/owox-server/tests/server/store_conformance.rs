//! One suite, run against SQLite and against PostgreSQL: both backends behave alike.

use chrono::{Duration, Utc};
use owox_contract::auth::Role;
use owox_server::store::{NewApiKey, Store, DEFAULT_ADMIN_EMAIL, DEFAULT_PROJECT_ID};

use crate::support::PgDatabase;

async fn conformance(store: &Store) {
    // Migrations and the default project are idempotent.
    store.migrate().await.unwrap();
    store.ensure_default_project().await.unwrap();
    store.ensure_default_project().await.unwrap();
    let status = store.migration_status().await.unwrap();
    assert!(!status.is_empty() && status.iter().all(|m| m.applied));
    let projects = store.list_projects().await.unwrap();
    assert_eq!(projects.len(), 1);
    assert_eq!(projects[0].id, DEFAULT_PROJECT_ID);
    let members = store.list_members(DEFAULT_PROJECT_ID).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(
        (members[0].email.as_str(), members[0].role()),
        (DEFAULT_ADMIN_EMAIL, Role::Admin)
    );
    assert!(store.ping().await);

    // Members are per project; e-mails are unique within one.
    let other = store.create_project("Other ünïcode").await.unwrap();
    assert_eq!(
        store.get_project(&other.id).await.unwrap().unwrap().title,
        "Other ünïcode"
    );
    let m = store
        .add_member(&other.id, "v@example.com", Some("V"), Role::Viewer)
        .await
        .unwrap()
        .unwrap();
    assert!(store
        .add_member(&other.id, "v@example.com", None, Role::Admin)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .add_member(DEFAULT_PROJECT_ID, "v@example.com", None, Role::Editor)
        .await
        .unwrap()
        .is_some());
    assert!(store
        .find_member_by_email(&other.id, "nobody@example.com")
        .await
        .unwrap()
        .is_none());
    assert!(store.first_admin(&other.id).await.unwrap().is_none());
    assert!(store
        .set_member_role(&other.id, "v@example.com", Role::Admin)
        .await
        .unwrap());
    assert_eq!(
        store
            .get_member(&other.id, &m.user_id)
            .await
            .unwrap()
            .unwrap()
            .role(),
        Role::Admin
    );
    assert_eq!(
        store.first_admin(&other.id).await.unwrap().unwrap().user_id,
        m.user_id
    );
    assert!(!store
        .set_member_role(&other.id, "nobody@example.com", Role::Admin)
        .await
        .unwrap());

    // Keys: newest first, scoped by project, revocation moves revoked_at.
    let new_key = |id: &str, project: &str, user: &str| NewApiKey {
        api_key_id: id.into(),
        project_id: project.into(),
        user_id: user.into(),
        name: format!("key {id}"),
        role: Some(Role::Viewer),
        expires_at: Some(Utc::now() + Duration::days(1)),
        key_hash: "hash".into(),
        key_hash_salt: "salt".into(),
        key_hash_params: "{}".into(),
    };
    let k1 = store
        .insert_api_key(&new_key(
            "pmk_1111111111111111111111",
            &other.id,
            &m.user_id,
        ))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    store
        .insert_api_key(&new_key(
            "pmk_2222222222222222222222",
            &other.id,
            &m.user_id,
        ))
        .await
        .unwrap();
    assert_eq!(k1.role_cap(), Some(Role::Viewer));
    assert!(k1.is_active(Utc::now()));
    let listed: Vec<String> = store
        .list_api_keys(&other.id)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.api_key_id)
        .collect();
    assert_eq!(
        listed,
        ["pmk_2222222222222222222222", "pmk_1111111111111111111111"]
    );
    assert!(store
        .list_api_keys(DEFAULT_PROJECT_ID)
        .await
        .unwrap()
        .is_empty());
    assert!(
        !store
            .revoke_api_key(DEFAULT_PROJECT_ID, &k1.api_key_id)
            .await
            .unwrap(),
        "other project's key"
    );
    assert!(store
        .revoke_api_key(&other.id, &k1.api_key_id)
        .await
        .unwrap());
    let first_revocation = store
        .get_api_key(&k1.api_key_id)
        .await
        .unwrap()
        .unwrap()
        .revoked_at
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert!(store
        .revoke_api_key(&other.id, &k1.api_key_id)
        .await
        .unwrap());
    let revoked = store.get_api_key(&k1.api_key_id).await.unwrap().unwrap();
    assert!(revoked.revoked_at.unwrap() > first_revocation);
    assert!(!revoked.is_active(Utc::now()));
    store
        .touch_api_key("pmk_2222222222222222222222")
        .await
        .unwrap();
    assert!(store
        .get_api_key("pmk_2222222222222222222222")
        .await
        .unwrap()
        .unwrap()
        .last_authenticated_at
        .is_some());

    // Removing a member, then removing the project, cascades.
    assert!(store
        .remove_member(&other.id, "v@example.com")
        .await
        .unwrap());
    assert!(!store
        .remove_member(&other.id, "v@example.com")
        .await
        .unwrap());
    assert!(store
        .get_member(&other.id, &m.user_id)
        .await
        .unwrap()
        .is_none());

    storages_data_marts_and_runs(store).await;
    relationships(store).await;

    // Settings: the first value written wins.
    assert_eq!(
        store.setting_or_insert("k", "first").await.unwrap(),
        "first"
    );
    assert_eq!(
        store.setting_or_insert("k", "second").await.unwrap(),
        "first"
    );
}

async fn storages_data_marts_and_runs(store: &Store) {
    use owox_server::store::{DataMartChange, NewRun, NewStorage, OwnerPresence, Viewer};
    let p = DEFAULT_PROJECT_ID;
    let default = NewStorage {
        project_id: p,
        storage_type: "DUCKDB",
        title: None,
        config: Some(r#"{"databasePath":"duckdb/owox.duckdb"}"#),
        created_by_id: Some("0"),
        is_default: true,
    };
    let storage = store.insert_storage(&default).await.unwrap().unwrap();
    assert!(
        store.insert_storage(&default).await.unwrap().is_none(),
        "one default per project"
    );
    assert_eq!(
        store.default_storage(p).await.unwrap().unwrap().id,
        storage.id
    );
    assert_eq!(store.storage_owners(&storage.id).await.unwrap(), ["0"]);
    store
        .update_storage(p, &storage.id, Some("Mine"), Some("{}"), None)
        .await
        .unwrap();
    let updated = store.get_storage(p, &storage.id).await.unwrap().unwrap();
    assert_eq!(
        (updated.title.as_deref(), updated.config.as_deref()),
        (Some("Mine"), Some("{}"))
    );
    assert_eq!(store.list_storages(p).await.unwrap().len(), 1);

    // Visibility: admin all; a viewer only what is shared for reporting or owned.
    let shared = store
        .insert_data_mart(p, "shared", &storage.id, "0")
        .await
        .unwrap();
    // Creation times are kept to the millisecond; ties are ordered by id.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let private = store
        .insert_data_mart(p, "private", &storage.id, "0")
        .await
        .unwrap();
    store
        .update_data_mart(p, &shared.id, DataMartChange::Published)
        .await
        .unwrap();
    store
        .update_data_mart(p, &shared.id, DataMartChange::Title("shared ✓"))
        .await
        .unwrap();
    store
        .update_data_mart(p, &shared.id, DataMartChange::Description(Some("d")))
        .await
        .unwrap();
    store
        .update_data_mart(
            p,
            &shared.id,
            DataMartChange::Definition {
                definition_type: "SQL",
                definition: r#"{"sqlQuery":"SELECT 1"}"#,
            },
        )
        .await
        .unwrap();
    store
        .update_data_mart(
            p,
            &shared.id,
            DataMartChange::Schema {
                schema: "{}",
                actualized: true,
            },
        )
        .await
        .unwrap();
    let row = store.get_data_mart(p, &shared.id).await.unwrap().unwrap();
    assert_eq!(
        (
            row.status.as_str(),
            row.title.as_str(),
            row.description.as_deref()
        ),
        ("PUBLISHED", "shared ✓", Some("d"))
    );
    assert_eq!(row.definition_type.as_deref(), Some("SQL"));
    assert!(row.schema_actualized_at.is_some());
    assert_eq!(
        store.storage_data_mart_counts(&storage.id).await.unwrap(),
        (1, 1)
    );
    let admin = Viewer {
        role: Role::Admin,
        user_id: "0",
    };
    let (rows, total) = store
        .list_data_marts(p, admin, OwnerPresence::Any, 0, 1)
        .await
        .unwrap();
    assert_eq!((rows.len(), total), (1, 2), "page of one, total two");
    assert_eq!(rows[0].id, private.id, "newest first");
    let (_, none) = store
        .list_data_marts(p, admin, OwnerPresence::NoOwners, 0, 10)
        .await
        .unwrap();
    assert_eq!(none, 0);
    assert_eq!(
        store.data_mart_owners(&shared.id).await.unwrap(),
        [("0".to_string(), "technical".to_string())]
    );
    store.delete_data_mart(p, &private.id).await.unwrap();
    assert!(store.get_data_mart(p, &private.id).await.unwrap().is_none());
    assert_eq!(
        store
            .data_marts_on_storage(&storage.id)
            .await
            .unwrap()
            .len(),
        1
    );

    // Runs.
    let mart_id = shared.id.clone();
    let run = |id: &'static str, status: &'static str| NewRun {
        id,
        project_id: p,
        data_mart_id: &mart_id,
        report_id: None,
        run_type: "HTTP_DATA",
        status,
        definition_run: Some("{}"),
        errors: None,
        additional_params: Some(r#"{"httpData":{"format":"ndjson"}}"#),
        created_by_id: "0",
        started_at: Utc::now(),
    };
    store
        .insert_run(&run("11111111-1111-4111-8111-111111111111", "SUCCESS"))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    store
        .insert_run(&run("22222222-2222-4222-8222-222222222222", "FAILED"))
        .await
        .unwrap();
    let runs = store.list_runs(p, &shared.id, 10, 0).await.unwrap();
    assert_eq!(
        runs.iter().map(|r| r.status.as_str()).collect::<Vec<_>>(),
        ["FAILED", "SUCCESS"]
    );
    assert!(store
        .get_run_row(p, &shared.id, "11111111-1111-4111-8111-111111111111")
        .await
        .unwrap()
        .is_some());
    let viewer = Viewer {
        role: Role::Viewer,
        user_id: "nobody",
    };
    let history = store.list_project_runs(p, viewer, 10, 0).await.unwrap();
    assert_eq!(
        history.len(),
        2,
        "shared for reporting: visible to a viewer"
    );
    assert_eq!(history[0].1, "shared ✓");

    reports(store, &shared.id).await;

    store.delete_storage(p, &storage.id).await.unwrap();
    assert!(store.get_storage(p, &storage.id).await.unwrap().is_none());
    assert!(store.default_storage(p).await.unwrap().is_none());
}

async fn relationships(store: &Store) {
    use owox_server::store::{DataMartChange, NewRelationship, NewStorage, RelationshipChange};
    let p = DEFAULT_PROJECT_ID;
    let storage = store
        .insert_storage(&NewStorage {
            project_id: p,
            storage_type: "DUCKDB",
            title: Some("rel"),
            config: None,
            created_by_id: Some("0"),
            is_default: false,
        })
        .await
        .unwrap()
        .unwrap();
    let a = store
        .insert_data_mart(p, "a", &storage.id, "0")
        .await
        .unwrap();
    let b = store
        .insert_data_mart(p, "b", &storage.id, "0")
        .await
        .unwrap();
    let new = |alias: &'static str| NewRelationship {
        project_id: p,
        data_storage_id: &storage.id,
        source_data_mart_id: &a.id,
        target_data_mart_id: &b.id,
        target_alias: alias,
        join_conditions: "[]",
        description: Some("why"),
        created_by_id: "0",
    };
    let first = store.insert_relationship(&new("b")).await.unwrap().unwrap();
    assert!(
        store
            .insert_relationship(&new("b"))
            .await
            .unwrap()
            .is_none(),
        "alias taken"
    );
    let second = store
        .insert_relationship(&new("b2"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .relationship_by_alias(p, &a.id, "b2")
            .await
            .unwrap()
            .unwrap()
            .id,
        second.id
    );
    let config = r#"{"sources":[{"path":"b3","alias":"B"}]}"#;
    let renamed = RelationshipChange {
        target_alias: Some("b3"),
        join_conditions: Some(r#"[{"sourceFieldName":"x","targetFieldName":"y"}]"#),
        description: Some(None),
        source_blended_fields_config: Some(config),
    };
    assert!(store.update_relationship(&first, &renamed).await.unwrap());
    let taken = RelationshipChange {
        target_alias: Some("b3"),
        ..Default::default()
    };
    assert!(!store.update_relationship(&second, &taken).await.unwrap());
    let first = store.get_relationship(p, &first.id).await.unwrap().unwrap();
    assert_eq!(
        (first.target_alias.as_str(), first.description),
        ("b3", None)
    );
    assert!(first.join_conditions.contains("sourceFieldName"));
    let a_row = store.get_data_mart(p, &a.id).await.unwrap().unwrap();
    assert_eq!(a_row.blended_fields_config.as_deref(), Some(config));
    let on_storage = store
        .relationships_on_storage(p, &storage.id)
        .await
        .unwrap();
    assert_eq!(on_storage.len(), 2);
    // A soft-deleted target keeps its relationships and is still found, marked.
    store.delete_data_mart(p, &b.id).await.unwrap();
    assert_eq!(
        store
            .relationships_on_storage(p, &storage.id)
            .await
            .unwrap()
            .len(),
        2
    );
    let related = store
        .related_data_marts(p, &storage.id, &a.id)
        .await
        .unwrap();
    assert_eq!(related.len(), 2);
    assert!(related
        .iter()
        .any(|m| m.row.id == b.id && m.deleted_at.is_some()));
    let b_row = store
        .data_mart_with_deleted(p, &b.id)
        .await
        .unwrap()
        .unwrap();
    assert!(b_row.deleted_at.is_some());
    store
        .update_data_mart(p, &a.id, DataMartChange::BlendedFieldsConfig(None))
        .await
        .unwrap();
    store
        .update_data_mart(
            p,
            &a.id,
            DataMartChange::Availability {
                for_reporting: false,
                for_maintenance: false,
            },
        )
        .await
        .unwrap();
    let a_row = store.get_data_mart(p, &a.id).await.unwrap().unwrap();
    assert!(a_row.blended_fields_config.is_none() && !a_row.available_for_reporting);
    // A soft-deleted source hides its relationships.
    store.delete_data_mart(p, &a.id).await.unwrap();
    assert!(store
        .relationships_on_storage(p, &storage.id)
        .await
        .unwrap()
        .is_empty());
    assert!(store.delete_relationship(p, &second.id).await.unwrap());
    assert!(!store.delete_relationship(p, &second.id).await.unwrap());
}

/// Reports on a live data mart: insert (one per id), visibility and owner filters, paging,
/// optimistic updates, soft delete, the destination's report count, run records naming them.
async fn reports(store: &Store, data_mart_id: &str) {
    use owox_server::store::{
        DestinationWrite, NewRun, OwnerPresence, ReportUpdate, ReportWrite, Viewer,
    };
    let p = DEFAULT_PROJECT_ID;
    let destination = uuid::Uuid::new_v4().to_string();
    store
        .insert_destination(
            &destination,
            p,
            "EMAIL",
            &DestinationWrite {
                title: "mail",
                config: None,
                sealed_credentials: None,
                public_credentials: Some(r#"{"type":"email-credentials","to":["a@b.c"]}"#),
            },
            "0",
            &[],
        )
        .await
        .unwrap();
    let write = |title: &'static str, limit: Option<i64>| ReportWrite {
        title,
        data_destination_id: &destination,
        destination_config: r#"{"type":"email-config"}"#,
        column_config: Some(r#"["a"]"#),
        filter_config: Some(r#"[{"column":"a","operator":"is_null"}]"#),
        sort_config: None,
        aggregation_config: None,
        date_trunc_config: None,
        limit_config: limit,
        unique_count_config: None,
    };
    let id = uuid::Uuid::new_v4().to_string();
    assert!(store
        .insert_report(&id, p, data_mart_id, &write("first", Some(500)), "0", None)
        .await
        .unwrap());
    assert!(
        !store
            .insert_report(&id, p, data_mart_id, &write("again", None), "0", None)
            .await
            .unwrap(),
        "one live report per id"
    );
    let row = store.get_report(p, &id).await.unwrap().unwrap();
    assert_eq!(
        (
            row.title.as_str(),
            row.version,
            row.limit_config,
            row.runs_count
        ),
        ("first", 1, Some(500), 0)
    );
    assert_eq!(store.report_owners(&id).await.unwrap(), ["0"]);
    let admin = Viewer {
        role: Role::Admin,
        user_id: "0",
    };
    let nobody = Viewer {
        role: Role::Viewer,
        user_id: "nobody",
    };
    let count = |v: Viewer<'static>, o: OwnerPresence, page: Option<(u64, u64)>| async move {
        store.list_reports(p, v, o, page).await.unwrap().len()
    };
    assert_eq!(count(admin, OwnerPresence::Any, None).await, 1);
    assert_eq!(count(admin, OwnerPresence::HasOwners, None).await, 1);
    assert_eq!(count(admin, OwnerPresence::NoOwners, None).await, 0);
    assert_eq!(count(admin, OwnerPresence::Any, Some((1, 0))).await, 1);
    assert_eq!(count(admin, OwnerPresence::Any, Some((1, 1))).await, 0);
    assert_eq!(
        count(nobody, OwnerPresence::Any, None).await,
        1,
        "shared for reporting"
    );
    assert_eq!(
        store
            .list_reports_of_data_mart(p, data_mart_id)
            .await
            .unwrap()
            .len(),
        1
    );

    let owners = ["u2".to_string()];
    assert_eq!(
        store
            .update_report(p, &id, 1, &write("second", None), Some(&owners))
            .await
            .unwrap(),
        ReportUpdate::Applied
    );
    assert_eq!(
        store
            .update_report(p, &id, 1, &write("stale", None), None)
            .await
            .unwrap(),
        ReportUpdate::Stale
    );
    let row = store.get_report(p, &id).await.unwrap().unwrap();
    assert_eq!(
        (row.title.as_str(), row.version, row.limit_config),
        ("second", 2, None)
    );
    assert_eq!(store.report_owners(&id).await.unwrap(), ["u2"]);
    assert_eq!(
        store
            .reports_using_destination(p, &destination)
            .await
            .unwrap(),
        1
    );

    store
        .insert_run(&NewRun {
            id: "33333333-3333-4333-8333-333333333333",
            project_id: p,
            data_mart_id,
            report_id: Some(&id),
            run_type: "HTTP_DATA",
            status: "SUCCESS",
            definition_run: None,
            errors: None,
            additional_params: None,
            created_by_id: "0",
            started_at: Utc::now(),
        })
        .await
        .unwrap();
    let run = store
        .get_run_row(p, data_mart_id, "33333333-3333-4333-8333-333333333333")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.report_id.as_deref(), Some(id.as_str()));

    store.delete_report(p, &id).await.unwrap();
    assert!(store.get_report(p, &id).await.unwrap().is_none());
    assert_eq!(
        store
            .reports_using_destination(p, &destination)
            .await
            .unwrap(),
        0
    );
    assert!(
        store
            .insert_report(&id, p, data_mart_id, &write("revived", None), "0", None)
            .await
            .unwrap(),
        "a deleted report's id can be used again"
    );
    assert_eq!(store.get_report(p, &id).await.unwrap().unwrap().version, 1);
    store.delete_report(p, &id).await.unwrap();
}

#[tokio::test]
async fn sqlite_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::sqlite_file(&dir.path().join("nested/app.db"))
        .await
        .unwrap();
    conformance(&store).await;
    store.close().await;
    // The file survives a reopen with its data.
    let reopened = Store::sqlite_file(&dir.path().join("nested/app.db"))
        .await
        .unwrap();
    assert_eq!(reopened.list_projects().await.unwrap().len(), 2);
}

#[tokio::test]
async fn postgres_store_conforms() {
    let db = PgDatabase::create().await;
    let store = db.store().await;
    conformance(&store).await;
    store.close().await;
    db.drop_now().await;
}

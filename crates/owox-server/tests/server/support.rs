use std::collections::HashMap;

use owox_server::config::{Config, MetadataDb, Sources};
use owox_server::store::Store;

pub const ADMIN_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub fn test_config(extra: &[(&str, &str)]) -> Config {
    let mut env: HashMap<String, String> = HashMap::from([
        (
            "HOME".to_string(),
            std::env::temp_dir().display().to_string(),
        ),
        ("EXCHANGE_FAILURE_LIMIT".to_string(), "0".to_string()),
    ]);
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Config::resolve(&Sources {
        process_env: env,
        ..Sources::default()
    })
    .expect("test configuration is valid")
}

/// A fresh PostgreSQL database on the local server, dropped when the guard goes away.
pub struct PgDatabase {
    pub name: String,
    pub url: String,
}

impl PgDatabase {
    pub async fn create() -> Self {
        let name = format!("owox_test_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(ADMIN_PG_URL).await.expect(
            "the local PostgreSQL (127.0.0.1:5432, user postgres) must be running for these tests",
        );
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        Self {
            url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
            name,
        }
    }

    pub async fn store(&self) -> Store {
        let store = Store::connect(&MetadataDb::Postgres {
            url: self.url.clone(),
        })
        .await
        .unwrap();
        store.migrate().await.unwrap();
        store
    }

    pub async fn drop_now(self) {
        let admin = sqlx::PgPool::connect(ADMIN_PG_URL).await.unwrap();
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&admin)
        .await
        .unwrap();
        admin.close().await;
    }
}

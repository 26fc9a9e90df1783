//! `owox serve --demo`: a deterministic online-shop dataset on the default DuckDB storage,
//! published data marts over it (TABLE, VIEW and SQL definitions, a CSV and a Parquet file in
//! the imports folder), and a viewer API key printed with ready-to-run commands.
//!
//! Idempotent: the data is generated once (a marker table records it), the data marts are
//! created once (a server setting records it); a restart only prints a new key.

use owox_contract::auth::Role;
use owox_storage::{DuckDbAdmin, StorageError};

use crate::admin::{self, CreateKeyRequest};
use crate::error::ApiError;
use crate::http::definitions::publish_definition;
use crate::state::AppState;
use crate::store::{DEFAULT_ADMIN_USER_ID, DEFAULT_PROJECT_ID};

const DATA_VERSION: i64 = 1;
const MARTS_SETTING: &str = "demo_data_marts_v1";
const VIEWER_EMAIL: &str = "viewer@localhost";

/// Orders in the dataset.
pub const ORDERS: u64 = 1_000_000;

/// The data marts of the demo: title, description, definition type, definition.
const MARTS: &[(&str, &str, &str, &str)] = &[
    ("Orders", "Every order of the demo shop, two years (TABLE definition).", "TABLE", "shop.orders"),
    ("Customers", "Customers with their country and currency (VIEW definition).", "VIEW", "shop.customer_directory"),
    ("Products", "The product catalogue (TABLE definition).", "TABLE", "shop.products"),
    (
        "Daily revenue by country",
        "Completed orders per day and country, in EUR (SQL definition).",
        "SQL",
        "SELECT CAST(o.ordered_at AS DATE) AS order_date, c.country_name, c.currency_code, count(*) AS orders, sum(o.amount_eur) AS revenue_eur FROM shop.orders o JOIN shop.customer_directory c USING (customer_id) WHERE o.status = 'completed' GROUP BY ALL",
    ),
    (
        "Marketing spend (CSV import)",
        "Daily marketing spend per channel, read from imports/marketing_spend.csv.",
        "SQL",
        "SELECT * FROM read_csv('~/marketing_spend.csv')",
    ),
    (
        "Exchange rates (Parquet import)",
        "Monthly EUR exchange rates, read from imports/exchange_rates.parquet.",
        "SQL",
        "SELECT * FROM read_parquet('~/exchange_rates.parquet')",
    ),
];

/// The generator, as trusted SQL run before lockdown. Pseudo-random values come from integer
/// arithmetic on row numbers, so every run produces the same data.
fn generate_sql(imports: &str) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let csv = quote(&format!("{imports}/marketing_spend.csv"));
    let parquet = quote(&format!("{imports}/exchange_rates.parquet"));
    format!(
        r#"
CREATE SCHEMA IF NOT EXISTS shop;
CREATE OR REPLACE TABLE shop.countries AS SELECT * FROM (VALUES
  ('DE', 'Deutschland', 'EUR'), ('FR', 'France', 'EUR'), ('ES', 'España', 'EUR'),
  ('PL', 'Polska', 'PLN'), ('UA', 'Україна', 'UAH'), ('JP', '日本', 'JPY'),
  ('US', 'United States', 'USD'), ('GB', 'United Kingdom', 'GBP'), ('BR', 'Brasil', 'BRL'),
  ('TR', 'Türkiye', 'TRY'), ('SE', 'Sverige', 'SEK'), ('CZ', 'Česko', 'CZK')
) t(country_code, country_name, currency_code);
CREATE OR REPLACE TABLE shop.currencies AS SELECT currency_code, currency_name, CAST(eur_rate AS DECIMAL(12, 6)) AS eur_rate FROM (VALUES
  ('EUR', 'Euro', 1.0), ('PLN', 'Złoty', 0.23), ('UAH', 'Гривня', 0.024), ('JPY', '円', 0.0062),
  ('USD', 'US Dollar', 0.92), ('GBP', 'Pound Sterling', 1.17), ('BRL', 'Real', 0.18),
  ('TRY', 'Türk lirası', 0.028), ('SEK', 'Krona', 0.088), ('CZK', 'Koruna', 0.04)
) t(currency_code, currency_name, eur_rate);
CREATE OR REPLACE TABLE shop.products AS
SELECT i AS product_id,
       (['Widget', 'Gadget', 'Gizmo', 'Sprocket', 'Doohickey', 'Contraption', 'Gewürzmühle', 'Café press'])[1 + i % 8] || ' ' || (i // 8 + 1) AS product_name,
       (['Tools', 'Toys', 'Garden', 'Kitchen', 'Books', 'Électronique'])[1 + (i * 7) % 6] AS category,
       CAST(2 + ((i * 7919) % 49800) / 100.0 AS DECIMAL(10, 2)) AS list_price,
       CASE WHEN i % 17 = 0 THEN NULL ELSE DATE '2020-01-01' + CAST((i * 37) % 1400 AS INTEGER) END AS launched_on
FROM range(1, 501) t(i);
CREATE OR REPLACE TABLE shop.customers AS
SELECT i AS customer_id,
       'Customer ' || i AS customer_name,
       CASE WHEN i % 11 = 0 THEN NULL ELSE 'customer' || i || '@example.com' END AS email,
       (['DE', 'FR', 'ES', 'PL', 'UA', 'JP', 'US', 'GB', 'BR', 'TR', 'SE', 'CZ'])[1 + (i * 37) % 12] AS country_code,
       DATE '2022-01-01' + CAST((i * 104729) % 1000 AS INTEGER) AS signed_up_on,
       (i % 5 = 0) AS newsletter
FROM range(1, 50001) t(i);
CREATE OR REPLACE VIEW shop.customer_directory AS
SELECT c.customer_id, c.customer_name, c.email, c.country_code, k.country_name, k.currency_code, c.signed_up_on, c.newsletter
FROM shop.customers c JOIN shop.countries k USING (country_code);
CREATE OR REPLACE TABLE shop.orders AS
WITH raw AS (
  SELECT i AS order_id,
         TIMESTAMP '2024-01-01 00:00:00' + to_seconds(CAST((i * 7919) % 63158400 AS BIGINT)) AS ordered_at,
         1 + (i * 104729) % 50000 AS customer_id,
         1 + (i * 15485863) % 500 AS product_id,
         CAST(1 + i % 5 AS INTEGER) AS quantity,
         CASE (i * 31) % 10 WHEN 0 THEN 'cancelled' WHEN 1 THEN 'pending' ELSE 'completed' END AS status,
         CASE WHEN i % 13 = 0 THEN NULL ELSE CAST(((i * 9973) % 1500) / 100.0 AS DECIMAL(10, 2)) END AS discount_eur
  FROM range(1, {orders} + 1) t(i)
)
SELECT r.order_id, r.ordered_at, r.customer_id, r.product_id, r.quantity, r.status, r.discount_eur,
       CAST(r.quantity * p.list_price - coalesce(r.discount_eur, 0) AS DECIMAL(12, 2)) AS amount_eur,
       (r.order_id * 2654435761) % 4294967296 * 1048576 + r.order_id AS tracking_number
FROM raw r JOIN shop.products p USING (product_id)
ORDER BY r.order_id;
COPY (
  SELECT DATE '2024-01-01' + CAST(d AS INTEGER) AS day, channel,
         CAST(((d * 31 + length(channel) * 977) % 90000) / 100.0 AS DECIMAL(10, 2)) AS spend_eur,
         CAST((d * 13 + length(channel) * 7) % 5000 AS INTEGER) AS clicks
  FROM range(0, 731) t(d), (VALUES ('search'), ('social'), ('e-mail'), ('affiliates')) c(channel)
  ORDER BY day, channel
) TO {csv} (HEADER, DELIMITER ',');
COPY (
  SELECT DATE '2024-01-01' + INTERVAL (m) MONTH AS month, currency_code,
         CAST(eur_rate * (1 + ((m * 17 + length(currency_name)) % 21 - 10) / 1000.0) AS DECIMAL(12, 6)) AS eur_rate
  FROM range(0, 24) t(m), shop.currencies
  ORDER BY month, currency_code
) TO {parquet} (FORMAT parquet);
CREATE OR REPLACE TABLE shop._owox_demo AS SELECT {version} AS version;
"#,
        orders = ORDERS,
        version = DATA_VERSION,
    )
}

fn generate_once(admin: &DuckDbAdmin) -> Result<(), StorageError> {
    let done: bool = admin
        .connection()
        .query_row(
            "SELECT count(*) > 0 FROM information_schema.tables WHERE table_schema = 'shop' AND table_name = '_owox_demo'",
            [],
            |row| row.get(0),
        )
        .map_err(|e| StorageError::Internal(format!("demo check failed: {e}")))?;
    if done {
        return Ok(());
    }
    let imports = admin
        .imports_dir()
        .to_str()
        .ok_or_else(|| StorageError::Internal("the imports folder path is not UTF-8".into()))?
        .to_string();
    tracing::info!(orders = ORDERS, "generating demo data (once)");
    admin.execute_batch(&generate_sql(&imports))
}

/// Sets up the demo and returns the text to print.
pub async fn prepare(state: &AppState) -> anyhow::Result<String> {
    let storage = state
        .store
        .default_storage(DEFAULT_PROJECT_ID)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the default project has no default storage"))?;
    state
        .engines
        .open_with_setup(&storage, generate_once)
        .await
        .map_err(api_error)?;

    if state
        .store
        .setting_or_insert(MARTS_SETTING, "pending")
        .await?
        != "done"
    {
        for (title, description, definition_type, definition) in MARTS {
            let row = state
                .store
                .insert_data_mart(
                    DEFAULT_PROJECT_ID,
                    title,
                    &storage.id,
                    DEFAULT_ADMIN_USER_ID,
                )
                .await?;
            let key = if *definition_type == "SQL" {
                "sqlQuery"
            } else {
                "fullyQualifiedName"
            };
            let definition = serde_json::json!({ key: definition });
            publish_definition(
                state,
                &row,
                &storage,
                Some(description),
                definition_type,
                &definition,
            )
            .await
            .map_err(api_error)?;
        }
        state.store.set_setting(MARTS_SETTING, "done").await?;
    }

    if state
        .store
        .find_member_by_email(DEFAULT_PROJECT_ID, VIEWER_EMAIL)
        .await?
        .is_none()
    {
        admin::add_member(
            &state.store,
            None,
            VIEWER_EMAIL,
            Role::Viewer,
            Some("Demo Viewer"),
        )
        .await?;
    }
    let key = admin::create_api_key(
        &state.store,
        &state.config.public_origin,
        &CreateKeyRequest {
            name: "demo viewer".into(),
            member_email: Some(VIEWER_EMAIL.into()),
            ..Default::default()
        },
    )
    .await?;
    let origin = &state.config.public_origin;
    let secret = owox_contract::api_key::parse_api_key(&key.api_key)
        .map(|p| p.api_key_secret)
        .unwrap_or_default();
    let orders_id = state
        .store
        .list_data_marts(
            DEFAULT_PROJECT_ID,
            crate::store::Viewer {
                role: Role::Admin,
                user_id: DEFAULT_ADMIN_USER_ID,
            },
            crate::store::OwnerPresence::Any,
            0,
            1000,
        )
        .await?
        .0
        .into_iter()
        .find(|m| m.title == "Orders")
        .map(|m| m.id)
        .unwrap_or_else(|| "<data mart id>".into());
    Ok(format!(
        "\nDemo ready: {marts} published data marts on the embedded DuckDB storage ({orders} orders).\n\
         A new viewer API key (shown once):\n\n  export OWOX_API_KEY={api_key}\n\n\
         Try it with owox-ctl (cargo install --path crates/owox-ctl):\n  owox-ctl status\n  owox-ctl data-marts list\n  owox-ctl data-marts stream {orders_id} --limit 10\n\n\
         Or with curl:\n  TOKEN=$(curl -s -X POST {origin}/api/auth/api-keys/exchange -H 'X-OWOX-Api-Key-Id: {id}' -H 'Content-Type: application/json' -d '{{\"apiKeySecret\":\"{secret}\"}}' | sed -E 's/.*\"accessToken\":\"([^\"]+)\".*/\\1/')\n  curl -s '{origin}/api/external/http-data/data-marts/{orders_id}.ndjson?limit=5' -H \"X-OWOX-Authorization: Bearer $TOKEN\" -H 'X-OWOX-Api-Key-Id: {id}'\n\n\
         API documentation: {origin}/api/swagger-ui\n",
        marts = MARTS.len(),
        orders = ORDERS,
        api_key = key.api_key,
        id = key.api_key_id,
    ))
}

fn api_error(e: ApiError) -> anyhow::Error {
    anyhow::anyhow!("demo setup failed: {e}")
}

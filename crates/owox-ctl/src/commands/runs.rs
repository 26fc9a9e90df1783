//! `runs list`, `runs get`, `runs cancel` (beyond the reference CLI).

use owox_api_client::RunListOptions;
use serde_json::{json, Value};

use super::client;
use crate::output::{print_json, CliError};

/// `runs list`: prints the `runs` array (project history, or one data mart's runs).
pub async fn list(
    data_mart: Option<&str>,
    options: RunListOptions,
    env_file: Option<&str>,
) -> Result<(), CliError> {
    let (_, client) = client(env_file)?;
    let body = match data_mart {
        Some(id) => client.runs().for_data_mart(id)?.list_json(options).await?,
        None => client.runs().list_json(options).await?,
    };
    print_json(body.get("runs").unwrap_or(&Value::Array(vec![])));
    Ok(())
}

/// `runs get`: prints the run.
pub async fn get(data_mart_id: &str, run_id: &str, env_file: Option<&str>) -> Result<(), CliError> {
    let (_, client) = client(env_file)?;
    let run = client
        .runs()
        .for_data_mart(data_mart_id)?
        .get_json(run_id)
        .await?;
    print_json(&run);
    Ok(())
}

/// `runs cancel`: prints `{"dataMartId", "runId", "cancelled": true}`.
pub async fn cancel(
    data_mart_id: &str,
    run_id: &str,
    env_file: Option<&str>,
) -> Result<(), CliError> {
    let (_, client) = client(env_file)?;
    client
        .runs()
        .for_data_mart(data_mart_id)?
        .cancel(run_id)
        .await?;
    print_json(&json!({ "dataMartId": data_mart_id, "runId": run_id, "cancelled": true }));
    Ok(())
}

//! One module per command family.

pub mod lists;
pub mod runs;
pub mod status;
pub mod stream;

use owox_api_client::OwoxClient;

use crate::env::Env;
use crate::output::CliError;

/// Loads the environment for a command (`-e` or `.env`).
pub fn load_env(env_file: Option<&str>) -> Result<Env, CliError> {
    Env::load(env_file).map_err(|message| CliError::Client(owox_api_client::Error::config(message)))
}

/// Loads the environment and builds the client from `OWOX_API_KEY`.
pub fn client(env_file: Option<&str>) -> Result<(Env, OwoxClient), CliError> {
    let env = load_env(env_file)?;
    let client = OwoxClient::new(&env.get("OWOX_API_KEY").unwrap_or_default())?;
    Ok((env, client))
}

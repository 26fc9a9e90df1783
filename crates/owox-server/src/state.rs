//! The one state value every handler receives.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::auth::keys::KeyHasher;
use crate::auth::rate_limit::FailureLimiter;
use crate::auth::tokens::TokenService;
use crate::config::Config;
use crate::engines::Engines;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub tokens: Arc<TokenService>,
    pub hasher: KeyHasher,
    pub exchange_limiter: Arc<FailureLimiter>,
    /// Open storage engines, one per storage.
    pub engines: Arc<Engines>,
    /// False until start-up work (migrations, default project, demo data) is done.
    pub ready: Arc<AtomicBool>,
    /// Set when SIGINT/SIGTERM arrives: new streams are refused, running ones end.
    pub shutting_down: Arc<AtomicBool>,
    /// Streams running on this instance, by run id, so a cancel request can interrupt them.
    pub running:
        Arc<std::sync::Mutex<std::collections::HashMap<String, owox_storage::CancelHandle>>>,
}

impl AppState {
    pub async fn new(config: Config, store: Store) -> anyhow::Result<Self> {
        let tokens = TokenService::load(
            &store,
            config.token_secret.as_deref(),
            config.access_token_ttl,
        )
        .await?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Self {
            exchange_limiter: Arc::new(FailureLimiter::new(config.exchange_failure_limit)),
            engines: Arc::new(Engines::new(
                &config,
                store.clone(),
                crate::secrets::SecretBox::from_config(&config)?,
            )),
            config: Arc::new(config),
            store,
            tokens: Arc::new(tokens),
            hasher: KeyHasher::new(cores),
            ready: Arc::new(AtomicBool::new(false)),
            running: Arc::default(),
            shutting_down: Arc::new(AtomicBool::new(false)),
        })
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::Release)
    }
}

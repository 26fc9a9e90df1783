//! Start-up and shutdown of `owox serve`.

use std::net::SocketAddr;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::state::AppState;
use crate::store::Store;

/// Opens the store, applies migrations (unless `RUN_MIGRATIONS=false`), creates the default
/// project, and serves until SIGINT/SIGTERM. Running requests get `SHUTDOWN_GRACE_SECONDS` to
/// finish.
pub async fn run(config: Config, demo: bool) -> anyhow::Result<()> {
    let store = Store::connect(&config.db).await?;
    if config.run_migrations {
        store.migrate().await?;
    } else if store.migration_status().await?.iter().any(|m| !m.applied) {
        anyhow::bail!(
            "the metadata store has pending migrations and RUN_MIGRATIONS=false: run `owox migrations up` first"
        );
    }
    store.ensure_default_project().await?;
    crate::admin::ensure_default_storage(&store, crate::store::DEFAULT_PROJECT_ID).await?;
    let state = AppState::new(config.clone(), store.clone()).await?;
    let address = SocketAddr::new(config.host, config.port);
    let listener = TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    // Listen at once (health answers 503 meanwhile), then finish start-up work.
    let server = tokio::spawn(serve(listener, state.clone()));
    tokio::spawn(watch_cancellations(state.clone()));
    if demo {
        match crate::demo::prepare(&state).await {
            Ok(text) => println!("{text}"),
            Err(e) => {
                server.abort();
                return Err(e);
            }
        }
    }
    state.set_ready();
    server.await.context("server task failed")??;
    store.close().await;
    Ok(())
}

/// How often running streams check whether their run was cancelled through another instance.
const CANCEL_POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// Interrupts the streams of this instance whose run ended elsewhere (a cancel request that
/// another instance sharing the metadata store answered). Costs one query per second while
/// streams run, none otherwise.
async fn watch_cancellations(state: AppState) {
    let mut tick = tokio::time::interval(CANCEL_POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let ids: Vec<String> = match state.running.lock() {
            Ok(running) => running.keys().cloned().collect(),
            Err(_) => continue,
        };
        if ids.is_empty() {
            continue;
        }
        match state.store.ended_runs_among(&ids).await {
            Ok(ended) => {
                for id in ended {
                    let handle = state.running.lock().ok().and_then(|mut r| r.remove(&id));
                    if let Some(handle) = handle {
                        tracing::info!(run_id = %id, "run ended elsewhere: interrupting its stream");
                        handle.cancel();
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot check running streams for cancellation"),
        }
    }
}

/// Serves on an already bound listener until SIGINT/SIGTERM. `/health/ready` answers 200 once
/// the caller marks the state ready.
pub async fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<()> {
    let grace = state.config.shutdown_grace;
    let address = listener.local_addr()?;
    let app = crate::http::app(state.clone());
    tracing::info!(
        %address,
        public_origin = %state.config.public_origin,
        metadata = state.store.backend_name(),
        "OWOX Data Marts server listening; API documentation at {}/api/swagger-ui",
        state.config.public_origin
    );
    let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
    let shutting_down = state.shutting_down.clone();
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: no new connections; running streams end now");
        shutting_down.store(true, std::sync::atomic::Ordering::Release);
        let _ = stopping_tx.send(true);
    });
    tokio::select! {
        result = server => result.context("HTTP server failed")?,
        _ = async {
            let _ = stopping_rx.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(grace).await;
        } => tracing::warn!(grace_seconds = grace.as_secs(), "requests still running after the grace period; stopping anyway"),
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

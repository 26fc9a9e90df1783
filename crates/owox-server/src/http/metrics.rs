//! Prometheus metrics at `/metrics`: requests by route, method and status, and a latency
//! histogram by route. Other modules add their own series through the `metrics` macros: HTTP
//! Data streams count their rows, bytes, active streams, ended streams and their durations
//! by outcome (`http_data_*`).

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

/// The process-wide recorder; installed once, whatever the number of apps built.
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                &[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
                ],
            )
            .expect("static bucket list is valid")
            // A stream from its run's start to its end: a query's whole time, up to hours.
            .set_buckets_for_metric(
                Matcher::Full("http_data_stream_duration_seconds".into()),
                &[
                    0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
                ],
            )
            .expect("static bucket list is valid")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (embedding); then ours only renders.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(render))
}

async fn render() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle().render(),
    )
        .into_response()
}

/// Middleware: counts and times every request under its route template.
pub async fn track(request: Request, next: Next) -> Response {
    handle();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

//! The HTTP layer: one module per resource, assembled here with the middleware stack.
//!
//! Layer order, outermost first: error envelopes (needs the original URL and the client's
//! `x-request-id`), request id (honours an incoming one), tracing, metrics, `/api` cache
//! headers, compression (never for NDJSON). Routing happens before `Router::layer` middleware,
//! so every layer sees the matched route.

pub mod auth;
mod blending;
pub mod body;
pub mod data_marts;
pub mod definitions;
mod destinations;
mod health;
pub mod http_data;
pub mod metrics;
mod ndjson;
mod ndjson_body;
pub mod openapi;
mod relationship_body;
mod relationship_views;
mod relationships;
mod report_access;
mod report_config;
mod report_destination;
mod report_outputs;
mod report_stream;
mod reports;
mod runs;
pub mod storages;
mod totals;
mod triggers;
mod users;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderName, HeaderValue, Method, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;

use crate::error::{render_envelopes, ApiError};
use crate::state::AppState;

/// Every documented API route, with its OpenAPI description.
pub fn api_routes() -> OpenApiRouter<AppState> {
    let mut base = openapi::base_document();
    base.merge(<http_data::HttpDataDoc as utoipa::OpenApi>::openapi());
    base.merge(<report_stream::ReportStreamDoc as utoipa::OpenApi>::openapi());
    OpenApiRouter::with_openapi(base)
        .merge(auth::router())
        .merge(storages::router())
        .merge(data_marts::router())
        .merge(destinations::router())
        .merge(reports::router())
        .merge(report_outputs::router())
        .merge(runs::router())
        .merge(triggers::router())
        .merge(relationships::router())
        .merge(relationship_views::router())
        .merge(blending::router())
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    let (api, doc) = api_routes().split_for_parts();
    let document = openapi::ApiDocument::new(doc);
    let request_id = HeaderName::from_static("x-request-id");
    let compression = CompressionLayer::new().compress_when(
        SizeAbove::new(1024)
            .and(NotForContentType::GRPC)
            .and(NotForContentType::IMAGES)
            .and(NotForContentType::const_new("application/x-ndjson")),
    );
    let metrics_enabled = state.config.metrics_enabled;
    let mut router = api
        .merge(openapi::router(document))
        .merge(http_data::router())
        .merge(report_stream::router())
        .merge(health::router());
    if metrics_enabled {
        router = router.merge(metrics::router());
    }
    router
        .fallback(no_route)
        .with_state(state)
        .layer(compression)
        .layer(middleware::from_fn(api_cache_headers))
        .layer(middleware::from_fn(metrics::track))
        // 5xx are logged once, with their cause, by `render_envelopes`; a 503 from
        // `/health/ready` during start-up is not a failure worth an ERROR line.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(make_span)
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(middleware::from_fn(render_envelopes))
        .layer(DefaultBodyLimit::max(body::BODY_LIMIT))
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    let url = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    ApiError::no_route(&method, url)
}

fn make_span(request: &Request) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %request_id,
    )
}

/// The reference's cache headers on `/api` (auth.md §1): conditional request headers are
/// dropped, responses are never cached, and `Vary` names the credentials.
async fn api_cache_headers(mut request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/api") {
        return next.run(request).await;
    }
    request.headers_mut().remove(header::IF_NONE_MATCH);
    request.headers_mut().remove(header::IF_MODIFIED_SINCE);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v == "application/json")
    {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store, max-age=0"),
        );
    }
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(header::EXPIRES, HeaderValue::from_static("0"));
    headers.append(
        header::VARY,
        HeaderValue::from_static("Cookie, Authorization, X-OWOX-Authorization"),
    );
    response
}

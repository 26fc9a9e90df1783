//! The OpenAPI document (generated from the handlers' `#[utoipa::path]` attributes) at
//! `/api/openapi.json` and `/api/openapi.yaml`, and Swagger UI at `/api/swagger-ui` from assets
//! embedded in the binary.
//!
//! After generation the document is post-processed as the reference's `createSwaggerDocument`
//! does (auth.md §12): every secured operation gets the `X-OWOX-Api-Key-Id` header parameter and
//! its 401/403 responses, every operation with a body gets 413. A handler states its role in its
//! security requirement's scope list (`security(("X-OWOX-Authorization" = ["viewer"]))`); the
//! scope is turned into the 403 text and then removed.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};
use utoipa::OpenApi;

use crate::state::AppState;
use owox_contract::auth::Role;

pub const SECURITY_SCHEME: &str = "X-OWOX-Authorization";
const KEY_ID_PARAM: &str = "X-OWOX-Api-Key-Id";
const SWAGGER_PATH: &str = "/api/swagger-ui";

#[derive(OpenApi)]
#[openapi(info(
    title = "OWOX Data Marts API",
    description = "REST API used by frontend clients and service integrations.",
    version = "1.0"
))]
struct BaseDoc;

pub fn base_document() -> utoipa::openapi::OpenApi {
    BaseDoc::openapi()
}

/// The finished document, rendered once at start-up.
pub struct ApiDocument {
    pub json: String,
    pub yaml: String,
}

impl ApiDocument {
    pub fn new(doc: utoipa::openapi::OpenApi) -> Arc<Self> {
        let mut value = serde_json::to_value(&doc).expect("an OpenAPI document serializes");
        finalize(&mut value);
        let yaml = serde_norway::to_string(&value).expect("a JSON value serializes as YAML");
        Arc::new(Self {
            json: value.to_string(),
            yaml,
        })
    }
}

/// Applies the reference's post-processing to every operation.
pub fn finalize(doc: &mut Value) {
    doc["info"]["contact"] = json!({});
    if let Some(info) = doc["info"].as_object_mut() {
        info.remove("license");
    }
    doc["tags"] = json!([]);
    doc["servers"] = json!([]);
    let components = doc
        .as_object_mut()
        .expect("document is an object")
        .entry("components")
        .or_insert_with(|| json!({}));
    components["securitySchemes"] = json!({
        SECURITY_SCHEME: {
            "type": "apiKey",
            "in": "header",
            "name": SECURITY_SCHEME,
            "description": "OWOX access token using the Bearer scheme."
        }
    });
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
            if let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) {
                finalize_operation(op);
            }
        }
    }
}

fn finalize_operation(op: &mut Map<String, Value>) {
    if op.contains_key("requestBody") {
        add_response(op, "413", "Request body too large");
    }
    let role = op
        .get("security")
        .and_then(Value::as_array)
        .and_then(|reqs| reqs.iter().find_map(|r| r.get(SECURITY_SCHEME)))
        .map(|scopes| {
            scopes
                .as_array()
                .and_then(|s| s.first())
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<Role>().ok())
        });
    let Some(role) = role else {
        return;
    };
    op.insert("security".into(), json!([{ SECURITY_SCHEME: [] }]));
    let mut params: Vec<Value> = op
        .remove("parameters")
        .and_then(|p| p.as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .filter(|p| {
            let name = p.get("name").and_then(Value::as_str).unwrap_or("");
            !(p.get("in") == Some(&json!("header"))
                && (name.eq_ignore_ascii_case(SECURITY_SCHEME)
                    || name.eq_ignore_ascii_case(KEY_ID_PARAM)))
        })
        .collect();
    params.push(json!({
        "name": KEY_ID_PARAM,
        "in": "header",
        "required": false,
        "description": "Required when X-OWOX-Authorization contains an API-key access token; must match the token API key ID.",
        "schema": { "type": "string" }
    }));
    op.insert("parameters".into(), Value::Array(params));
    add_response(op, "401", "Authentication required");
    if let Some(role) = role {
        add_response(
            op,
            "403",
            &format!("Forbidden. Required role: {}", role.display_name()),
        );
    }
}

/// Adds a response, or joins the text to an existing one with a blank line (as the reference).
fn add_response(op: &mut Map<String, Value>, status: &str, description: &str) {
    let responses = op
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("responses is an object");
    match responses.get_mut(status) {
        Some(existing) => {
            let old = existing
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if !old.contains(description) {
                existing["description"] = if old.is_empty() {
                    description.into()
                } else {
                    format!("{description}\n\n{old}").into()
                };
            }
        }
        None => {
            responses.insert(status.into(), json!({ "description": description }));
        }
    }
}

pub fn router(document: Arc<ApiDocument>) -> Router<AppState> {
    let swagger_config = Arc::new(utoipa_swagger_ui::Config::from("/api/openapi.json"));
    let for_index = swagger_config.clone();
    let json_doc = document.clone();
    Router::new()
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = json_doc.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                        doc.json.clone(),
                    )
                }
            }),
        )
        .route(
            "/api/openapi.yaml",
            get(move || {
                let doc = document.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "text/yaml; charset=utf-8")],
                        doc.yaml.clone(),
                    )
                }
            }),
        )
        .route(
            SWAGGER_PATH,
            get(move || {
                let config = for_index.clone();
                async move { swagger_index(config, true) }
            }),
        )
        .route(
            &format!("{SWAGGER_PATH}/"),
            get(|State(config)| async move { swagger_index(config, false) })
                .with_state(swagger_config.clone()),
        )
        .route(
            &format!("{SWAGGER_PATH}/{{*file}}"),
            get(swagger_file).with_state(swagger_config),
        )
}

/// The Swagger UI page. Served at `/api/swagger-ui` without a trailing slash, its relative
/// asset links must name the `swagger-ui/` folder, as the reference's do.
fn swagger_index(config: Arc<utoipa_swagger_ui::Config<'static>>, without_slash: bool) -> Response {
    match utoipa_swagger_ui::serve("index.html", config) {
        Ok(Some(file)) => {
            let html = String::from_utf8_lossy(&file.bytes);
            let html = if without_slash {
                html.replace("\"./", "\"./swagger-ui/")
                    .replace("\"index.css\"", "\"./swagger-ui/index.css\"")
            } else {
                html.into_owned()
            };
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn swagger_file(
    State(config): State<Arc<utoipa_swagger_ui::Config<'static>>>,
    Path(file): Path<String>,
) -> Response {
    if file.is_empty() || file == "index.html" {
        return swagger_index(config, false);
    }
    match utoipa_swagger_ui::serve(&file, config) {
        Ok(Some(f)) => (
            [(header::CONTENT_TYPE, f.content_type)],
            f.bytes.into_owned(),
        )
            .into_response(),
        _ => crate::error::ApiError::no_route(
            &axum::http::Method::GET,
            &format!("{SWAGGER_PATH}/{file}"),
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secured_operations_get_the_key_header_and_auth_responses() {
        let mut doc = json!({
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/api/x": {
                    "get": {
                        "security": [{ "X-OWOX-Authorization": ["editor"] }],
                        "parameters": [{"name": "x-owox-api-key-id", "in": "header"}],
                        "responses": {"403": {"description": "Own text"}}
                    },
                    "post": {
                        "requestBody": {"content": {}},
                        "responses": {"200": {"description": ""}}
                    }
                }
            }
        });
        finalize(&mut doc);
        let get = &doc["paths"]["/api/x"]["get"];
        assert_eq!(get["security"], json!([{ "X-OWOX-Authorization": [] }]));
        assert_eq!(get["parameters"].as_array().unwrap().len(), 1);
        assert_eq!(get["parameters"][0]["name"], "X-OWOX-Api-Key-Id");
        assert_eq!(
            get["responses"]["401"]["description"],
            "Authentication required"
        );
        assert_eq!(
            get["responses"]["403"]["description"],
            "Forbidden. Required role: Technical User\n\nOwn text"
        );
        assert!(get["responses"].get("413").is_none());
        let post = &doc["paths"]["/api/x"]["post"];
        assert_eq!(
            post["responses"]["413"]["description"],
            "Request body too large"
        );
        assert!(post.get("security").is_none() && post.get("parameters").is_none());
        assert_eq!(
            doc["components"]["securitySchemes"]["X-OWOX-Authorization"]["in"],
            "header"
        );
    }
}

//! Issue: server foundation. OpenAPI, Swagger UI, health, metrics, envelopes, headers.

use serde_json::Value;

use crate::support::{assert_body_matches, client, spec_dir, vector, Server};

#[tokio::test]
async fn openapi_document_is_valid_and_the_yaml_is_the_same_document() {
    let server = Server::start(&[]);
    let r = client()
        .get(server.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let json_text = r.text().await.unwrap();
    let doc: Value = serde_json::from_str(&json_text).unwrap();
    assert_eq!(doc["info"]["title"], "OWOX Data Marts API");
    assert_eq!(
        doc["components"]["securitySchemes"]["X-OWOX-Authorization"],
        serde_json::json!({"type":"apiKey","in":"header","name":"X-OWOX-Authorization","description":"OWOX access token using the Bearer scheme."})
    );

    // A real validator, not our own reading of the specification.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &json_text).unwrap();
    let out = std::process::Command::new("python3")
        .args([
            "-m",
            "openapi_spec_validator",
            &file.path().display().to_string(),
        ])
        .output()
        .expect("python3 is needed for the OpenAPI validation test");
    assert!(
        out.status.success(),
        "openapi-spec-validator (pip install openapi-spec-validator) rejected the document:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let r = client()
        .get(server.url("/api/openapi.yaml"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/yaml; charset=utf-8");
    let yaml: Value = serde_norway::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(yaml, doc);
}

#[tokio::test]
async fn protected_operations_document_the_key_id_header_and_auth_responses() {
    let server = Server::start(&[]);
    let doc: Value = client()
        .get(server.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let context = &doc["paths"]["/api/auth/context"]["get"];
    assert_eq!(context["operationId"], "AuthContextController_getContext");
    assert_eq!(
        context["security"],
        serde_json::json!([{"X-OWOX-Authorization": []}])
    );
    assert_eq!(context["parameters"][0]["name"], "X-OWOX-Api-Key-Id");
    assert_eq!(context["parameters"][0]["required"], false);
    assert_eq!(
        context["responses"]["401"]["description"],
        "Authentication required"
    );
    assert_eq!(
        context["responses"]["403"]["description"],
        "Forbidden. Required role: Business User"
    );
    let exchange = &doc["paths"]["/api/auth/api-keys/exchange"]["post"];
    assert_eq!(exchange["operationId"], "ApiKeyExchangeController_exchange");
    assert!(exchange.get("security").is_none());
    assert_eq!(exchange["parameters"].as_array().unwrap().len(), 1);
    assert_eq!(exchange["parameters"][0]["required"], true);
    assert_eq!(
        exchange["responses"]["413"]["description"],
        "Request body too large"
    );
    assert!(exchange["responses"]["429"].is_object());
}

/// Every documented operation is served, and every reference operation we do not document
/// answers the reference's 404 for unknown routes.
#[tokio::test]
async fn routes_and_document_agree() {
    let server = Server::start(&[]);
    let ours: Value = client()
        .get(server.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(spec_dir().join("reference-openapi.json")).unwrap(),
    )
    .unwrap();
    let methods = ["get", "post", "put", "patch", "delete"];
    let operations = |doc: &Value| -> Vec<(String, String)> {
        let mut ops = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for m in methods {
                if item.get(m).is_some() {
                    ops.push((m.to_string(), path.clone()));
                }
            }
        }
        ops
    };
    let ours_ops = operations(&ours);
    assert!(!ours_ops.is_empty());
    let concrete = |path: &str| path.replace('{', "x").replace('}', "");
    let is_cannot = |body: &Value, method: &str, path: &str| {
        body["message"] == format!("Cannot {} {}", method.to_uppercase(), path)
    };
    for (method, path) in &ours_ops {
        let url = concrete(path);
        let r = client()
            .request(method.to_uppercase().parse().unwrap(), server.url(&url))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert!(
            !(status == 404 && is_cannot(&body, method, &url)),
            "{method} {path} is documented but not routed"
        );
    }
    // A reference path that one of our templates also matches (`/api/data-marts/runs` and
    // `/api/data-marts/{id}`) is answered by ours, as the reference's router would.
    let shadowed = |method: &str, path: &str| {
        ours_ops.iter().any(|(m, template)| {
            let t: Vec<&str> = template.split('/').collect();
            let p: Vec<&str> = path.split('/').collect();
            m == method
                && t.len() == p.len()
                && t.iter()
                    .zip(&p)
                    .all(|(a, b)| a == b || (a.starts_with('{') && !b.starts_with('{')))
        })
    };
    let mut missing = 0;
    for (method, path) in operations(&reference) {
        if ours_ops.contains(&(method.clone(), path.clone()))
            || !path.starts_with("/api/")
            || shadowed(&method, &path)
        {
            continue;
        }
        let url = concrete(&path);
        let r = client()
            .request(method.to_uppercase().parse().unwrap(), server.url(&url))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            404,
            "{method} {path} answers but is not documented"
        );
        let body: Value = r.json().await.unwrap();
        assert!(is_cannot(&body, &method, &url), "{method} {path}: {body}");
        missing += 1;
    }
    assert!(
        missing > 100,
        "the reference surface was read ({missing} operations not served)"
    );
}

#[tokio::test]
async fn swagger_ui_is_served_from_embedded_assets() {
    let server = Server::start(&[]);
    for path in [
        "/api/swagger-ui",
        "/api/swagger-ui/",
        "/api/swagger-ui/index.html",
    ] {
        let r = client().get(server.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("<title>Swagger UI</title>"));
    }
    let html = client()
        .get(server.url("/api/swagger-ui"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let assets: Vec<&str> = html
        .split(['"', '\''])
        .filter(|s| s.starts_with("./swagger-ui/"))
        .collect();
    assert!(assets.len() >= 4, "{assets:?}");
    for asset in assets {
        let r = client()
            .get(server.url(&format!("/api/{}", &asset[2..])))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{asset}");
    }
    let init = client()
        .get(server.url("/api/swagger-ui/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(init.contains("/api/openapi.json"), "{init}");
}

#[tokio::test]
async fn health_and_metrics() {
    let server = Server::start(&[]);
    for path in ["/health/live", "/health/ready"] {
        assert_eq!(
            client()
                .get(server.url(path))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    client().get(server.url("/api/nope")).send().await.unwrap();
    let metrics = server.metrics().await;
    assert!(!metrics.is_empty());
    for series in metrics.keys() {
        assert!(
            series.chars().next().unwrap().is_ascii_alphabetic(),
            "bad name in {series}"
        );
    }
    assert!(
        metrics.contains_key(r#"http_requests_total{method="GET",route="unmatched",status="404"}"#),
        "{metrics:?}"
    );
    assert!(
        metrics
            .keys()
            .any(|k| k.starts_with("http_request_duration_seconds_bucket")),
        "{metrics:?}"
    );

    let disabled = Server::start(&[("METRICS_ENABLED", "false")]);
    assert_eq!(
        client()
            .get(disabled.url("/metrics"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn error_envelopes_match_the_recorded_vectors() {
    let server = Server::start(&[]);
    for (file, name) in [
        ("errors.json", "unknown-route-404"),
        ("exchange.json", "exchange-404-wrong-method"),
    ] {
        let v = vector(file, name);
        let r = client()
            .request(
                v["request"]["method"].as_str().unwrap().parse().unwrap(),
                server.url(v["request"]["path"].as_str().unwrap()),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            v["response"]["status"].as_u64().unwrap() as u16,
            "{name}"
        );
        assert_eq!(
            r.headers()["cache-control"],
            v["response"]["headers"]["Cache-Control"].as_str().unwrap()
        );
        assert_eq!(
            r.headers()["content-type"],
            v["response"]["headers"]["Content-Type"].as_str().unwrap()
        );
        assert!(r.headers()["vary"]
            .to_str()
            .unwrap()
            .starts_with("Cookie, Authorization, X-OWOX-Authorization"));
        assert_body_matches(&r.json().await.unwrap(), &v["response"]["body"]);
    }

    // Malformed JSON: the reference's shape (the parser's message differs by implementation).
    let r = client()
        .post(server.url("/api/auth/api-keys/exchange"))
        .header("content-type", "application/json")
        .body(r#"{"name":"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["message", "error", "statusCode", "timestamp", "path"]
    );
    assert_eq!(body["message"], "Unexpected end of JSON input");
    assert_eq!(body["error"], "Bad Request");

    // Over 2 MiB: 413 in the bare shape.
    let big = format!(r#"{{"apiKeySecret":"{}"}}"#, "a".repeat(3 * 1024 * 1024));
    let r = client()
        .post(server.url("/api/auth/api-keys/exchange"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_body_matches(
        &r.json().await.unwrap(),
        &serde_json::json!({"statusCode":413,"message":"Request body too large","timestamp":"{{timestamp}}","path":"/api/auth/api-keys/exchange"}),
    );

    // An incoming request id is echoed in the body and the header.
    let r = client()
        .get(server.url("/api/nope?q=1"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["requestId"], "abc-123");
    assert_eq!(body["path"], "/api/nope?q=1");
    assert_eq!(body["message"], "Cannot GET /api/nope?q=1");
}

#[tokio::test]
async fn json_is_compressed_when_large_and_cache_headers_are_set() {
    let server = Server::start(&[]);
    let r = client()
        .get(server.url("/api/openapi.json"))
        .header("accept-encoding", "gzip")
        .header("if-none-match", "W/\"x\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert_eq!(r.headers()["cache-control"], "private, no-store, max-age=0");
    assert_eq!(r.headers()["pragma"], "no-cache");
    assert_eq!(r.headers()["expires"], "0");
    let r = client()
        .get(server.url("/health/live"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert!(
        r.headers().get("content-encoding").is_none(),
        "small bodies stay plain"
    );
}

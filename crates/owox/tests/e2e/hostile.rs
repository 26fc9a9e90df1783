//! Issue: reliability and security. Replays the hostile-input corpus (hostile-corpus.json):
//! injection through every string that reaches SQL, malformed and oversized input, duplicate
//! parameters and header tricks. Each case ends in its expected status class and never in a
//! 5xx; afterwards the data and the saved definitions are unchanged.

use serde_json::{json, Value};

use crate::http_data::{b64, stream};
use crate::support::{client, Server, Session};

const SQL: &str = "SELECT i AS id, 'name ' || i AS name, CAST(i AS DECIMAL(10,2)) AS amount, DATE '2024-01-01' + CAST(i AS INTEGER) AS day, i AS \"quote\"\"d\", i AS \"\"\"sp ace\"\"\" FROM range(20) t(i)";

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// The `q` value of a case, with the generated ones expanded.
fn query_value(q: &Value) -> String {
    match q.as_str() {
        Some("IN_LIST") => {
            let values: Vec<i64> = (0..10_000).collect();
            b64(json!([{"column": "id", "operator": "in", "value": values}]))
        }
        Some("NESTED") => {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(nested(300))
        }
        _ => b64(q.clone()),
    }
}

/// The raw body of a case, if it has one.
fn raw_body(case: &Value, storage: &str) -> Option<Vec<u8>> {
    if let Some(hex) = case["raw_hex"].as_str() {
        return Some(
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect(),
        );
    }
    if let Some(text) = case["raw_text"].as_str() {
        return Some(text.as_bytes().to_vec());
    }
    Some(match case["raw"].as_str()? {
        "DEEP_JSON" => format!("{{\"title\": {}}}", nested(300)).into_bytes(),
        "BIG_JSON" => json!({"title": "x".repeat(3 << 20)})
            .to_string()
            .into_bytes(),
        "LONG_TITLE" => json!({"title": "x".repeat(100_000), "storageId": storage})
            .to_string()
            .into_bytes(),
        other => panic!("unknown raw body {other}"),
    })
}

async fn ndjson(s: &Session, mart: &str) -> String {
    let r = stream(
        s,
        &format!("/api/external/http-data/data-marts/{mart}.ndjson"),
    )
    .await;
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

#[tokio::test]
async fn hostile_inputs_end_in_clear_answers_and_change_nothing() {
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let mart = s.published_mart("target", SQL).await;
    let (_, storages) = s.get("/api/data-storages").await;
    let default_storage = storages[0]["id"].as_str().unwrap().to_string();
    let draft = s.draft_mart("draft").await;
    let (_, spare) = s
        .post("/api/data-storages", json!({"type": "DUCKDB"}))
        .await;
    let spare = spare["id"].as_str().unwrap().to_string();
    let (_, spare_before) = s.get(&format!("/api/data-storages/{spare}")).await;
    let before = ndjson(&s, &mart).await;
    assert_eq!(before.lines().count(), 20);

    let corpus: Value = serde_json::from_str(include_str!("hostile-corpus.json")).unwrap();
    let cases = corpus["cases"].as_array().unwrap();
    let mut report = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let mut path = case["path"]
            .as_str()
            .unwrap()
            .replace("{MART}", &mart)
            .replace("{DRAFT}", &draft)
            .replace("{STORAGE}", &spare);
        if path.contains("{Q}") {
            path = path.replace("{Q}", &query_value(&case["q"]));
        }
        let method = case["method"].as_str().unwrap_or("GET");
        let mut request = client().request(method.parse().unwrap(), format!("{}{path}", s.base));
        if case["no_auth"] != json!(true) {
            request = request
                .header("x-owox-authorization", format!("Bearer {}", s.token))
                .header("x-owox-api-key-id", &s.key_id);
        }
        for pair in case["headers"].as_array().into_iter().flatten() {
            let value = pair[1]
                .as_str()
                .unwrap()
                .replace("{TOKEN}", &s.token)
                .replace("HUGE", &"a".repeat(100_000));
            request = request.header(pair[0].as_str().unwrap(), value);
        }
        if let Some(body) = raw_body(case, &default_storage) {
            request = request
                .header("content-type", "application/json")
                .body(body);
        } else if !case["body"].is_null() {
            request = request.json(&case["body"]);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let ok = match case["expect"].as_str().unwrap() {
            "4xx" => (400..500).contains(&status),
            "any" => status < 500,
            exact => status.to_string() == exact,
        };
        if let Some(rows) = case["rows"].as_u64() {
            assert_eq!(text.lines().count() as u64, rows, "{name}: {text}");
        }
        if status < 300 && path.contains(".ndjson") {
            for line in text.lines() {
                serde_json::from_str::<Value>(line)
                    .unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {line}"));
            }
        }
        if status >= 400 && status != 413 && status != 431 {
            let body: Value = serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("{name}: error body is not JSON: {text}"));
            assert!(body["message"].is_string(), "{name}: {body}");
        }
        report.push(format!(
            "{status} {name}{}",
            if status == 424 {
                format!(": {}", text.chars().take(400).collect::<String>())
            } else {
                String::new()
            }
        ));
        assert!(
            ok && status < 500,
            "{name}: got {status}, expected {}: {}",
            case["expect"],
            text.chars().take(300).collect::<String>()
        );
    }
    eprintln!("{} hostile cases:\n{}", cases.len(), report.join("\n"));

    // Nothing changed.
    assert_eq!(ndjson(&s, &mart).await, before);
    let (_, draft_after) = s.get(&format!("/api/data-marts/{draft}")).await;
    assert_eq!(draft_after["definition"], Value::Null, "{draft_after}");
    let (_, spare_after) = s.get(&format!("/api/data-storages/{spare}")).await;
    assert_eq!(spare_after["config"], spare_before["config"]);
    let (status, _) = s.get("/api/auth/context").await;
    assert_eq!(status, 200, "the server still answers");
}

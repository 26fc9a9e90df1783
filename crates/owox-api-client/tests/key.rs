use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use owox_api_client::{parse_api_key, Error, OwoxClient};

fn key_of(json: &str) -> String {
    format!("owox_key_{}", URL_SAFE_NO_PAD.encode(json))
}

fn message(key: &str) -> String {
    match parse_api_key(key) {
        Err(Error::Config { message }) => message,
        other => panic!("expected a config error for {key:?}, got {other:?}"),
    }
}

#[test]
fn reference_messages_in_order() {
    let cases = [
        ("", "OWOX_API_KEY is required and must start with owox_key_"),
        (
            "pmk_x",
            "OWOX_API_KEY is required and must start with owox_key_",
        ),
        (
            "owox_key_",
            "OWOX_API_KEY must contain a valid base64url payload",
        ),
        (
            "owox_key_abc=",
            "OWOX_API_KEY must contain a valid base64url payload",
        ),
        (
            "owox_key_ab+/",
            "OWOX_API_KEY must contain a valid base64url payload",
        ),
        (
            "owox_key_YWJj\n",
            "OWOX_API_KEY must contain a valid base64url payload",
        ),
        (
            "owox_key_a",
            "OWOX_API_KEY must contain a valid JSON payload",
        ),
        (
            &key_of("nope"),
            "OWOX_API_KEY must contain a valid JSON payload",
        ),
        (&key_of("[1]"), "OWOX_API_KEY must contain a JSON object"),
        (&key_of("null"), "OWOX_API_KEY must contain a JSON object"),
        (
            &key_of(r#"{"apiOrigin":"http://a","apiKeyId":"i"}"#),
            "OWOX_API_KEY must include apiOrigin, apiKeyId, and apiKeySecret",
        ),
        (
            &key_of(r#"{"apiOrigin":"http://a","apiKeyId":"i","apiKeySecret":"  "}"#),
            "OWOX_API_KEY must include apiOrigin, apiKeyId, and apiKeySecret",
        ),
        (
            &key_of(r#"{"apiOrigin":"http://a/x","apiKeyId":"i","apiKeySecret":"s"}"#),
            "OWOX_API_KEY apiOrigin must be a valid http or https origin",
        ),
        (
            &key_of(r#"{"apiOrigin":"https://u:p@a","apiKeyId":"i","apiKeySecret":"s"}"#),
            "OWOX_API_KEY apiOrigin must be a valid http or https origin",
        ),
        (
            &key_of(r#"{"apiOrigin":"ftp://a","apiKeyId":"i","apiKeySecret":"s"}"#),
            "OWOX_API_KEY apiOrigin must be a valid http or https origin",
        ),
    ];
    for (key, expected) in cases {
        assert_eq!(message(key), expected, "{key:?}");
        assert_eq!(OwoxClient::new(key).unwrap_err().name(), "OWOXConfigError");
    }
}

#[test]
fn trims_fields_and_normalizes_the_origin() {
    let parts = parse_api_key(&key_of(r#"{"apiOrigin":" HTTPS://App.Example.COM:443/ ","apiKeyId":" pmk_1 ","apiKeySecret":" s "}"#)).unwrap();
    assert_eq!(parts.api_origin, "https://app.example.com");
    assert_eq!(parts.api_key_id, "pmk_1");
    assert_eq!(parts.api_key_secret, "s");
}

#[test]
fn messages_never_contain_the_secret() {
    let key = key_of(r#"{"apiOrigin":"nope","apiKeyId":"i","apiKeySecret":"SECRET-123"}"#);
    let error = OwoxClient::new(&key).unwrap_err();
    assert!(!error.to_string().contains("SECRET-123"));
    assert!(!format!("{error:?}").contains("SECRET-123"));
}

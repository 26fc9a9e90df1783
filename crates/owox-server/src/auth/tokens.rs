//! Access tokens: HS256 JWTs minted by the API-key exchange and bound to their key.
//!
//! A token names the project, the member, the key and `authFlow: "api_key"`. It is only a
//! pointer: the extractor re-reads key and member on every request, so the token's lifetime
//! bounds nothing that revocation must cut short.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::store::Store;

const ISSUER: &str = "owox-data-marts";
const SECRET_SETTING: &str = "access_token_signing_secret";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Claims {
    pub iss: String,
    /// The member's user id.
    pub sub: String,
    pub project_id: String,
    pub api_key_id: String,
    pub auth_flow: String,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
}

pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl TokenService {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = 0;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    /// Uses `configured` when given; otherwise the secret generated once and kept in the store,
    /// so that every instance on one metadata database signs and verifies alike.
    pub async fn load(
        store: &Store,
        configured: Option<&str>,
        ttl: Duration,
    ) -> anyhow::Result<Self> {
        let secret = match configured {
            Some(s) => s.to_string(),
            None => {
                let mut bytes = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                store
                    .setting_or_insert(SECRET_SETTING, &URL_SAFE_NO_PAD.encode(bytes))
                    .await?
            }
        };
        Ok(Self::new(secret.as_bytes(), ttl))
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(
        &self,
        project_id: &str,
        user_id: &str,
        api_key_id: &str,
    ) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        let claims = Claims {
            iss: ISSUER.into(),
            sub: user_id.into(),
            project_id: project_id.into(),
            api_key_id: api_key_id.into(),
            auth_flow: "api_key".into(),
            iat: now,
            exp: now + self.ttl.as_secs(),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Verifies signature, algorithm (HS256 only: `none` and others are refused), issuer and
    /// expiry. `None` for anything that is not a valid token of ours.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|d| d.claims)
            .filter(|c| c.auth_flow == "api_key")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> TokenService {
        TokenService::new(
            b"0123456789abcdef0123456789abcdef",
            Duration::from_secs(900),
        )
    }

    #[test]
    fn round_trip() {
        let s = service();
        let t = s.issue("p", "u", "pmk_x").unwrap();
        let c = s.verify(&t).unwrap();
        assert_eq!(
            (c.project_id.as_str(), c.sub.as_str(), c.api_key_id.as_str()),
            ("p", "u", "pmk_x")
        );
        assert_eq!(c.exp - c.iat, 900);
    }

    #[test]
    fn refuses_foreign_tampered_none_and_expired() {
        let s = service();
        let t = s.issue("p", "u", "pmk_x").unwrap();
        let other = TokenService::new(
            b"another-secret-another-secret-xx",
            Duration::from_secs(900),
        );
        assert!(other.verify(&t).is_none(), "foreign secret");

        let parts: Vec<&str> = t.split('.').collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        claims["projectId"] = "q".into();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            parts[2]
        );
        assert!(s.verify(&tampered).is_none(), "tampered payload");

        let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        assert!(
            s.verify(&format!("{none_header}.{}.", parts[1])).is_none(),
            "alg none"
        );
        let hs512 = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS512","typ":"JWT"}"#);
        assert!(
            s.verify(&format!("{hs512}.{}.{}", parts[1], parts[2]))
                .is_none(),
            "other alg"
        );

        let expired =
            TokenService::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(0));
        let t = expired.issue("p", "u", "pmk_x").unwrap();
        std::thread::sleep(Duration::from_millis(1100));
        assert!(s.verify(&t).is_none(), "expired");
        assert!(s.verify("").is_none() && s.verify("garbage").is_none());
    }
}

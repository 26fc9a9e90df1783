//! API key material (auth.md §6-§7): id and secret generation, scrypt hashing at the reference
//! parameters, verification in constant time, and a dummy verification for unknown ids so that
//! their answer takes as long as a wrong secret's.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use owox_contract::api_key::{is_valid_api_key_id, is_valid_api_key_secret, API_KEY_ID_PREFIX};

/// The stored `keyHashParams`, in the reference's key order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyHashParams {
    pub algorithm: String,
    pub version: u32,
    pub key_length: usize,
    pub cost: u64,
    pub block_size: u32,
    pub parallelization: u32,
}

impl Default for KeyHashParams {
    fn default() -> Self {
        Self {
            algorithm: "scrypt".into(),
            version: 1,
            key_length: 64,
            cost: 16384,
            block_size: 8,
            parallelization: 1,
        }
    }
}

impl KeyHashParams {
    /// Parses stored params as the reference does: literal algorithm and version, positive
    /// integers, unknown keys tolerated. `None` means verification fails.
    pub fn parse(stored: &str) -> Option<Self> {
        let p: Self = serde_json::from_str(stored).ok()?;
        let sane = p.algorithm == "scrypt"
            && p.version == 1
            && (1..=1024).contains(&p.key_length)
            && p.cost > 1
            && p.cost.is_power_of_two()
            && p.cost <= 1 << 20
            && (1..=64).contains(&p.block_size)
            && (1..=16).contains(&p.parallelization);
        sane.then_some(p)
    }

    fn scrypt_params(&self) -> Option<scrypt::Params> {
        scrypt::Params::new(
            self.cost.trailing_zeros() as u8,
            self.block_size,
            self.parallelization,
            self.key_length,
        )
        .ok()
    }
}

/// `pmk_` + base64url(16 random bytes).
pub fn generate_key_id() -> String {
    format!("{API_KEY_ID_PREFIX}{}", random_base64url(16))
}

/// base64url(32 random bytes), 43 characters.
pub fn generate_secret() -> String {
    random_base64url(32)
}

/// base64url(16 random bytes), 22 characters, used as the salt *string*.
pub fn generate_salt() -> String {
    random_base64url(16)
}

fn random_base64url(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// scrypt over `owox_pmkey:<id>:<secret>` with the UTF-8 bytes of the salt string; base64url.
pub fn hash_key(id: &str, secret: &str, salt: &str, params: &KeyHashParams) -> Option<String> {
    let mut out = vec![0u8; params.key_length];
    let material = format!("owox_pmkey:{id}:{secret}");
    scrypt::scrypt(
        material.as_bytes(),
        salt.as_bytes(),
        &params.scrypt_params()?,
        &mut out,
    )
    .ok()?;
    Some(URL_SAFE_NO_PAD.encode(out))
}

/// What is stored for a key: the hash, its salt and its params.
pub struct StoredHash {
    pub key_hash: String,
    pub key_hash_salt: String,
    pub key_hash_params: String,
}

type Job = Box<dyn FnOnce() + Send>;

/// Runs scrypt on its own pool of threads, one per core, at the lowest scheduling priority
/// (`SCHED_IDLE` on Linux). Hashing uses every idle core, yet request handling always comes first:
/// on a 2-core machine small requests keep a low p99 while exchanges saturate the CPU. A burst
/// of exchanges queues here instead of starving the async workers.
#[derive(Clone)]
pub struct KeyHasher {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl KeyHasher {
    pub fn new(threads: usize) -> Self {
        let (jobs, receiver) = std::sync::mpsc::channel::<Job>();
        let receiver = Arc::new(std::sync::Mutex::new(receiver));
        for i in 0..threads.max(1) {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("owox-scrypt-{i}"))
                .spawn(move || {
                    lower_thread_priority();
                    loop {
                        let job = match receiver.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            // Every sender is gone: the server is shutting down.
                            Err(_) => return,
                        }
                    }
                })
                .expect("the OS can start a hashing thread");
        }
        Self { jobs }
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .expect("hashing threads live as long as the hasher");
        rx.await.expect("hashing does not panic")
    }

    /// Hashes a new key's secret.
    pub async fn hash_new(&self, id: String, secret: String) -> anyhow::Result<StoredHash> {
        self.run(move || {
            let params = KeyHashParams::default();
            let salt = generate_salt();
            let key_hash = hash_key(&id, &secret, &salt, &params)
                .ok_or_else(|| anyhow::anyhow!("scrypt rejected the default parameters"))?;
            Ok(StoredHash {
                key_hash,
                key_hash_salt: salt,
                key_hash_params: serde_json::to_string(&params)?,
            })
        })
        .await
    }

    /// Verifies a presented secret against a stored hash, or against a dummy one when `stored`
    /// is `None` (unknown id), so both take one scrypt derivation.
    pub async fn verify(&self, id: String, secret: String, stored: Option<StoredHash>) -> bool {
        self.run(move || verify_blocking(&id, &secret, stored.as_ref()))
            .await
    }
}

/// Puts the calling thread in Linux's `SCHED_IDLE` class: it runs whenever a core would
/// otherwise idle, and yields to every normal thread at once. (Plain `nice 10` still let a
/// 37 ms hash delay request threads by tens of milliseconds.)
fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: `param` is a valid sched_param for the call; pid 0 names the calling thread.
    // Failure leaves the thread's policy as it was.
    unsafe {
        let param = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(0, libc::SCHED_IDLE, &param);
    }
}

fn verify_blocking(id: &str, secret: &str, stored: Option<&StoredHash>) -> bool {
    let shapes_ok = is_valid_api_key_id(id) && is_valid_api_key_secret(secret);
    let Some(stored) = stored.filter(|_| shapes_ok) else {
        // Same work as a real verification; the result is ignored.
        let _ = hash_key(
            "pmk_AAAAAAAAAAAAAAAAAAAAAA",
            secret,
            "AAAAAAAAAAAAAAAAAAAAAA",
            &KeyHashParams::default(),
        );
        return false;
    };
    let Some(params) = KeyHashParams::parse(&stored.key_hash_params) else {
        return false;
    };
    let Some(derived) = hash_key(id, secret, &stored.key_hash_salt, &params) else {
        return false;
    };
    let (a, b) = (derived.as_bytes(), stored.key_hash.as_bytes());
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "pmk_AbCdEfGhIjKlMnOpQrStUv";
    const SECRET: &str = "vjqmM5GfJ6QklV8mFqM5Ior2hK6vK4mY8pE9T7aZr6Q";

    #[test]
    fn the_spec_hash_vector() {
        let hash = hash_key(
            ID,
            SECRET,
            "c2FsdHNhbHRzYWx0c2FsdA",
            &KeyHashParams::default(),
        );
        assert_eq!(
            hash.as_deref(),
            Some("AphjTWA9mQWfPolvTyB_IB-mYIUeAGM0gQrXWufuNZhrWQP1zYbQwijmZB-vCPqPoKwFB1fqAilZOT-MSdyrNg")
        );
    }

    #[test]
    fn stored_params_are_the_reference_literal() {
        assert_eq!(
            serde_json::to_string(&KeyHashParams::default()).unwrap(),
            r#"{"algorithm":"scrypt","version":1,"keyLength":64,"cost":16384,"blockSize":8,"parallelization":1}"#
        );
        assert!(KeyHashParams::parse(r#"{"algorithm":"scrypt","version":1,"keyLength":64,"cost":16384,"blockSize":8,"parallelization":1,"extra":true}"#).is_some());
        assert!(KeyHashParams::parse(r#"{"algorithm":"bcrypt","version":1,"keyLength":64,"cost":16384,"blockSize":8,"parallelization":1}"#).is_none());
        assert!(KeyHashParams::parse(r#"{"algorithm":"scrypt","version":2,"keyLength":64,"cost":16384,"blockSize":8,"parallelization":1}"#).is_none());
        assert!(KeyHashParams::parse(r#"{"algorithm":"scrypt","version":1,"keyLength":64,"cost":1000,"blockSize":8,"parallelization":1}"#).is_none());
        assert!(KeyHashParams::parse("not json").is_none());
    }

    #[test]
    fn generated_shapes() {
        for _ in 0..50 {
            assert!(is_valid_api_key_id(&generate_key_id()));
            assert!(is_valid_api_key_secret(&generate_secret()));
            assert_eq!(generate_salt().len(), 22);
        }
        assert_ne!(generate_secret(), generate_secret());
    }

    #[tokio::test]
    async fn verify_accepts_only_the_right_secret() {
        let hasher = KeyHasher::new(2);
        let stored = hasher.hash_new(ID.into(), SECRET.into()).await.unwrap();
        let again = || StoredHash {
            key_hash: stored.key_hash.clone(),
            key_hash_salt: stored.key_hash_salt.clone(),
            key_hash_params: stored.key_hash_params.clone(),
        };
        assert!(hasher.verify(ID.into(), SECRET.into(), Some(again())).await);
        let mut wrong = SECRET.to_string();
        wrong.replace_range(0..1, "w");
        assert!(!hasher.verify(ID.into(), wrong, Some(again())).await);
        assert!(
            !hasher
                .verify(ID.into(), "short".into(), Some(again()))
                .await
        );
        assert!(!hasher.verify(ID.into(), SECRET.into(), None).await);
        let mut bad_params = again();
        bad_params.key_hash_params = "{}".into();
        assert!(
            !hasher
                .verify(ID.into(), SECRET.into(), Some(bad_params))
                .await
        );
    }
}

//! Server configuration: one resolved, validated value built from command-line flags, the
//! process environment, env files and defaults, in that order of precedence.
//!
//! Resolution is a pure function of its inputs ([`Sources`]), so the precedence rules are unit
//! tested without touching the process environment.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A setting that could not be used; the message names the setting and stops start-up.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

/// Settings given as command-line flags (they win over everything else).
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub port: Option<String>,
    pub host: Option<String>,
    pub log_format: Option<String>,
    pub env_file: Option<PathBuf>,
}

/// Where settings come from, highest precedence first after the flags.
#[derive(Debug, Default)]
pub struct Sources {
    pub flags: Flags,
    /// The process environment.
    pub process_env: HashMap<String, String>,
    /// `--env-file`, then `./.env`; earlier files win.
    pub env_files: Vec<HashMap<String, String>>,
}

impl Sources {
    /// Reads the process environment and the env files: the `--env-file` if given (it must
    /// exist), then `./.env` if present.
    pub fn load(flags: Flags) -> Result<Self, ConfigError> {
        let mut env_files = Vec::new();
        if let Some(path) = &flags.env_file {
            env_files.push(read_env_file(path)?);
        }
        let dot_env = Path::new(".env");
        if dot_env.is_file() {
            env_files.push(read_env_file(dot_env)?);
        }
        Ok(Self {
            flags,
            process_env: std::env::vars().collect(),
            env_files,
        })
    }

    /// The value of an environment setting: process environment, then env files in order.
    /// Empty values count as unset, as in the reference.
    pub fn env(&self, name: &str) -> Option<String> {
        std::iter::once(&self.process_env)
            .chain(self.env_files.iter())
            .find_map(|m| m.get(name))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }
}

fn read_env_file(path: &Path) -> Result<HashMap<String, String>, ConfigError> {
    let iter = dotenvy::from_path_iter(path)
        .map_err(|e| ConfigError(format!("--env-file {}: {e}", path.display())))?;
    iter.map(|item| item.map_err(|e| ConfigError(format!("env file {}: {e}", path.display()))))
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Which metadata store backs the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataDb {
    Sqlite { path: PathBuf },
    Postgres { url: String },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub host: IpAddr,
    pub port: u16,
    /// Embedded in new API keys as `apiOrigin`.
    pub public_origin: String,
    pub data_dir: PathBuf,
    pub log_format: LogFormat,
    pub log_level: String,
    pub db: MetadataDb,
    pub run_migrations: bool,
    pub metrics_enabled: bool,
    /// Lifetime of access tokens minted by the API-key exchange.
    pub access_token_ttl: Duration,
    /// Signing secret for access tokens; `None` means generate once and keep it in the store.
    pub token_secret: Option<String>,
    /// Failed exchanges allowed per key id and per client address in a minute; 0 disables.
    pub exchange_failure_limit: u32,
    /// Header that carries the client address when behind a trusted proxy.
    pub trusted_proxy_header: Option<String>,
    /// Time given to running requests after SIGINT/SIGTERM.
    pub shutdown_grace: Duration,
    /// DuckDB `memory_limit` of each embedded storage.
    pub duckdb_memory_limit: String,
    /// The most each embedded storage keeps of table blocks it has read, in bytes
    /// (`DUCKDB_TABLE_CACHE`); `None` leaves them to the memory limit.
    pub duckdb_table_cache: Option<u64>,
    /// DuckDB worker threads of each embedded storage.
    pub duckdb_threads: usize,
    /// The zone in which HTTP Data's relative dates ("today") are taken.
    pub time_zone: chrono_tz::Tz,
    /// Longest an HTTP Data query may run, from its start to its last row; `None` = no limit.
    pub query_timeout: Option<Duration>,
    /// The key that seals storage credentials (`OWOX_SECRET_KEY`, 32 bytes in base64);
    /// `None` means generate one once into `<data dir>/secret.key`.
    pub secret_key: Option<String>,
    /// Earlier keys (`OWOX_SECRET_KEY_PREVIOUS`, comma-separated), still accepted for opening
    /// credentials sealed before a rotation.
    pub previous_secret_keys: Vec<String>,
}

impl Config {
    pub fn resolve(src: &Sources) -> Result<Self, ConfigError> {
        let port = match src.flags.port.clone().or_else(|| src.env("PORT")) {
            Some(p) => parse_port(
                &p,
                if src.flags.port.is_some() {
                    "--port"
                } else {
                    "PORT"
                },
            )?,
            None => 3000,
        };
        let host_raw = src
            .flags
            .host
            .clone()
            .or_else(|| src.env("HOST"))
            .unwrap_or_else(|| "127.0.0.1".into());
        let host = parse_host(&host_raw)?;
        let public_origin = match src.env("PUBLIC_ORIGIN") {
            Some(raw) => public_origin(&raw)?,
            None => format!("http://localhost:{port}"),
        };
        let data_dir = match src.env("OWOX_DATA_DIR") {
            Some(d) => PathBuf::from(d),
            None => default_data_dir(src)?,
        };
        let log_format = match src
            .flags
            .log_format
            .clone()
            .or_else(|| src.env("LOG_FORMAT"))
            .as_deref()
        {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError(format!(
                    "LOG_FORMAT must be pretty or json, got {other:?}"
                )))
            }
        };
        let log_level = src.env("LOG_LEVEL").unwrap_or_else(|| "info".into());
        if tracing_level_ok(&log_level).is_none() {
            return Err(ConfigError(format!(
                "LOG_LEVEL must be one of error, warn, info, debug, trace (or a filter such as owox_server=debug), got {log_level:?}"
            )));
        }
        let db = metadata_db(src, &data_dir)?;
        Ok(Self {
            host,
            port,
            public_origin,
            db,
            run_migrations: bool_setting(src, "RUN_MIGRATIONS", true)?,
            metrics_enabled: bool_setting(src, "METRICS_ENABLED", true)?,
            access_token_ttl: Duration::from_secs(u64_setting(
                src,
                "ACCESS_TOKEN_TTL_SECONDS",
                900,
                1..=86_400,
            )?),
            token_secret: match src.env("OWOX_TOKEN_SECRET") {
                Some(s) if s.len() < 32 => {
                    return Err(ConfigError(
                        "OWOX_TOKEN_SECRET must be at least 32 characters".into(),
                    ))
                }
                other => other,
            },
            exchange_failure_limit: u64_setting(src, "EXCHANGE_FAILURE_LIMIT", 10, 0..=1_000_000)?
                as u32,
            trusted_proxy_header: src
                .env("TRUSTED_PROXY_HEADER")
                .map(|h| h.to_ascii_lowercase()),
            shutdown_grace: Duration::from_secs(u64_setting(
                src,
                "SHUTDOWN_GRACE_SECONDS",
                30,
                0..=3600,
            )?),
            duckdb_memory_limit: match src.env("DUCKDB_MEMORY_LIMIT") {
                Some(v) if memory_size_bytes(&v).is_some() => v,
                Some(v) => {
                    return Err(ConfigError(format!(
                        "DUCKDB_MEMORY_LIMIT must be a size such as 512MB or 2GB, got {v:?}"
                    )))
                }
                None => "1GB".into(),
            },
            duckdb_table_cache: match src.env("DUCKDB_TABLE_CACHE") {
                None => Some(owox_storage::DEFAULT_TABLE_CACHE_LIMIT),
                Some(v) if v.eq_ignore_ascii_case("off") => None,
                Some(v) => Some(memory_size_bytes(&v).ok_or_else(|| {
                    ConfigError(format!(
                        "DUCKDB_TABLE_CACHE must be a size such as 32MB, or off, got {v:?}"
                    ))
                })?),
            },
            query_timeout: match u64_setting(src, "QUERY_TIMEOUT_SECONDS", 1800, 0..=604_800)? {
                0 => None,
                secs => Some(Duration::from_secs(secs)),
            },
            time_zone: match src.env("OWOX_TIME_ZONE") {
                None => chrono_tz::Tz::UTC,
                Some(name) => name.parse().map_err(|_| {
                    ConfigError(format!(
                        "OWOX_TIME_ZONE must be an IANA zone such as Europe/Berlin, got {name:?}"
                    ))
                })?,
            },
            duckdb_threads: u64_setting(src, "DUCKDB_THREADS", default_threads(), 1..=256)?
                as usize,
            secret_key: match src.env("OWOX_SECRET_KEY") {
                Some(k) => Some(checked_secret_key("OWOX_SECRET_KEY", &k)?),
                None => None,
            },
            previous_secret_keys: src
                .env("OWOX_SECRET_KEY_PREVIOUS")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(|k| checked_secret_key("OWOX_SECRET_KEY_PREVIOUS", k))
                .collect::<Result<_, _>>()?,
            data_dir,
            log_format,
            log_level,
        })
    }

    /// The tracing filter directive for `LOG_LEVEL`.
    pub fn log_filter(&self) -> String {
        tracing_level_ok(&self.log_level).unwrap_or_else(|| "info".into())
    }
}

fn checked_secret_key(name: &str, value: &str) -> Result<String, ConfigError> {
    match crate::secrets::decode_key(value) {
        Some(_) => Ok(value.to_string()),
        None => Err(ConfigError(format!(
            "{name} must be 32 random bytes in base64 (e.g. the output of `openssl rand -base64 32`)"
        ))),
    }
}

fn default_threads() -> u64 {
    std::thread::available_parallelism().map_or(2, |n| n.get().min(4)) as u64
}

/// The bytes of `<number><unit>`, with a unit DuckDB accepts for `memory_limit` and DuckDB's
/// meaning of it (KB = 1000 bytes, KiB = 1024).
fn memory_size_bytes(value: &str) -> Option<u64> {
    let digits = value.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = value[digits.len()..].to_ascii_uppercase();
    let number = digits.parse::<f64>().ok().filter(|n| *n > 0.0)?;
    let multiplier = match unit.as_str() {
        "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "KIB" => 1024.0,
        "MIB" => 1024.0 * 1024.0,
        "GIB" => 1024.0 * 1024.0 * 1024.0,
        "TIB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let bytes = number * multiplier;
    (bytes.is_finite() && bytes < u64::MAX as f64).then_some(bytes as u64)
}

fn parse_port(raw: &str, name: &str) -> Result<u16, ConfigError> {
    match raw.trim().parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(ConfigError(format!(
            "{name} must be a port number from 1 to 65535, got {raw:?}"
        ))),
    }
}

fn parse_host(raw: &str) -> Result<IpAddr, ConfigError> {
    if raw == "localhost" {
        return Ok(IpAddr::from([127, 0, 0, 1]));
    }
    raw.trim_matches(|c| c == '[' || c == ']')
        .parse()
        .map_err(|_| {
            ConfigError(format!(
                "HOST must be an IP address to listen on, got {raw:?}"
            ))
        })
}

/// `PUBLIC_ORIGIN`: trimmed, `http://` added when no scheme is given, and it must then be an
/// http(s) URL with a host. Unlike the reference (which silently falls back to localhost), an
/// unusable value stops start-up: keys minted with a wrong origin would not work.
fn public_origin(raw: &str) -> Result<String, ConfigError> {
    let with_scheme = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("http://{raw}")
    };
    let without_slash = with_scheme.trim_end_matches('/');
    match owox_contract::api_key::normalize_origin(without_slash) {
        Some(origin) => Ok(origin),
        None => Err(ConfigError(format!(
            "PUBLIC_ORIGIN must be an http(s) origin such as https://data.example.com, got {raw:?}"
        ))),
    }
}

fn default_data_dir(src: &Sources) -> Result<PathBuf, ConfigError> {
    if let Some(xdg) = src.env("XDG_DATA_HOME") {
        return Ok(PathBuf::from(xdg).join("owox"));
    }
    match src.env("HOME") {
        Some(home) => Ok(PathBuf::from(home).join(".local/share/owox")),
        None => Err(ConfigError(
            "OWOX_DATA_DIR is not set and neither XDG_DATA_HOME nor HOME is available".into(),
        )),
    }
}

fn metadata_db(src: &Sources, data_dir: &Path) -> Result<MetadataDb, ConfigError> {
    match src.env("DB_TYPE").as_deref().unwrap_or("sqlite") {
        "sqlite" => Ok(MetadataDb::Sqlite {
            path: src
                .env("SQLITE_DB_PATH")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("sqlite").join("app.db")),
        }),
        "postgres" => {
            if let Some(url) = src.env("DATABASE_URL") {
                return Ok(MetadataDb::Postgres { url });
            }
            let host = src.env("DB_HOST").ok_or_else(|| {
                ConfigError("DB_TYPE=postgres needs DATABASE_URL or DB_HOST".into())
            })?;
            let port = match src.env("DB_PORT") {
                Some(p) => parse_port(&p, "DB_PORT")?,
                None => 5432,
            };
            let user = src.env("DB_USERNAME").unwrap_or_else(|| "postgres".into());
            let database = src.env("DB_DATABASE").unwrap_or_else(|| "owox".into());
            let password = src.env("DB_PASSWORD");
            let auth = match password {
                Some(p) => format!("{}:{}", url_escape(&user), url_escape(&p)),
                None => url_escape(&user),
            };
            Ok(MetadataDb::Postgres {
                url: format!("postgres://{auth}@{host}:{port}/{}", url_escape(&database)),
            })
        }
        other => Err(ConfigError(format!(
            "DB_TYPE must be sqlite or postgres, got {other:?}"
        ))),
    }
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn bool_setting(src: &Sources, name: &str, default: bool) -> Result<bool, ConfigError> {
    match src.env(name).map(|v| v.to_ascii_lowercase()).as_deref() {
        None => Ok(default),
        Some("true" | "1" | "yes" | "on") => Ok(true),
        Some("false" | "0" | "no" | "off") => Ok(false),
        Some(other) => Err(ConfigError(format!(
            "{name} must be true or false, got {other:?}"
        ))),
    }
}

fn u64_setting(
    src: &Sources,
    name: &str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    match src.env(name) {
        None => Ok(default),
        Some(raw) => match raw.parse::<u64>() {
            Ok(v) if range.contains(&v) => Ok(v),
            _ => Err(ConfigError(format!(
                "{name} must be a whole number from {} to {}, got {raw:?}",
                range.start(),
                range.end()
            ))),
        },
    }
}

/// Maps `LOG_LEVEL` to a tracing filter; plain levels apply to our crates and `warn` elsewhere.
fn tracing_level_ok(level: &str) -> Option<String> {
    let lower = level.to_ascii_lowercase();
    match lower.as_str() {
        "error" | "warn" | "info" | "debug" | "trace" => Some(format!(
            "warn,owox={lower},owox_server={lower},owox_storage={lower},tower_http={lower}"
        )),
        "verbose" => Some("warn,owox=debug,owox_server=debug".into()),
        _ if level.contains('=') => Some(level.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn sources(flags: Flags, process: &[(&str, &str)], files: &[&[(&str, &str)]]) -> Sources {
        Sources {
            flags,
            process_env: env(&[&[("HOME", "/home/u")], process].concat()),
            env_files: files.iter().map(|f| env(f)).collect(),
        }
    }

    #[test]
    fn defaults() {
        let c = Config::resolve(&sources(Flags::default(), &[], &[])).unwrap();
        assert_eq!(c.port, 3000);
        assert_eq!(c.host.to_string(), "127.0.0.1");
        assert_eq!(c.public_origin, "http://localhost:3000");
        assert_eq!(c.data_dir, PathBuf::from("/home/u/.local/share/owox"));
        assert_eq!(
            c.db,
            MetadataDb::Sqlite {
                path: PathBuf::from("/home/u/.local/share/owox/sqlite/app.db")
            }
        );
        assert!(c.run_migrations && c.metrics_enabled);
    }

    #[test]
    fn flags_beat_env_beat_env_files() {
        let flags = Flags {
            port: Some("4000".into()),
            ..Flags::default()
        };
        let files: &[&[(&str, &str)]] = &[
            &[("PORT", "6000"), ("LOG_LEVEL", "debug")],
            &[
                ("PORT", "7000"),
                ("HOST", "0.0.0.0"),
                ("LOG_LEVEL", "trace"),
            ],
        ];
        let c = Config::resolve(&sources(flags, &[("PORT", "5000")], files)).unwrap();
        assert_eq!(c.port, 4000, "--port wins");
        assert_eq!(c.public_origin, "http://localhost:4000");
        let c = Config::resolve(&sources(Flags::default(), &[("PORT", "5000")], files)).unwrap();
        assert_eq!(c.port, 5000, "process env beats env files");
        let c = Config::resolve(&sources(Flags::default(), &[], files)).unwrap();
        assert_eq!(c.port, 6000, "--env-file beats ./.env");
        assert_eq!(c.host.to_string(), "0.0.0.0", "./.env beats defaults");
        assert_eq!(c.log_level, "debug");
    }

    #[test]
    fn xdg_data_home() {
        let c =
            Config::resolve(&sources(Flags::default(), &[("XDG_DATA_HOME", "/x")], &[])).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/x/owox"));
    }

    #[test]
    fn public_origin_gets_a_scheme() {
        let c = Config::resolve(&sources(
            Flags::default(),
            &[("PUBLIC_ORIGIN", " data.example.com:8080/ ")],
            &[],
        ))
        .unwrap();
        assert_eq!(c.public_origin, "http://data.example.com:8080");
        let c = Config::resolve(&sources(
            Flags::default(),
            &[("PUBLIC_ORIGIN", "https://d.example.com")],
            &[],
        ))
        .unwrap();
        assert_eq!(c.public_origin, "https://d.example.com");
    }

    #[test]
    fn invalid_settings_name_the_setting() {
        let cases: &[(&str, &str, &str)] = &[
            ("PORT", "abc", "PORT must be a port number"),
            ("PORT", "70000", "PORT must be a port number"),
            ("HOST", "not a host", "HOST must be an IP address"),
            ("LOG_FORMAT", "xml", "LOG_FORMAT must be pretty or json"),
            ("LOG_LEVEL", "loud", "LOG_LEVEL must be one of"),
            ("DB_TYPE", "mysql", "DB_TYPE must be sqlite or postgres"),
            (
                "RUN_MIGRATIONS",
                "maybe",
                "RUN_MIGRATIONS must be true or false",
            ),
            (
                "PUBLIC_ORIGIN",
                "http://a/b",
                "PUBLIC_ORIGIN must be an http(s) origin",
            ),
            (
                "OWOX_TOKEN_SECRET",
                "short",
                "OWOX_TOKEN_SECRET must be at least 32",
            ),
            (
                "ACCESS_TOKEN_TTL_SECONDS",
                "0",
                "ACCESS_TOKEN_TTL_SECONDS must be a whole number",
            ),
            (
                "DUCKDB_MEMORY_LIMIT",
                "1 GB",
                "DUCKDB_MEMORY_LIMIT must be a size",
            ),
            (
                "DUCKDB_TABLE_CACHE",
                "32",
                "DUCKDB_TABLE_CACHE must be a size",
            ),
            (
                "DUCKDB_TABLE_CACHE",
                "-1MB",
                "DUCKDB_TABLE_CACHE must be a size",
            ),
        ];
        for (name, value, expected) in cases {
            let err =
                Config::resolve(&sources(Flags::default(), &[(name, value)], &[])).unwrap_err();
            assert!(err.to_string().contains(expected), "{name}={value}: {err}");
        }
        let flags = Flags {
            port: Some("0".into()),
            ..Flags::default()
        };
        let err = Config::resolve(&sources(flags, &[], &[])).unwrap_err();
        assert!(err.to_string().contains("--port must be"), "{err}");
    }

    #[test]
    fn duckdb_table_cache_sizes() {
        let cache = |value: Option<&str>| {
            let process: Vec<(&str, &str)> = value
                .map(|v| vec![("DUCKDB_TABLE_CACHE", v)])
                .unwrap_or_default();
            Config::resolve(&sources(Flags::default(), &process, &[]))
                .unwrap()
                .duckdb_table_cache
        };
        assert_eq!(cache(None), Some(16 << 20));
        assert_eq!(cache(Some("off")), None);
        assert_eq!(cache(Some("OFF")), None);
        assert_eq!(cache(Some("64MB")), Some(64_000_000), "DuckDB's MB is 10^6");
        assert_eq!(cache(Some("64MiB")), Some(64 << 20));
        assert_eq!(cache(Some("1.5GB")), Some(1_500_000_000));
    }

    #[test]
    fn postgres_from_parts() {
        let c = Config::resolve(&sources(
            Flags::default(),
            &[
                ("DB_TYPE", "postgres"),
                ("DB_HOST", "db"),
                ("DB_USERNAME", "u"),
                ("DB_PASSWORD", "p@ss"),
                ("DB_DATABASE", "meta"),
            ],
            &[],
        ))
        .unwrap();
        assert_eq!(
            c.db,
            MetadataDb::Postgres {
                url: "postgres://u:p%40ss@db:5432/meta".into()
            }
        );
    }
}

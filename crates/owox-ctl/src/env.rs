//! The environment: `.env` from the current directory or `-e/--env-file`, process environment
//! wins (ctl-client.md §5.2).

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use owox_contract::api_key::js_trim;
use regex::Regex;

/// Variables loaded from the env file, layered under the process environment.
#[derive(Debug, Default)]
pub struct Env {
    /// Absolute path of the file actually loaded (`envFile` in `status`).
    pub env_file: Option<PathBuf>,
    loaded: HashMap<String, String>,
}

impl Env {
    /// Loads `flag` (resolved against the cwd) or `<cwd>/.env`. A missing, unreadable or empty
    /// file is an error only when named explicitly.
    pub fn load(flag: Option<&str>) -> Result<Self, String> {
        let explicit = flag.map(js_trim).filter(|v| !v.is_empty());
        let cwd = std::env::current_dir().unwrap_or_default();
        let path = normalize(&cwd.join(explicit.unwrap_or(".env")));
        let parsed = std::fs::read(&path)
            .ok()
            .map(|bytes| parse_dotenv(&String::from_utf8_lossy(&bytes)))
            .filter(|vars| !vars.is_empty());
        let Some(vars) = parsed else {
            return match explicit {
                Some(_) => Err(format!(
                    "Failed to load environment file: {}",
                    flag.unwrap_or_default()
                )),
                None => Ok(Self::default()),
            };
        };
        let mut loaded = HashMap::new();
        for (key, value) in vars {
            let key = js_trim(&key).to_owned();
            let value = js_trim(&value).to_owned();
            if key.is_empty() || value.is_empty() || process_value(&key).is_some() {
                continue;
            }
            loaded.insert(key, value);
        }
        Ok(Self {
            env_file: Some(path),
            loaded,
        })
    }

    /// A variable: the process value if non-blank, else the file's, else the (blank) process one.
    pub fn get(&self, key: &str) -> Option<String> {
        process_value(key)
            .or_else(|| self.loaded.get(key).cloned())
            .or_else(|| std::env::var(key).ok())
    }
}

fn process_value(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !js_trim(v).is_empty())
}

/// `path.resolve`-style lexical normalization (`.` and `..` removed).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// dotenv 16's `parse`: `KEY=VAL` lines, optional `export `, `#` comments, single, double and
/// backtick quotes (multi-line allowed), `\n`/`\r` expansion in double quotes, no `${VAR}`
/// expansion. Later duplicates win.
pub fn parse_dotenv(source: &str) -> Vec<(String, String)> {
    static LINE: OnceLock<Regex> = OnceLock::new();
    let line = LINE.get_or_init(|| {
        Regex::new(
            r#"(?m)^\s*(?:export\s+)?([A-Za-z0-9_.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?$"#,
        )
        .expect("dotenv line pattern")
    });
    let text = source.replace("\r\n", "\n").replace('\r', "\n");
    let mut out: Vec<(String, String)> = Vec::new();
    for captures in line.captures_iter(&text) {
        let key = captures[1].to_owned();
        let raw = captures.get(2).map_or("", |m| m.as_str()).trim();
        let quote = raw.chars().next();
        let mut value = match quote {
            Some(q @ ('\'' | '"' | '`')) if raw.len() >= 2 && raw.ends_with(q) => {
                raw[1..raw.len() - 1].to_owned()
            }
            _ => raw.to_owned(),
        };
        if quote == Some('"') {
            value = value.replace("\\n", "\n").replace("\\r", "\r");
        }
        out.retain(|(k, _)| *k != key);
        out.push((key, value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::parse_dotenv;

    #[test]
    fn parses_like_dotenv_16() {
        let vars = parse_dotenv(
            "# comment\nexport A=1\nB = 'two' # note\nC=\"x\\ny\"\nD=`tick`\nE=\"multi\nline\"\nF=plain # c\nA=3\nG:  colon\n",
        );
        let get = |k: &str| {
            vars.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("A"), Some("3"));
        assert_eq!(get("B"), Some("two"));
        assert_eq!(get("C"), Some("x\ny"));
        assert_eq!(get("D"), Some("tick"));
        assert_eq!(get("E"), Some("multi\nline"));
        assert_eq!(get("F"), Some("plain"));
        assert_eq!(get("G"), Some("colon"));
    }
}

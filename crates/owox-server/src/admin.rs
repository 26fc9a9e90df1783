//! Administration of projects, members and API keys, as the `owox` binary's commands do it.
//! It works on the metadata store alone, so it runs beside a live server.
//!
//! Every function validates its whole input before writing anything: bad input stores nothing.

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use owox_contract::api_key::ApiKeyParts;
use owox_contract::auth::Role;
use serde::Serialize;

use crate::auth::keys::{generate_key_id, generate_secret, KeyHasher};
use crate::store::{ApiKeyRow, MemberRow, NewApiKey, ProjectRow, Store, DEFAULT_PROJECT_ID};

/// Longest key name the reference accepts (UTF-16 code units).
pub const MAX_KEY_NAME: usize = 100;
const MAX_TITLE: usize = 255;

fn checked_text(what: &str, value: &str, max: usize) -> anyhow::Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        bail!("{what} must not be blank");
    }
    if trimmed.encode_utf16().count() > max {
        bail!("{what} must be at most {max} characters");
    }
    Ok(trimmed.to_string())
}

pub async fn create_project(store: &Store, title: &str) -> anyhow::Result<ProjectRow> {
    let title = checked_text("project title", title, MAX_TITLE)?;
    let project = store.create_project(&title).await?;
    ensure_default_storage(store, &project.id).await?;
    Ok(project)
}

/// Gives a project its default embedded DuckDB storage unless it has one. Idempotent, also
/// under concurrent starts.
pub async fn ensure_default_storage(store: &Store, project_id: &str) -> anyhow::Result<()> {
    if store.default_storage(project_id).await?.is_some() {
        return Ok(());
    }
    let config = serde_json::to_string(&crate::engines::DuckDbStorageConfig::default_for_project(
        project_id,
    ))?;
    let admin = store.first_admin(project_id).await?;
    store
        .insert_storage(&crate::store::NewStorage {
            project_id,
            storage_type: crate::engines::DUCKDB,
            title: None,
            config: Some(&config),
            created_by_id: admin.as_ref().map(|m| m.user_id.as_str()),
            is_default: true,
        })
        .await?;
    Ok(())
}

async fn project(store: &Store, id: Option<&str>) -> anyhow::Result<ProjectRow> {
    let id = id.unwrap_or(DEFAULT_PROJECT_ID);
    store
        .get_project(id)
        .await?
        .with_context(|| format!("no project with id {id:?} (see `owox projects list`)"))
}

fn checked_email(email: &str) -> anyhow::Result<String> {
    let email = email.trim();
    let valid = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
    if !valid {
        bail!("{email:?} is not an e-mail address");
    }
    Ok(email.to_ascii_lowercase())
}

pub async fn add_member(
    store: &Store,
    project_id: Option<&str>,
    email: &str,
    role: Role,
    name: Option<&str>,
) -> anyhow::Result<MemberRow> {
    let project = project(store, project_id).await?;
    let email = checked_email(email)?;
    let name = name
        .map(|n| checked_text("member name", n, MAX_TITLE))
        .transpose()?;
    store
        .add_member(&project.id, &email, name.as_deref(), role)
        .await?
        .with_context(|| format!("{email} is already a member of project {}", project.id))
}

pub async fn list_members(
    store: &Store,
    project_id: Option<&str>,
) -> anyhow::Result<Vec<MemberRow>> {
    let project = project(store, project_id).await?;
    store.list_members(&project.id).await
}

pub async fn set_member_role(
    store: &Store,
    project_id: Option<&str>,
    email: &str,
    role: Role,
) -> anyhow::Result<()> {
    let project = project(store, project_id).await?;
    let email = checked_email(email)?;
    if !store.set_member_role(&project.id, &email, role).await? {
        bail!("{email} is not a member of project {}", project.id);
    }
    Ok(())
}

pub async fn remove_member(
    store: &Store,
    project_id: Option<&str>,
    email: &str,
) -> anyhow::Result<()> {
    let project = project(store, project_id).await?;
    let email = checked_email(email)?;
    if !store.remove_member(&project.id, &email).await? {
        bail!("{email} is not a member of project {}", project.id);
    }
    Ok(())
}

/// What `owox api-keys create` asks for.
#[derive(Debug, Default, Clone)]
pub struct CreateKeyRequest {
    pub name: String,
    pub member_email: Option<String>,
    pub role_cap: Option<Role>,
    /// RFC 3339.
    pub expires_at: Option<String>,
    pub project_id: Option<String>,
}

/// The result of creating a key; `api_key` is shown once and never stored.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedKey {
    pub api_key: String,
    pub api_key_id: String,
    pub name: String,
    pub role: Role,
    pub expires_at: Option<String>,
    #[serde(skip)]
    pub member_email: String,
    #[serde(skip)]
    pub project_id: String,
}

pub async fn create_api_key(
    store: &Store,
    public_origin: &str,
    request: &CreateKeyRequest,
) -> anyhow::Result<CreatedKey> {
    let project = project(store, request.project_id.as_deref()).await?;
    let name = request.name.trim();
    if name.is_empty() {
        bail!("--name must not be blank");
    }
    if name.encode_utf16().count() > MAX_KEY_NAME {
        bail!("--name must be at most {MAX_KEY_NAME} characters");
    }
    let expires_at = request
        .expires_at
        .as_deref()
        .map(parse_expiry)
        .transpose()?;
    let member = match &request.member_email {
        Some(email) => {
            let email = checked_email(email)?;
            store
                .find_member_by_email(&project.id, &email)
                .await?
                .with_context(|| format!("{email} is not a member of project {}", project.id))?
        }
        None => store.first_admin(&project.id).await?.with_context(|| {
            format!("project {} has no admin member; pass --member", project.id)
        })?,
    };
    if let Some(cap) = request.role_cap {
        if cap > member.role() {
            bail!(
                "--role {cap} is above the member's role {}; a key can only lower it",
                member.role()
            );
        }
    }
    let api_key_id = generate_key_id();
    let secret = generate_secret();
    let hash = KeyHasher::new(1)
        .hash_new(api_key_id.clone(), secret.clone())
        .await?;
    let row = store
        .insert_api_key(&NewApiKey {
            api_key_id: api_key_id.clone(),
            project_id: project.id.clone(),
            user_id: member.user_id.clone(),
            name: name.to_string(),
            role: request.role_cap,
            expires_at,
            key_hash: hash.key_hash,
            key_hash_salt: hash.key_hash_salt,
            key_hash_params: hash.key_hash_params,
        })
        .await?;
    let api_key = ApiKeyParts {
        api_origin: public_origin.to_string(),
        api_key_id: api_key_id.clone(),
        api_key_secret: secret,
    }
    .encode();
    Ok(CreatedKey {
        api_key,
        api_key_id,
        name: row.name,
        role: request
            .role_cap
            .map_or(member.role(), |c| c.min(member.role())),
        expires_at: row.expires_at.map(crate::error::iso),
        member_email: member.email,
        project_id: project.id,
    })
}

fn parse_expiry(raw: &str) -> anyhow::Result<DateTime<Utc>> {
    let at = DateTime::parse_from_rfc3339(raw.trim())
        .with_context(|| {
            format!(
                "--expires-at {raw:?} is not an RFC 3339 date-time such as 2030-01-31T00:00:00Z"
            )
        })?
        .with_timezone(&Utc);
    if at <= Utc::now() {
        bail!("--expires-at {raw:?} is in the past; the key would never work");
    }
    Ok(at)
}

/// A key as `owox api-keys list` shows it: never the secret or the hash.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeySummary {
    pub api_key_id: String,
    pub name: String,
    pub member_email: Option<String>,
    pub role_cap: Option<String>,
    pub status: &'static str,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub created_at: String,
    pub last_authenticated_at: Option<String>,
}

pub async fn list_api_keys(
    store: &Store,
    project_id: Option<&str>,
) -> anyhow::Result<Vec<KeySummary>> {
    let project = project(store, project_id).await?;
    let members = store.list_members(&project.id).await?;
    let now = Utc::now();
    Ok(store
        .list_api_keys(&project.id)
        .await?
        .into_iter()
        .map(|k: ApiKeyRow| KeySummary {
            member_email: members
                .iter()
                .find(|m| m.user_id == k.user_id)
                .map(|m| m.email.clone()),
            status: if k.revoked_at.is_some() {
                "revoked"
            } else if !k.is_active(now) {
                "expired"
            } else {
                "active"
            },
            api_key_id: k.api_key_id,
            name: k.name,
            role_cap: k.role,
            expires_at: k.expires_at.map(crate::error::iso),
            revoked_at: k.revoked_at.map(crate::error::iso),
            created_at: crate::error::iso(k.created_at),
            last_authenticated_at: k.last_authenticated_at.map(crate::error::iso),
        })
        .collect())
}

pub async fn revoke_api_key(
    store: &Store,
    project_id: Option<&str>,
    api_key_id: &str,
) -> anyhow::Result<()> {
    let project = project(store, project_id).await?;
    if !store.revoke_api_key(&project.id, api_key_id.trim()).await? {
        bail!("project {} has no API key {api_key_id:?}", project.id);
    }
    Ok(())
}

/// Re-seals every credential that does not open with the current key; `(re-sealed, already
/// current)`. A credential no configured key opens is an error (nothing is changed for it).
pub async fn reseal_credentials(
    store: &Store,
    secrets: &crate::secrets::SecretBox,
) -> anyhow::Result<(usize, usize)> {
    let (mut resealed, mut current) = (0, 0);
    for credential in store.all_credentials().await? {
        if secrets.is_current(&credential.sealed, &credential.id) {
            current += 1;
            continue;
        }
        let plain = secrets.open(&credential.sealed, &credential.id)?;
        let sealed = secrets.seal(&plain, &credential.id)?;
        store.reseal_credential(&credential.id, &sealed).await?;
        resealed += 1;
    }
    Ok((resealed, current))
}

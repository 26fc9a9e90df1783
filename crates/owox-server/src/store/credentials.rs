//! Storage credentials (`data_storage_credentials`): sealed secrets, one row per credential.
//! The store never sees a secret in clear; sealing is [`crate::secrets`]' job.

use super::{now, on_pool, Store};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CredentialRow {
    pub id: String,
    pub project_id: String,
    #[sqlx(rename = "type")]
    pub credential_type: String,
    /// The sealed secret (see `secrets::SecretBox`).
    pub sealed: String,
    /// JSON text that responses may echo.
    pub identity: Option<String>,
}

const CREDENTIAL_COLUMNS: &str = "id, project_id, type, sealed, identity";

impl Store {
    /// Stores a sealed credential under a caller-chosen id (the id is bound into the seal).
    pub async fn insert_credential(
        &self,
        row: &CredentialRow,
        created_by_id: Option<&str>,
    ) -> anyhow::Result<()> {
        let at = now();
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO data_storage_credentials (id, project_id, type, sealed, identity, created_by_id, created_at, modified_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            )
            .bind(&row.id)
            .bind(&row.project_id)
            .bind(&row.credential_type)
            .bind(&row.sealed)
            .bind(&row.identity)
            .bind(created_by_id)
            .bind(at)
            .execute(pool)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    pub async fn get_credential(
        &self,
        project_id: &str,
        id: &str,
    ) -> anyhow::Result<Option<CredentialRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, CredentialRow>(&format!(
                "SELECT {CREDENTIAL_COLUMNS} FROM data_storage_credentials WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL"
            ))
            .bind(project_id)
            .bind(id)
            .fetch_optional(pool)
            .await
        })?)
    }

    /// Every live credential of every project (for re-sealing under a new key).
    pub async fn all_credentials(&self) -> anyhow::Result<Vec<CredentialRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, CredentialRow>(&format!(
                "SELECT {CREDENTIAL_COLUMNS} FROM data_storage_credentials WHERE deleted_at IS NULL ORDER BY id"
            ))
            .fetch_all(pool)
            .await
        })?)
    }

    /// Replaces a credential's seal (key rotation); the secret itself is unchanged.
    pub async fn reseal_credential(&self, id: &str, sealed: &str) -> anyhow::Result<()> {
        let at = now();
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE data_storage_credentials SET sealed = $1, modified_at = $2 WHERE id = $3",
            )
            .bind(sealed)
            .bind(at)
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// Soft-deletes a credential (after its storage got new ones, or was deleted).
    pub async fn delete_credential(&self, project_id: &str, id: &str) -> anyhow::Result<()> {
        let at = now();
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE data_storage_credentials SET deleted_at = $1 WHERE project_id = $2 AND id = $3 AND deleted_at IS NULL",
            )
            .bind(at)
            .bind(project_id)
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }
}

//! Members: a user's one role in one project.

use chrono::{DateTime, Utc};
use owox_contract::auth::Role;

use super::{now, on_pool, Store};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub project_id: String,
    pub user_id: String,
    pub email: String,
    pub full_name: Option<String>,
    pub role: String,
    pub created_at: DateTime<Utc>,
}

impl MemberRow {
    /// The stored role; the schema's CHECK constraint keeps it valid.
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Viewer)
    }
}

const MEMBER_COLUMNS: &str = "project_id, user_id, email, full_name, role, created_at";

impl Store {
    /// Adds a member; `None` when the e-mail is already a member of the project.
    pub async fn add_member(
        &self,
        project_id: &str,
        email: &str,
        full_name: Option<&str>,
        role: Role,
    ) -> anyhow::Result<Option<MemberRow>> {
        let row = MemberRow {
            project_id: project_id.to_string(),
            user_id: uuid::Uuid::new_v4().to_string(),
            email: email.to_string(),
            full_name: full_name.map(str::to_string),
            role: role.as_str().to_string(),
            created_at: now(),
        };
        let inserted = on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO member (project_id, user_id, email, full_name, role, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(&row.project_id)
            .bind(&row.user_id)
            .bind(&row.email)
            .bind(&row.full_name)
            .bind(&row.role)
            .bind(row.created_at)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok((inserted == 1).then_some(row))
    }

    pub async fn list_members(&self, project_id: &str) -> anyhow::Result<Vec<MemberRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, MemberRow>(&format!(
                "SELECT {MEMBER_COLUMNS} FROM member WHERE project_id = $1 ORDER BY created_at, email"
            ))
            .bind(project_id)
            .fetch_all(pool)
            .await
        })?)
    }

    pub async fn get_member(
        &self,
        project_id: &str,
        user_id: &str,
    ) -> anyhow::Result<Option<MemberRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, MemberRow>(&format!(
                "SELECT {MEMBER_COLUMNS} FROM member WHERE project_id = $1 AND user_id = $2"
            ))
            .bind(project_id)
            .bind(user_id)
            .fetch_optional(pool)
            .await
        })?)
    }

    pub async fn find_member_by_email(
        &self,
        project_id: &str,
        email: &str,
    ) -> anyhow::Result<Option<MemberRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, MemberRow>(&format!(
                "SELECT {MEMBER_COLUMNS} FROM member WHERE project_id = $1 AND email = $2"
            ))
            .bind(project_id)
            .bind(email)
            .fetch_optional(pool)
            .await
        })?)
    }

    /// The project's earliest admin, the default owner of keys created without `--member`.
    pub async fn first_admin(&self, project_id: &str) -> anyhow::Result<Option<MemberRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, MemberRow>(&format!(
                "SELECT {MEMBER_COLUMNS} FROM member WHERE project_id = $1 AND role = 'admin' ORDER BY created_at, user_id LIMIT 1"
            ))
            .bind(project_id)
            .fetch_optional(pool)
            .await
        })?)
    }

    /// Changes a member's role; false when there is no such member.
    pub async fn set_member_role(
        &self,
        project_id: &str,
        email: &str,
        role: Role,
    ) -> anyhow::Result<bool> {
        let done = on_pool!(self, |pool| {
            sqlx::query("UPDATE member SET role = $1 WHERE project_id = $2 AND email = $3")
                .bind(role.as_str())
                .bind(project_id)
                .bind(email)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Removes a member; their keys stop working on the next request because every
    /// authenticated request looks the member up. False when there is no such member.
    pub async fn remove_member(&self, project_id: &str, email: &str) -> anyhow::Result<bool> {
        let done = on_pool!(self, |pool| {
            sqlx::query("DELETE FROM member WHERE project_id = $1 AND email = $2")
                .bind(project_id)
                .bind(email)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }
}

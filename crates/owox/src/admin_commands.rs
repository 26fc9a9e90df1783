//! Printing for the administration commands.

use owox_server::admin::{self, CreateKeyRequest};
use owox_server::config::Config;
use owox_server::error::iso;
use owox_server::store::Store;

use crate::cli::{ApiKeysCommand, CredentialsCommand, MembersCommand, ProjectsCommand};

/// Opens the store the server uses, applying migrations so a fresh data directory works.
async fn store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.db).await?;
    if config.run_migrations {
        store.migrate().await?;
    }
    store.ensure_default_project().await?;
    Ok(store)
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub async fn projects(command: ProjectsCommand, config: &Config) -> anyhow::Result<()> {
    let store = store(config).await?;
    match command {
        ProjectsCommand::Create { title, json } => {
            let p = admin::create_project(&store, &title).await?;
            if json {
                print_json(
                    &serde_json::json!({"id": p.id, "title": p.title, "createdAt": iso(p.created_at)}),
                )?;
            } else {
                println!("created project {} ({})", p.id, p.title);
            }
        }
        ProjectsCommand::List { json } => {
            let list = store.list_projects().await?;
            if json {
                let items: Vec<_> = list
                    .iter()
                    .map(|p| serde_json::json!({"id": p.id, "title": p.title, "createdAt": iso(p.created_at)}))
                    .collect();
                print_json(&items)?;
            } else {
                println!("{:<38} {:<26} TITLE", "ID", "CREATED");
                for p in list {
                    println!("{:<38} {:<26} {}", p.id, iso(p.created_at), p.title);
                }
            }
        }
    }
    Ok(())
}

pub async fn members(command: MembersCommand, config: &Config) -> anyhow::Result<()> {
    let store = store(config).await?;
    match command {
        MembersCommand::Add {
            email,
            role,
            name,
            project,
        } => {
            let m = admin::add_member(
                &store,
                project.project.as_deref(),
                &email,
                role,
                name.as_deref(),
            )
            .await?;
            println!(
                "added {} as {} to project {}",
                m.email, m.role, m.project_id
            );
        }
        MembersCommand::List { project, json } => {
            let list = admin::list_members(&store, project.project.as_deref()).await?;
            if json {
                let items: Vec<_> = list
                    .iter()
                    .map(|m| serde_json::json!({"userId": m.user_id, "email": m.email, "fullName": m.full_name, "role": m.role, "createdAt": iso(m.created_at)}))
                    .collect();
                print_json(&items)?;
            } else {
                println!("{:<32} {:<8} NAME", "EMAIL", "ROLE");
                for m in list {
                    println!(
                        "{:<32} {:<8} {}",
                        m.email,
                        m.role,
                        m.full_name.unwrap_or_default()
                    );
                }
            }
        }
        MembersCommand::SetRole {
            email,
            role,
            project,
        } => {
            admin::set_member_role(&store, project.project.as_deref(), &email, role).await?;
            println!("{email} is now {role}");
        }
        MembersCommand::Remove { email, project } => {
            admin::remove_member(&store, project.project.as_deref(), &email).await?;
            println!("removed {email}");
        }
    }
    Ok(())
}

pub async fn api_keys(command: ApiKeysCommand, config: &Config) -> anyhow::Result<()> {
    let store = store(config).await?;
    match command {
        ApiKeysCommand::Create {
            name,
            member,
            role,
            expires_at,
            project,
            json,
        } => {
            let request = CreateKeyRequest {
                name,
                member_email: member,
                role_cap: role,
                expires_at,
                project_id: project.project,
            };
            let key = admin::create_api_key(&store, &config.public_origin, &request).await?;
            if json {
                print_json(&key)?;
            } else {
                println!("{}", key.api_key);
                eprintln!(
                    "API key {} ({}) for {} as {} in project {}{}. It is shown only this once: store it now.",
                    key.api_key_id,
                    key.name,
                    key.member_email,
                    key.role,
                    key.project_id,
                    key.expires_at.as_deref().map(|e| format!(", expires {e}")).unwrap_or_default()
                );
            }
        }
        ApiKeysCommand::List { project, json } => {
            let list = admin::list_api_keys(&store, project.project.as_deref()).await?;
            if json {
                print_json(&list)?;
            } else {
                println!(
                    "{:<27} {:<8} {:<26} {:<8} NAME",
                    "ID", "STATUS", "MEMBER", "ROLE CAP"
                );
                for k in list {
                    println!(
                        "{:<27} {:<8} {:<26} {:<8} {}",
                        k.api_key_id,
                        k.status,
                        k.member_email.unwrap_or_else(|| "(removed)".into()),
                        k.role_cap.unwrap_or_else(|| "-".into()),
                        k.name
                    );
                }
            }
        }
        ApiKeysCommand::Revoke { id, project } => {
            admin::revoke_api_key(&store, project.project.as_deref(), &id).await?;
            println!("revoked {id}");
        }
    }
    Ok(())
}

pub async fn credentials(command: CredentialsCommand, config: &Config) -> anyhow::Result<()> {
    let store = store(config).await?;
    match command {
        CredentialsCommand::Reseal => {
            let secrets = owox_server::secrets::SecretBox::from_config(config)?;
            let (resealed, current) = admin::reseal_credentials(&store, &secrets).await?;
            println!("Re-sealed {resealed} credential(s); {current} already used the current key.");
        }
    }
    Ok(())
}

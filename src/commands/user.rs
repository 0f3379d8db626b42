//! `crossdock user ...`: users, their passwords and API tokens, in the
//! warehouse's access store (`_crossdock/access.sqlite3`). Every change is
//! audited with the actor `cli:<OS user>`.

use std::io::BufRead;
use std::path::PathBuf;

use chrono::{Duration, Utc};
use crossdock_access::{generate_password, parse_companies, NewUser, Role, User, UserStore};
use crossdock_warehouse::Warehouse;

use crate::{CliError, Result, UserArgs, UserCommand};

/// The access store of the warehouse at `data` (a local directory).
pub fn store(data: &str) -> Result<UserStore> {
    let warehouse = Warehouse::open(data)?;
    let dir: PathBuf = warehouse.root().to_file_path().map_err(|_| {
        CliError::Usage(format!(
            "users live in a local warehouse directory; {data} is not one"
        ))
    })?;
    Ok(UserStore::open_in(&dir)?)
}

/// Who the command line acts as, in the audit trail.
pub fn cli_actor() -> String {
    let who = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_string());
    format!("cli:{who}")
}

fn show(user: &User) -> String {
    let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
    let companies = if user.has(Role::Admin) {
        "all".to_string()
    } else {
        user.companies
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        "{:<20} {:<32} {:<10} {:<8} {}",
        user.name,
        roles.join(","),
        companies,
        if user.disabled { "disabled" } else { "active" },
        user.created_at.format("%Y-%m-%d %H:%M UTC")
    )
}

pub async fn run(data: &str, args: UserArgs) -> Result<()> {
    let store = store(data)?;
    let actor = cli_actor();
    match args.command {
        UserCommand::Add {
            name,
            role,
            company,
            password_stdin,
        } => {
            let roles = Role::parse_list(&role)?;
            let companies = match company.as_deref() {
                Some(text) => parse_companies(text)?,
                None => Vec::new(),
            };
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .map_err(|source| CliError::Io {
                        path: PathBuf::from("<stdin>"),
                        source,
                    })?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (generate_password(), true)
            };
            let user = store.add_user(
                &actor,
                &NewUser {
                    name,
                    roles,
                    companies,
                    password: password.clone(),
                },
            )?;
            eprintln!("added {}", show(&user));
            if generated {
                eprintln!("password (shown once, give it to the user):");
                println!("{password}");
            }
        }
        UserCommand::List => {
            println!(
                "{:<20} {:<32} {:<10} {:<8} added",
                "name", "roles", "companies", "status"
            );
            for u in store.users()? {
                println!("{}", show(&u));
            }
        }
        UserCommand::Disable { name } => {
            let user = store.disable_user(&actor, &name)?;
            eprintln!(
                "disabled {} (a running server refuses their session and tokens from the next request)",
                user.name
            );
        }
        UserCommand::Token {
            name,
            expires_days,
            label,
        } => {
            if !(1..=crossdock_access::store::MAX_TOKEN_DAYS).contains(&expires_days) {
                return Err(CliError::Usage(format!(
                    "--expires-days must be from 1 to {}, not {expires_days}",
                    crossdock_access::store::MAX_TOKEN_DAYS
                )));
            }
            let issued = store.issue_token(
                &actor,
                &name,
                &label,
                Utc::now() + Duration::days(expires_days),
            )?;
            eprintln!(
                "token {} for {}, expires {} (shown once; send it as Authorization: Bearer <token>):",
                issued.token.id,
                issued.token.user,
                issued.token.expires_at.format("%Y-%m-%d %H:%M UTC")
            );
            println!("{}", issued.secret);
        }
        UserCommand::Tokens { name } => {
            println!(
                "{:<14} {:<20} {:<22} {:<22} label",
                "id", "user", "expires", "revoked"
            );
            for t in store.tokens(name.as_deref())? {
                println!(
                    "{:<14} {:<20} {:<22} {:<22} {}",
                    t.id,
                    t.user,
                    t.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    t.revoked_at
                        .map(|r| r.format("%Y-%m-%d %H:%M UTC").to_string())
                        .unwrap_or_else(|| "-".into()),
                    t.label
                );
            }
        }
        UserCommand::RevokeToken { id } => {
            let token = store.revoke_token(&actor, &id)?;
            eprintln!("revoked token {} of {}", token.id, token.user);
        }
    }
    Ok(())
}

/// The demo's users: one per role, named after it, with every company of
/// the simulation; created only when missing. Returns (name, password) of
/// those created.
pub fn ensure_demo_users(data: &str, companies: &[i64]) -> Result<Vec<(String, String)>> {
    let store = store(data)?;
    let mut created = Vec::new();
    for role in Role::ALL {
        let name = role.as_str().to_string();
        if store.user(&name)?.is_some() {
            continue;
        }
        let password = generate_password();
        store.add_user(
            "demo",
            &NewUser {
                name: name.clone(),
                roles: vec![role],
                companies: companies.to_vec(),
                password: password.clone(),
            },
        )?;
        created.push((name, password));
    }
    Ok(created)
}

//! `crossdock user ...`: users, their passwords and API tokens, in the
//! warehouse's access store (`_crossdock/access.sqlite3`). Every change is
//! audited with the actor `cli:<OS user>`.

use std::io::BufRead;
use std::path::PathBuf;

use chrono::{Duration, Utc};
use crossdock_access::{generate_password, parse_companies, NewUser, Role, User, UserStore};
use crossdock_warehouse::Warehouse;

use crossdock_api::ApiError;

use crate::{output, CliError, Result, UserArgs, UserCommand};

/// The warehouse at `data` (a local directory) and its access store.
fn open(data: &str) -> Result<(Warehouse, UserStore)> {
    let warehouse = Warehouse::open(data)?;
    let dir: PathBuf = warehouse.root().to_file_path().map_err(|_| {
        CliError::Usage(format!(
            "users live in a local warehouse directory; {data} is not one"
        ))
    })?;
    let store = UserStore::open_in(&dir)?;
    Ok((warehouse, store))
}

/// The access store of the warehouse at `data` (a local directory).
pub fn store(data: &str) -> Result<UserStore> {
    Ok(open(data)?.1)
}

/// Checks company ids against the warehouse's `res_company`: unknown ones
/// (also when the warehouse holds no data yet) are refused unless
/// `allow_unknown`, and then only warned about.
async fn check_companies(
    warehouse: &Warehouse,
    companies: &[i64],
    allow_unknown: bool,
) -> Result<()> {
    match crossdock_api::companies::check(warehouse, companies).await {
        Ok(()) => Ok(()),
        Err(e @ ApiError::UnknownCompanies { .. }) if allow_unknown => {
            eprintln!("warning: {e} (accepted: --allow-unknown-company)");
            Ok(())
        }
        Err(e @ ApiError::UnknownCompanies { .. }) => Err(CliError::Usage(format!(
            "{e}; to give it anyway (e.g. before the first ingest), add --allow-unknown-company"
        ))),
        Err(e) => Err(CliError::Api(e.to_string())),
    }
}

/// The first line of standard input, without its line end.
fn password_from_stdin() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|source| CliError::Io {
            path: PathBuf::from("<stdin>"),
            source,
        })?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
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
    let (warehouse, store) = open(data)?;
    let actor = cli_actor();
    match args.command {
        UserCommand::Add {
            name,
            role,
            company,
            allow_unknown_company,
            password_stdin,
        } => {
            let roles = Role::parse_list(&role)?;
            let companies = match company.as_deref() {
                Some(text) => parse_companies(text)?,
                None => Vec::new(),
            };
            check_companies(&warehouse, &companies, allow_unknown_company).await?;
            let (password, generated) = if password_stdin {
                (password_from_stdin()?, false)
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
                output::print_secret(&format!("{password}\n"))?;
            }
        }
        UserCommand::List => {
            let mut text = format!(
                "{:<20} {:<32} {:<10} {:<8} added\n",
                "name", "roles", "companies", "status"
            );
            for u in store.users()? {
                text.push_str(&show(&u));
                text.push('\n');
            }
            output::print_list(&text)?;
        }
        UserCommand::Disable { name } => {
            let user = store.disable_user(&actor, &name)?;
            eprintln!(
                "disabled {} (a running server refuses their session and tokens from the next request)",
                user.name
            );
        }
        UserCommand::Enable { name } => {
            let user = store.enable_user(&actor, &name)?;
            eprintln!("enabled {}", show(&user));
        }
        UserCommand::Unlock { name } => {
            let user = store.unlock(&actor, &name)?;
            eprintln!(
                "cleared the failed logins of {} (a running server lets them log in from the next attempt)",
                user.name
            );
        }
        UserCommand::ResetPassword {
            name,
            password_stdin,
        } => {
            let (password, generated) = if password_stdin {
                (password_from_stdin()?, false)
            } else {
                (generate_password(), true)
            };
            let user = store.reset_password(&actor, &name, &password)?;
            eprintln!(
                "new password for {} (their failed logins are cleared; sessions already open on a running server stay open until they expire or the user is disabled)",
                user.name
            );
            if generated {
                eprintln!("password (shown once, give it to the user):");
                output::print_secret(&format!("{password}\n"))?;
            }
        }
        UserCommand::SetRoles {
            name,
            role,
            company,
            allow_unknown_company,
        } => {
            let roles = Role::parse_list(&role)?;
            let companies = match company.as_deref() {
                Some(text) => Some(parse_companies(text)?),
                None => None,
            };
            if let Some(c) = &companies {
                check_companies(&warehouse, c, allow_unknown_company).await?;
            }
            let user = store.set_roles(&actor, &name, &roles, companies.as_deref())?;
            eprintln!("set {}", show(&user));
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
            output::print_secret(&format!("{}\n", issued.secret))?;
        }
        UserCommand::Tokens { name } => {
            let mut text = format!(
                "{:<14} {:<20} {:<22} {:<22} label\n",
                "id", "user", "expires", "revoked"
            );
            for t in store.tokens(name.as_deref())? {
                text.push_str(&format!(
                    "{:<14} {:<20} {:<22} {:<22} {}\n",
                    t.id,
                    t.user,
                    t.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    t.revoked_at
                        .map(|r| r.format("%Y-%m-%d %H:%M UTC").to_string())
                        .unwrap_or_else(|| "-".into()),
                    t.label
                ));
            }
            output::print_list(&text)?;
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

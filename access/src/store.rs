//! [`UserStore`]: users, API tokens and the audit trail, in one SQLite file.
//!
//! Tables (schema version 2, `PRAGMA user_version`):
//!
//! - `users (id, name UNIQUE, password_hash, roles, companies, disabled, created_at,
//!   failures_cleared)`: `password_hash` is an argon2id PHC string; `roles`
//!   and `companies` are comma-separated (`planner,service`, `1,2`). Names
//!   are unique regardless of case (index `users_name_nocase`, `COLLATE
//!   NOCASE`; names are ASCII) and found regardless of case: `Admin` logs in
//!   as `admin`. `failures_cleared` counts the times an admin cleared the
//!   user's failed logins (`unlock`, `reset-password`); the server's login
//!   throttle forgets the account's failures when it sees it change.
//! - `tokens (id, user_name, secret_hash, label, expires_at, revoked_at, created_at)`:
//!   only the SHA-256 of the secret is kept. A token reads
//!   `cdk_<id>_<secret>`; it is shown once, when issued.
//! - `audit (id, at, actor, action, subject, before, after)`: append-only —
//!   triggers abort any UPDATE or DELETE. `before` / `after` are JSON (never a
//!   password hash or a token secret).
//!
//! Every change to a user or a token writes its audit row in the same SQLite
//! transaction: both are stored, or neither. Times are Unix seconds (UTC) in
//! the file and [`DateTime<Utc>`] here.
//!
//! Schema 1 (names compared case-sensitively) is migrated to 2 when opened;
//! a store holding two names that differ only in case is refused
//! ([`AccessError::Corrupt`], naming them) until one is removed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::OsRng;
use rand::RngCore;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::error::{AccessError, Result};
use crate::role::Role;

/// Where the store lives inside a local warehouse root.
pub const STORE_FILE: &str = "_crossdock/access.sqlite3";

/// Prefix of every API token.
pub const TOKEN_PREFIX: &str = "cdk_";

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Longest token lifetime accepted, in days.
pub const MAX_TOKEN_DAYS: i64 = 366;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    companies TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users(name),
    secret_hash TEXT NOT NULL,
    label TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE is not allowed'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE is not allowed'); END;
"#;

/// From schema 1 to 2: names unique and found regardless of case, and the
/// counter of cleared login failures.
const MIGRATE_TO_2: &str = r#"
CREATE UNIQUE INDEX users_name_nocase ON users (name COLLATE NOCASE);
ALTER TABLE users ADD COLUMN failures_cleared INTEGER NOT NULL DEFAULT 0;
PRAGMA user_version = 2;
"#;

/// The schema version this crossdock writes.
pub const SCHEMA_VERSION: i64 = 2;

/// The columns [`UserStore::read_user`] reads, in order.
const USER_COLUMNS: &str = "name, roles, companies, disabled, created_at";

/// The columns [`UserStore::read_token`] reads, in order.
const TOKEN_COLUMNS: &str = "id, user_name, label, expires_at, revoked_at, created_at";

/// A user, as stored (without the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Login name, unique.
    pub name: String,
    /// Roles, sorted.
    pub roles: Vec<Role>,
    /// Companies (`res_company.id`) the user may see, sorted. Ignored for
    /// admins, who see every company.
    pub companies: Vec<i64>,
    /// A disabled user can neither log in nor use a token.
    pub disabled: bool,
    /// When the user was added.
    pub created_at: DateTime<Utc>,
}

impl User {
    /// Does the user have this role?
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The companies the user's queries are restricted to: None (every
    /// company) for an admin, else their companies.
    pub fn company_scope(&self) -> Option<BTreeSet<i64>> {
        if self.has(Role::Admin) {
            None
        } else {
            Some(self.companies.iter().copied().collect())
        }
    }

    fn audit_json(&self) -> Value {
        json!({
            "name": self.name,
            "roles": self.roles,
            "companies": self.companies,
            "disabled": self.disabled,
        })
    }
}

/// A user to add.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name: 1–64 characters among letters, digits, `.`, `_`, `-`, `@`.
    pub name: String,
    /// At least one role.
    pub roles: Vec<Role>,
    /// Companies (`res_company.id`); at least one unless the user is an admin.
    pub companies: Vec<i64>,
    /// The password, at least [`MIN_PASSWORD_CHARS`] characters.
    pub password: String,
}

/// An API token, as stored (the secret is not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Token {
    /// The public id (the `<id>` of `cdk_<id>_<secret>`).
    pub id: String,
    /// Whose token.
    pub user: String,
    /// What it is for.
    pub label: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
}

impl Token {
    fn audit_json(&self) -> Value {
        json!({
            "id": self.id,
            "user": self.user,
            "label": self.label,
            "expires_at": self.expires_at,
            "revoked_at": self.revoked_at,
        })
    }
}

/// A token just issued: the only time its secret is known.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The token's record.
    pub token: Token,
    /// `cdk_<id>_<secret>`: what goes in `Authorization: Bearer ...`.
    pub secret: String,
}

/// One row of the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// Sequence number, increasing.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who: a user name, or `cli:<os user>` for the command line.
    pub actor: String,
    /// What, e.g. `user.add`, `user.disable`, `token.issue`, `token.revoke`,
    /// `login.ok`, `login.failed`.
    pub action: String,
    /// On what: a user name or a token id.
    pub subject: String,
    /// The subject before (null for a creation).
    pub before: Option<Value>,
    /// The subject after.
    pub after: Option<Value>,
}

/// The store. Cheap to share behind an `Arc`; calls are serialized by an
/// inner mutex (SQLite calls are short; password hashing is done outside it).
#[derive(Debug)]
pub struct UserStore {
    path: PathBuf,
    conn: Mutex<Connection>,
}

fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn from_ts(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap_or_default()
}

/// Checks a user name.
pub fn check_name(name: &str) -> Result<()> {
    let bad = |why| {
        Err(AccessError::InvalidName {
            name: name.to_string(),
            why,
        })
    };
    if name.is_empty() {
        return bad("it is empty");
    }
    if name.chars().count() > 64 {
        return bad("it is longer than 64 characters");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return bad("use only letters, digits, '.', '_', '-' and '@'");
    }
    Ok(())
}

fn check_password(password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(AccessError::WeakPassword {
            why: "it is shorter than 10 characters",
        });
    }
    if n > 1024 {
        return Err(AccessError::WeakPassword {
            why: "it is longer than 1024 characters",
        });
    }
    Ok(())
}

/// Parses a comma-separated list of company ids such as `1,2`.
pub fn parse_companies(text: &str) -> Result<Vec<i64>> {
    let mut out: Vec<i64> = text
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.parse::<i64>() {
            Ok(id) if id > 0 => Ok(id),
            _ => Err(AccessError::InvalidCompany {
                text: p.to_string(),
            }),
        })
        .collect::<Result<_>>()?;
    out.sort();
    out.dedup();
    Ok(out)
}

/// Hashes a password with argon2id (default parameters, random salt).
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccessError::Hash(e.to_string()))
}

fn verify_hash(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash verified when the user does not exist, so that an unknown name
/// takes as long to refuse as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("crossdock-no-such-user").unwrap_or_default())
}

/// A random password for people: 20 characters from an unambiguous alphabet.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

fn random_b64(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Compares two byte strings in time that depends on their length only, not
/// on where they differ (secrets: token hashes, CSRF tokens).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn check_label(label: &str) -> Result<()> {
    if label.chars().count() > 100 {
        return Err(AccessError::InvalidText {
            field: "token label",
            why: "it is longer than 100 characters",
        });
    }
    if label.chars().any(char::is_control) {
        return Err(AccessError::InvalidText {
            field: "token label",
            why: "it contains control characters",
        });
    }
    Ok(())
}

fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Brings a schema-1 (or new) store to [`SCHEMA_VERSION`], in one immediate
/// transaction (two processes opening the store at once migrate it once).
fn migrate(conn: &Connection, path: &Path) -> Result<()> {
    let err = |doing: &'static str| {
        let path = path.to_path_buf();
        move |source| AccessError::Store {
            path,
            doing: doing.to_string(),
            source,
        }
    };
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(err("migrating the schema"))?;
    let result = (|| {
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err("reading the schema version"))?;
        if version >= 2 {
            return Ok(());
        }
        let clashes: Vec<String> = {
            let mut stmt = conn
                .prepare(
                    "SELECT group_concat(name, ', ') FROM users GROUP BY lower(name) HAVING count(*) > 1",
                )
                .map_err(err("looking for names that differ only in case"))?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(err("looking for names that differ only in case"))?;
            rows.collect::<rusqlite::Result<_>>()
                .map_err(err("looking for names that differ only in case"))?
        };
        if !clashes.is_empty() {
            return Err(AccessError::Corrupt {
                path: path.to_path_buf(),
                what: format!(
                    "user names are case-insensitive from schema 2 on, and these differ only in case: {}; \
                     delete all but one of each (with their tokens) using sqlite3, then start crossdock again",
                    clashes.join("; ")
                ),
            });
        }
        conn.execute_batch(MIGRATE_TO_2)
            .map_err(err("migrating the schema to version 2"))
    })();
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    conn.execute_batch(end)
        .map_err(err("migrating the schema"))?;
    result
}

impl UserStore {
    /// Opens (creating when missing) the store of a local warehouse whose
    /// root directory is `root`: `<root>/_crossdock/access.sqlite3`.
    pub fn open_in(root: &Path) -> Result<UserStore> {
        UserStore::open(&root.join(STORE_FILE))
    }

    /// Opens (creating when missing) the store at `path`.
    pub fn open(path: &Path) -> Result<UserStore> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| AccessError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let err = |doing: &str| {
            let path = path.to_path_buf();
            let doing = doing.to_string();
            move |source| AccessError::Store {
                path,
                doing,
                source,
            }
        };
        let conn = Connection::open(path).map_err(err("opening"))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err("setting the busy timeout"))?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err("reading the schema version"))?;
        if version > SCHEMA_VERSION {
            return Err(AccessError::Corrupt {
                path: path.to_path_buf(),
                what: format!(
                    "schema version {version} is newer than this crossdock understands ({SCHEMA_VERSION})"
                ),
            });
        }
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;")
            .map_err(err("setting pragmas"))?;
        conn.execute_batch(SCHEMA)
            .map_err(err("creating the tables"))?;
        if version < SCHEMA_VERSION {
            migrate(&conn, path)?;
        }
        Ok(UserStore {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (each
        // change is one transaction), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn err(&self, doing: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> AccessError {
        let path = self.path.clone();
        let doing = doing.into();
        move |source| AccessError::Store {
            path,
            doing,
            source,
        }
    }

    fn audit_in(
        &self,
        tx: &Transaction<'_>,
        actor: &str,
        action: &str,
        subject: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Result<()> {
        tx.execute(
            "INSERT INTO audit (at, actor, action, subject, before, after) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                ts(Utc::now()),
                actor,
                action,
                subject,
                before.map(|v| v.to_string()),
                after.map(|v| v.to_string())
            ],
        )
        .map_err(self.err(format!("writing the audit row of {action} {subject:?}")))?;
        Ok(())
    }

    /// Appends one audit row on its own (events that change no user or
    /// token, e.g. a login).
    pub fn append_audit(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn
            .transaction()
            .map_err(self.err("starting a transaction"))?;
        self.audit_in(&tx, actor, action, subject, before, after)?;
        tx.commit().map_err(self.err("committing an audit row"))
    }

    /// Sorts and checks the roles and companies of a user: at least one
    /// role, positive company ids, at least one company unless an admin.
    fn normalize(name: &str, roles: &[Role], companies: &[i64]) -> Result<(Vec<Role>, Vec<i64>)> {
        let mut roles = roles.to_vec();
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            return Err(AccessError::NoRoles {
                name: name.to_string(),
            });
        }
        let mut companies = companies.to_vec();
        companies.sort();
        companies.dedup();
        if let Some(bad) = companies.iter().find(|c| **c <= 0) {
            return Err(AccessError::InvalidCompany {
                text: bad.to_string(),
            });
        }
        if companies.is_empty() && !roles.contains(&Role::Admin) {
            return Err(AccessError::NoCompanies {
                name: name.to_string(),
            });
        }
        Ok((roles, companies))
    }

    /// Adds a user (audited as `user.add` by `actor`). A user whose name
    /// differs only in case from an existing one is refused
    /// ([`AccessError::UserExists`]).
    pub fn add_user(&self, actor: &str, new: &NewUser) -> Result<User> {
        check_name(&new.name)?;
        let (roles, companies) = Self::normalize(&new.name, &new.roles, &new.companies)?;
        check_password(&new.password)?;
        let hash = hash_password(&new.password)?;
        let user = User {
            name: new.name.clone(),
            roles,
            companies,
            disabled: false,
            created_at: from_ts(ts(Utc::now())),
        };
        let mut conn = self.conn();
        let tx = conn
            .transaction()
            .map_err(self.err("starting a transaction"))?;
        if let Some(existing) = self.find_user(&tx, &user.name)? {
            return Err(AccessError::UserExists {
                name: existing.name,
            });
        }
        tx.execute(
            "INSERT INTO users (name, password_hash, roles, companies, disabled, created_at) VALUES (?1, ?2, ?3, ?4, 0, ?5)",
            params![user.name, hash, join(&user.roles), join(&user.companies), ts(user.created_at)],
        )
        .map_err(self.err(format!("adding user {:?}", user.name)))?;
        self.audit_in(
            &tx,
            actor,
            "user.add",
            &user.name,
            None,
            Some(user.audit_json()),
        )?;
        tx.commit()
            .map_err(self.err(format!("adding user {:?}", user.name)))?;
        Ok(user)
    }

    /// The one reader of a `users` row (columns [`USER_COLUMNS`]).
    fn read_user(&self, row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<User>> {
        let name: String = row.get(0)?;
        let roles: String = row.get(1)?;
        let companies: String = row.get(2)?;
        let disabled: bool = row.get(3)?;
        let created_at: i64 = row.get(4)?;
        let corrupt = |e: AccessError| AccessError::Corrupt {
            path: self.path.clone(),
            what: format!("user {name:?}: {e}"),
        };
        let parsed = Role::parse_list(&roles)
            .and_then(|roles| Ok((roles, parse_companies(&companies)?)))
            .map_err(corrupt);
        Ok(parsed.map(|(roles, companies)| User {
            name,
            roles,
            companies,
            disabled,
            created_at: from_ts(created_at),
        }))
    }

    /// The users a `WHERE ...` clause selects (on any connection or
    /// transaction), by name.
    fn select_users(
        &self,
        conn: &Connection,
        filter: &str,
        args: impl rusqlite::Params,
        doing: &str,
    ) -> Result<Vec<User>> {
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {USER_COLUMNS} FROM users {filter} ORDER BY name"
            ))
            .map_err(self.err(doing))?;
        let rows = stmt
            .query_map(args, |r| self.read_user(r))
            .map_err(self.err(doing))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row.map_err(self.err(doing))??);
        }
        Ok(out)
    }

    /// The user named `name`, in any case.
    fn find_user(&self, conn: &Connection, name: &str) -> Result<Option<User>> {
        Ok(self
            .select_users(
                conn,
                "WHERE name = ?1 COLLATE NOCASE",
                [name],
                &format!("looking up user {name:?}"),
            )?
            .pop())
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<User>> {
        self.select_users(&self.conn(), "", params![], "listing users")
    }

    /// One user, if it exists; the name is matched regardless of case
    /// (the answer carries the name as stored).
    pub fn user(&self, name: &str) -> Result<Option<User>> {
        self.find_user(&self.conn(), name)
    }

    /// Changes one user in one transaction with its audit row (`action`,
    /// the user before and after): `change` gets the transaction and the
    /// user as stored, makes the change and returns the user after it.
    fn change_user(
        &self,
        actor: &str,
        name: &str,
        action: &str,
        change: impl FnOnce(&Transaction<'_>, &User) -> Result<User>,
    ) -> Result<User> {
        let mut conn = self.conn();
        let tx = conn
            .transaction()
            .map_err(self.err("starting a transaction"))?;
        let before = self
            .find_user(&tx, name)?
            .ok_or_else(|| AccessError::NoSuchUser {
                name: name.to_string(),
            })?;
        let after = change(&tx, &before)?;
        self.audit_in(
            &tx,
            actor,
            action,
            &before.name,
            Some(before.audit_json()),
            Some(after.audit_json()),
        )?;
        tx.commit()
            .map_err(self.err(format!("{action} of user {:?}", before.name)))?;
        Ok(after)
    }

    /// Disables a user (audited as `user.disable`); their tokens stop
    /// working with them. `actor` may not disable themselves.
    pub fn disable_user(&self, actor: &str, name: &str) -> Result<User> {
        if actor.eq_ignore_ascii_case(name) {
            return Err(AccessError::SelfDisable {
                name: name.to_string(),
            });
        }
        self.change_user(actor, name, "user.disable", |tx, before| {
            if before.disabled {
                return Err(AccessError::AlreadyDisabled {
                    name: before.name.clone(),
                });
            }
            tx.execute(
                "UPDATE users SET disabled = 1 WHERE name = ?1",
                [&before.name],
            )
            .map_err(self.err(format!("disabling user {:?}", before.name)))?;
            Ok(User {
                disabled: true,
                ..before.clone()
            })
        })
    }

    /// Enables a disabled user again (audited as `user.enable`): they can
    /// log in, and their tokens that are neither expired nor revoked work
    /// again.
    pub fn enable_user(&self, actor: &str, name: &str) -> Result<User> {
        self.change_user(actor, name, "user.enable", |tx, before| {
            if !before.disabled {
                return Err(AccessError::AlreadyEnabled {
                    name: before.name.clone(),
                });
            }
            tx.execute(
                "UPDATE users SET disabled = 0 WHERE name = ?1",
                [&before.name],
            )
            .map_err(self.err(format!("enabling user {:?}", before.name)))?;
            Ok(User {
                disabled: false,
                ..before.clone()
            })
        })
    }

    /// Sets a user's roles, and their companies when `companies` is given
    /// (audited as `user.set_roles`). The same rules as for a new user
    /// apply; the last enabled admin cannot lose the admin role
    /// ([`AccessError::LastAdmin`]).
    pub fn set_roles(
        &self,
        actor: &str,
        name: &str,
        roles: &[Role],
        companies: Option<&[i64]>,
    ) -> Result<User> {
        self.change_user(actor, name, "user.set_roles", |tx, before| {
            let (roles, companies) =
                Self::normalize(&before.name, roles, companies.unwrap_or(&before.companies))?;
            if before.has(Role::Admin) && !roles.contains(&Role::Admin) && !before.disabled {
                let others = self
                    .select_users(
                        tx,
                        "WHERE disabled = 0 AND name <> ?1",
                        [&before.name],
                        "counting the admins",
                    )?
                    .into_iter()
                    .filter(|u| u.has(Role::Admin))
                    .count();
                if others == 0 {
                    return Err(AccessError::LastAdmin {
                        name: before.name.clone(),
                    });
                }
            }
            tx.execute(
                "UPDATE users SET roles = ?1, companies = ?2 WHERE name = ?3",
                params![join(&roles), join(&companies), before.name],
            )
            .map_err(self.err(format!("setting the roles of {:?}", before.name)))?;
            Ok(User {
                roles,
                companies,
                ..before.clone()
            })
        })
    }

    /// Sets a new password for a user (audited as `user.reset_password`,
    /// without the password or its hash) and clears their failed logins as
    /// [`UserStore::unlock`] does.
    pub fn reset_password(&self, actor: &str, name: &str, password: &str) -> Result<User> {
        check_password(password)?;
        // argon2 before the lock: slow on purpose
        let hash = hash_password(password)?;
        self.change_user(actor, name, "user.reset_password", |tx, before| {
            tx.execute(
                "UPDATE users SET password_hash = ?1, failures_cleared = failures_cleared + 1 WHERE name = ?2",
                params![hash, before.name],
            )
            .map_err(self.err(format!("resetting the password of {:?}", before.name)))?;
            Ok(before.clone())
        })
    }

    /// Clears a user's failed logins (audited as `user.unlock`): the
    /// store counts it in `failures_cleared`, which the server's login
    /// throttle reads on every attempt, so this works on a running server
    /// from another process (`crossdock user unlock`).
    pub fn unlock(&self, actor: &str, name: &str) -> Result<User> {
        self.change_user(actor, name, "user.unlock", |tx, before| {
            tx.execute(
                "UPDATE users SET failures_cleared = failures_cleared + 1 WHERE name = ?1",
                [&before.name],
            )
            .map_err(self.err(format!("unlocking user {:?}", before.name)))?;
            Ok(before.clone())
        })
    }

    /// How many times the failed logins of the user named `name` (in any
    /// case) were cleared; 0 for an unknown name. The login throttle
    /// forgets an account's failures when this changes.
    pub fn failures_cleared(&self, name: &str) -> Result<i64> {
        Ok(self
            .conn()
            .query_row(
                "SELECT failures_cleared FROM users WHERE name = ?1 COLLATE NOCASE",
                [name],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err(format!("looking up user {name:?}")))?
            .unwrap_or(0))
    }

    /// Checks a password. The user when it is right and the user is not
    /// disabled; None otherwise (unknown user, wrong password, disabled),
    /// after the same argon2 work in every case. The name is matched
    /// regardless of case. Slow on purpose (argon2): call it off the async
    /// runtime's threads.
    pub fn verify_password(&self, name: &str, password: &str) -> Result<Option<User>> {
        let found = {
            let conn = self.conn();
            conn.query_row(
                "SELECT password_hash FROM users WHERE name = ?1 COLLATE NOCASE",
                [name],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map_err(self.err(format!("looking up user {name:?}")))?
        };
        let ok = verify_hash(found.as_deref().unwrap_or(dummy_hash()), password);
        if !ok || found.is_none() {
            return Ok(None);
        }
        Ok(self.user(name)?.filter(|u| !u.disabled))
    }

    /// Issues a token for `user`, valid until `expires_at` (audited as
    /// `token.issue`). The returned secret is not stored: show it once.
    pub fn issue_token(
        &self,
        actor: &str,
        user: &str,
        label: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<IssuedToken> {
        check_label(label)?;
        let now = from_ts(ts(Utc::now()));
        if expires_at > now + Duration::days(MAX_TOKEN_DAYS) {
            return Err(AccessError::InvalidExpiry {
                why: format!("at most {MAX_TOKEN_DAYS} days"),
            });
        }
        let owner = self.user(user)?.ok_or_else(|| AccessError::NoSuchUser {
            name: user.to_string(),
        })?;
        if owner.disabled {
            return Err(AccessError::AlreadyDisabled { name: owner.name });
        }
        let mut id_bytes = [0u8; 6];
        OsRng.fill_bytes(&mut id_bytes);
        let id = hex::encode(id_bytes);
        let secret = format!("{TOKEN_PREFIX}{id}_{}", random_b64(32));
        let token = Token {
            id: id.clone(),
            user: owner.name.clone(),
            label: label.to_string(),
            expires_at: from_ts(ts(expires_at)),
            revoked_at: None,
            created_at: now,
        };
        let mut conn = self.conn();
        let tx = conn
            .transaction()
            .map_err(self.err("starting a transaction"))?;
        tx.execute(
            "INSERT INTO tokens (id, user_name, secret_hash, label, expires_at, revoked_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)",
            params![id, token.user, sha256_hex(&secret), token.label, ts(token.expires_at), ts(now)],
        )
        .map_err(self.err(format!("issuing a token for {user:?}")))?;
        self.audit_in(
            &tx,
            actor,
            "token.issue",
            &id,
            None,
            Some(token.audit_json()),
        )?;
        tx.commit()
            .map_err(self.err(format!("issuing a token for {user:?}")))?;
        Ok(IssuedToken { token, secret })
    }

    /// The one reader of a `tokens` row (columns [`TOKEN_COLUMNS`]).
    fn read_token(row: &rusqlite::Row<'_>) -> rusqlite::Result<Token> {
        Ok(Token {
            id: row.get(0)?,
            user: row.get(1)?,
            label: row.get(2)?,
            expires_at: from_ts(row.get(3)?),
            revoked_at: row.get::<_, Option<i64>>(4)?.map(from_ts),
            created_at: from_ts(row.get(5)?),
        })
    }

    /// Tokens, of one user or of all, oldest first.
    pub fn tokens(&self, user: Option<&str>) -> Result<Vec<Token>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {TOKEN_COLUMNS} FROM tokens
                 WHERE ?1 IS NULL OR user_name = ?1 COLLATE NOCASE ORDER BY created_at, id"
            ))
            .map_err(self.err("listing tokens"))?;
        let rows = stmt
            .query_map([user], Self::read_token)
            .map_err(self.err("listing tokens"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err("listing tokens"))
    }

    /// Revokes a token (audited as `token.revoke`).
    pub fn revoke_token(&self, actor: &str, id: &str) -> Result<Token> {
        let mut conn = self.conn();
        let tx = conn
            .transaction()
            .map_err(self.err("starting a transaction"))?;
        let before = tx
            .query_row(
                &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = ?1"),
                [id],
                Self::read_token,
            )
            .optional()
            .map_err(self.err(format!("looking up token {id:?}")))?
            .ok_or_else(|| AccessError::NoSuchToken { id: id.to_string() })?;
        if before.revoked_at.is_some() {
            return Err(AccessError::AlreadyRevoked { id: id.to_string() });
        }
        let now = from_ts(ts(Utc::now()));
        tx.execute(
            "UPDATE tokens SET revoked_at = ?1 WHERE id = ?2",
            params![ts(now), id],
        )
        .map_err(self.err(format!("revoking token {id:?}")))?;
        let after = Token {
            revoked_at: Some(now),
            ..before.clone()
        };
        self.audit_in(
            &tx,
            actor,
            "token.revoke",
            id,
            Some(before.audit_json()),
            Some(after.audit_json()),
        )?;
        tx.commit()
            .map_err(self.err(format!("revoking token {id:?}")))?;
        Ok(after)
    }

    /// The user a presented token (`cdk_<id>_<secret>`) stands for, at
    /// `now`: None when the token is malformed, unknown, wrong, revoked,
    /// expired, or its user is disabled.
    pub fn authenticate_token_at(
        &self,
        presented: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(User, Token)>> {
        let Some(rest) = presented.strip_prefix(TOKEN_PREFIX) else {
            return Ok(None);
        };
        let Some((id, _)) = rest.split_once('_') else {
            return Ok(None);
        };
        if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let found = {
            let conn = self.conn();
            conn.query_row(
                &format!("SELECT {TOKEN_COLUMNS}, secret_hash FROM tokens WHERE id = ?1"),
                [id],
                |r| Ok((Self::read_token(r)?, r.get::<_, String>(6)?)),
            )
            .optional()
            .map_err(self.err("looking up a token"))?
        };
        let Some((token, hash)) = found else {
            return Ok(None);
        };
        if !constant_time_eq(sha256_hex(presented).as_bytes(), hash.as_bytes())
            || token.revoked_at.is_some()
            || token.expires_at <= now
        {
            return Ok(None);
        }
        Ok(self
            .user(&token.user)?
            .filter(|u| !u.disabled)
            .map(|u| (u, token)))
    }

    /// [`UserStore::authenticate_token_at`] now.
    pub fn authenticate_token(&self, presented: &str) -> Result<Option<(User, Token)>> {
        self.authenticate_token_at(presented, Utc::now())
    }

    /// The audit trail, oldest first: the rows after `after_id` (0 for all),
    /// at most `limit` of them.
    pub fn audit(&self, after_id: i64, limit: usize) -> Result<Vec<AuditEntry>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT id, at, actor, action, subject, before, after FROM audit
                 WHERE id > ?1 ORDER BY id LIMIT ?2",
            )
            .map_err(self.err("reading the audit trail"))?;
        let rows = stmt
            .query_map(params![after_id, limit as i64], |r| {
                let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: from_ts(r.get(1)?),
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    subject: r.get(4)?,
                    before: json(r.get(5)?),
                    after: json(r.get(6)?),
                })
            })
            .map_err(self.err("reading the audit trail"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err("reading the audit trail"))
    }

    /// The newest `n` rows of the audit trail, oldest first.
    pub fn audit_latest(&self, n: usize) -> Result<Vec<AuditEntry>> {
        let last: i64 = self
            .conn()
            .query_row("SELECT coalesce(max(id), 0) FROM audit", [], |r| r.get(0))
            .map_err(self.err("reading the audit trail"))?;
        self.audit((last - n as i64).max(0), n)
    }

    /// Runs raw SQL on the store's connection (tests only, feature
    /// `test-hooks`: proving the triggers refuse UPDATE and DELETE on the
    /// audit trail).
    #[cfg(any(test, feature = "test-hooks"))]
    pub fn execute_raw(&self, sql: &str) -> Result<usize> {
        self.conn()
            .execute(sql, [])
            .map_err(self.err(format!("running {sql:?}")))
    }
}

/// The audit trail as CSV (RFC 4180: every field quoted), with a header.
pub fn audit_csv(entries: &[AuditEntry]) -> String {
    fn q(s: &str) -> String {
        // A leading =, +, - or @ would be a formula in a spreadsheet.
        let s = if s.starts_with(['=', '+', '-', '@']) {
            format!("'{s}")
        } else {
            s.to_string()
        };
        format!("\"{}\"", s.replace('"', "\"\""))
    }
    let mut out = String::from("id,at,actor,action,subject,before,after\r\n");
    for e in entries {
        let j = |v: &Option<Value>| v.as_ref().map(Value::to_string).unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\r\n",
            e.id,
            q(&e.at.to_rfc3339()),
            q(&e.actor),
            q(&e.action),
            q(&e.subject),
            q(&j(&e.before)),
            q(&j(&e.after)),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, UserStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = UserStore::open_in(dir.path()).unwrap();
        (dir, store)
    }

    fn new_user(name: &str, roles: &[Role], companies: &[i64]) -> NewUser {
        NewUser {
            name: name.into(),
            roles: roles.to_vec(),
            companies: companies.to_vec(),
            password: "correct horse battery".into(),
        }
    }

    #[test]
    fn users_are_added_listed_verified_and_disabled_with_audit_rows() {
        let (dir, s) = store();
        assert!(dir.path().join(STORE_FILE).is_file());
        let ana = s
            .add_user(
                "cli:root",
                &new_user("ana", &[Role::Planner, Role::Service], &[2, 1, 2]),
            )
            .unwrap();
        assert_eq!(ana.companies, vec![1, 2]);
        assert_eq!(ana.company_scope(), Some([1, 2].into()));
        let e = s
            .add_user("cli:root", &new_user("ana", &[Role::Planner], &[1]))
            .unwrap_err();
        assert!(matches!(e, AccessError::UserExists { .. }), "{e}");
        assert!(s
            .verify_password("ana", "correct horse battery")
            .unwrap()
            .is_some());
        assert!(s
            .verify_password("ana", "wrong password!")
            .unwrap()
            .is_none());
        assert!(s
            .verify_password("bob", "correct horse battery")
            .unwrap()
            .is_none());
        let admin = s
            .add_user("cli:root", &new_user("root", &[Role::Admin], &[]))
            .unwrap();
        assert_eq!(admin.company_scope(), None);
        assert_eq!(s.users().unwrap().len(), 2);

        let disabled = s.disable_user("root", "ana").unwrap();
        assert!(disabled.disabled);
        assert!(s
            .verify_password("ana", "correct horse battery")
            .unwrap()
            .is_none());
        assert!(matches!(
            s.disable_user("root", "ana"),
            Err(AccessError::AlreadyDisabled { .. })
        ));
        assert!(matches!(
            s.disable_user("root", "root"),
            Err(AccessError::SelfDisable { .. })
        ));
        assert!(matches!(
            s.disable_user("root", "zed"),
            Err(AccessError::NoSuchUser { .. })
        ));

        let audit = s.audit(0, 100).unwrap();
        let actions: Vec<_> = audit
            .iter()
            .map(|a| (a.action.as_str(), a.subject.as_str()))
            .collect();
        assert_eq!(
            actions,
            vec![
                ("user.add", "ana"),
                ("user.add", "root"),
                ("user.disable", "ana")
            ]
        );
        assert_eq!(audit[2].actor, "root");
        assert_eq!(audit[2].before.as_ref().unwrap()["disabled"], false);
        assert_eq!(audit[2].after.as_ref().unwrap()["disabled"], true);
        let text = serde_json::to_string(&audit).unwrap();
        assert!(!text.contains("argon2"), "a hash in the audit: {text}");
    }

    #[test]
    fn bad_input_is_refused_with_reasons() {
        let (_d, s) = store();
        for (u, needle) in [
            (new_user("", &[Role::Planner], &[1]), "empty"),
            (new_user("a b", &[Role::Planner], &[1]), "letters"),
            (new_user("ok", &[], &[1]), "role"),
            (new_user("ok", &[Role::Planner], &[]), "company"),
            (new_user("ok", &[Role::Planner], &[0]), "company"),
            (
                NewUser {
                    password: "short".into(),
                    ..new_user("ok", &[Role::Planner], &[1])
                },
                "10",
            ),
        ] {
            let e = s.add_user("t", &u).unwrap_err();
            assert!(e.is_user_error() && e.to_string().contains(needle), "{e}");
        }
        assert!(s.users().unwrap().is_empty());
        assert!(
            s.audit(0, 10).unwrap().is_empty(),
            "refusals are not audited"
        );
        assert!(parse_companies("1, x").is_err());
        assert_eq!(parse_companies("2,1,2").unwrap(), vec![1, 2]);
    }

    #[test]
    fn tokens_are_hashed_expire_and_revoke() {
        let (dir, s) = store();
        s.add_user("t", &new_user("ana", &[Role::Executive], &[1]))
            .unwrap();
        let in_a_day = Utc::now() + Duration::days(1);
        let issued = s.issue_token("t", "ana", "script", in_a_day).unwrap();
        assert!(issued
            .secret
            .starts_with(&format!("cdk_{}_", issued.token.id)));
        let (user, token) = s.authenticate_token(&issued.secret).unwrap().unwrap();
        assert_eq!(
            (user.name.as_str(), token.label.as_str()),
            ("ana", "script")
        );
        // Wrong secret, malformed, unknown id.
        let wrong = format!("{}x", issued.secret);
        for bad in [
            wrong.as_str(),
            "cdk_",
            "Bearer x",
            "cdk_zz_abc",
            "cdk_0123456789ab_abc",
        ] {
            assert!(s.authenticate_token(bad).unwrap().is_none(), "{bad}");
        }
        // Expiry.
        assert!(s
            .authenticate_token_at(&issued.secret, in_a_day + Duration::seconds(1))
            .unwrap()
            .is_none());
        // The secret is nowhere in the file.
        drop(s);
        let bytes = std::fs::read(dir.path().join(STORE_FILE)).unwrap();
        let secret_part = issued.secret.rsplit('_').next().unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains(secret_part));
        let s = UserStore::open_in(dir.path()).unwrap();
        // Revocation.
        s.revoke_token("t", &issued.token.id).unwrap();
        assert!(s.authenticate_token(&issued.secret).unwrap().is_none());
        assert!(matches!(
            s.revoke_token("t", &issued.token.id),
            Err(AccessError::AlreadyRevoked { .. })
        ));
        // A disabled user's token stops working.
        let other = s.issue_token("t", "ana", "", in_a_day).unwrap();
        assert!(s.authenticate_token(&other.secret).unwrap().is_some());
        s.disable_user("t", "ana").unwrap();
        assert!(s.authenticate_token(&other.secret).unwrap().is_none());
        assert!(s.issue_token("t", "ana", "", in_a_day).is_err());
        assert!(s.issue_token("t", "nobody", "", in_a_day).is_err());
        let actions: Vec<_> = s
            .audit(0, 100)
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect();
        assert_eq!(
            actions,
            [
                "user.add",
                "token.issue",
                "token.revoke",
                "token.issue",
                "user.disable"
            ]
        );
        assert_eq!(s.tokens(Some("ana")).unwrap().len(), 2);
    }

    #[test]
    fn the_audit_trail_refuses_update_and_delete() {
        let (_d, s) = store();
        s.append_audit("t", "login.ok", "ana", None, None).unwrap();
        for sql in [
            "UPDATE audit SET actor = 'x'",
            "DELETE FROM audit",
            "UPDATE audit SET id = 5 WHERE id = 1",
        ] {
            let e = s.execute_raw(sql).unwrap_err().to_string();
            assert!(e.contains("append-only"), "{sql}: {e}");
        }
        assert_eq!(s.audit(0, 10).unwrap().len(), 1);
        assert_eq!(s.audit(1, 10).unwrap().len(), 0);
    }

    #[test]
    fn audit_csv_quotes_and_defuses_formulas() {
        let e = AuditEntry {
            id: 1,
            at: from_ts(0),
            actor: "=cmd()".into(),
            action: "user.add".into(),
            subject: "a\"b".into(),
            before: None,
            after: Some(json!({"k": 1})),
        };
        let csv = audit_csv(&[e]);
        assert!(csv.starts_with("id,at,actor,action,subject,before,after\r\n"));
        assert!(csv.contains("\"'=cmd()\""), "{csv}");
        assert!(csv.contains("\"a\"\"b\""), "{csv}");
        assert!(csv.contains("\"{\"\"k\"\":1}\""), "{csv}");
    }

    #[test]
    fn names_are_case_insensitive_and_unique() {
        let (_d, s) = store();
        s.add_user("t", &new_user("admin", &[Role::Admin], &[]))
            .unwrap();
        let e = s
            .add_user("t", &new_user("ADMIN", &[Role::Admin], &[]))
            .unwrap_err();
        assert!(
            matches!(&e, AccessError::UserExists { name } if name == "admin"),
            "{e}"
        );
        let found = s
            .verify_password("Admin", "correct horse battery")
            .unwrap()
            .expect("Admin finds admin");
        assert_eq!(found.name, "admin", "the stored name is answered");
        assert_eq!(s.user("ADMIN").unwrap().unwrap().name, "admin");
        s.add_user("t", &new_user("Bo", &[Role::Planner], &[1]))
            .unwrap();
        let t = s
            .issue_token("t", "bo", "", Utc::now() + Duration::days(1))
            .unwrap();
        assert_eq!(t.token.user, "Bo");
        assert_eq!(s.tokens(Some("BO")).unwrap().len(), 1);
        assert!(matches!(
            s.disable_user("bo", "BO"),
            Err(AccessError::SelfDisable { .. })
        ));
        assert!(s.disable_user("admin", "bO").unwrap().disabled);
        assert_eq!(s.audit(0, 10).unwrap().last().unwrap().subject, "Bo");
    }

    /// A schema-1 store, as crossdock before case-insensitive names wrote it.
    fn v1_store(dir: &Path, names: &[&str]) {
        let path = dir.join(STORE_FILE);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn.execute_batch("PRAGMA user_version = 1").unwrap();
        let hash = hash_password("correct horse battery").unwrap();
        for n in names {
            conn.execute(
                "INSERT INTO users (name, password_hash, roles, companies, disabled, created_at) VALUES (?1, ?2, 'planner', '1', 0, 0)",
                params![n, hash],
            )
            .unwrap();
        }
    }

    #[test]
    fn a_schema_1_store_is_migrated_and_clashing_names_are_named() {
        let dir = tempfile::tempdir().unwrap();
        v1_store(dir.path(), &["Ana", "bo"]);
        let s = UserStore::open_in(dir.path()).unwrap();
        assert!(s
            .verify_password("ana", "correct horse battery")
            .unwrap()
            .is_some());
        assert!(matches!(
            s.add_user("t", &new_user("BO", &[Role::Planner], &[1])),
            Err(AccessError::UserExists { .. })
        ));
        assert_eq!(s.failures_cleared("ANA").unwrap(), 0);
        drop(s);
        // opened again: already at version 2, nothing to do
        let s = UserStore::open_in(dir.path()).unwrap();
        assert_eq!(s.users().unwrap().len(), 2);

        let dir = tempfile::tempdir().unwrap();
        v1_store(dir.path(), &["admin", "ADMIN", "ok"]);
        let e = UserStore::open_in(dir.path()).unwrap_err();
        assert!(matches!(e, AccessError::Corrupt { .. }), "{e}");
        let text = e.to_string();
        assert!(
            text.contains("admin, ADMIN") || text.contains("ADMIN, admin"),
            "{text}"
        );
        // nothing was changed: still schema 1
        let conn = Connection::open(dir.path().join(STORE_FILE)).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 1);
    }

    #[test]
    fn enable_set_roles_reset_password_and_unlock_are_audited() {
        let (_d, s) = store();
        s.add_user("t", &new_user("root", &[Role::Admin], &[]))
            .unwrap();
        s.add_user("t", &new_user("ana", &[Role::Planner], &[1]))
            .unwrap();
        assert!(matches!(
            s.enable_user("root", "ana"),
            Err(AccessError::AlreadyEnabled { .. })
        ));
        s.disable_user("root", "ana").unwrap();
        assert!(!s.enable_user("root", "ANA").unwrap().disabled);
        assert!(s
            .verify_password("ana", "correct horse battery")
            .unwrap()
            .is_some());

        let u = s
            .set_roles(
                "root",
                "ana",
                &[Role::Service, Role::Executive],
                Some(&[2, 1]),
            )
            .unwrap();
        assert_eq!(
            (u.roles.clone(), u.companies.clone()),
            (vec![Role::Executive, Role::Service], vec![1, 2])
        );
        let u = s.set_roles("root", "ana", &[Role::Planner], None).unwrap();
        assert_eq!(u.companies, vec![1, 2], "companies kept when not given");
        assert_eq!(s.user("ana").unwrap().unwrap(), u);
        for (roles, companies, want) in [
            (vec![], None, "role"),
            (vec![Role::Planner], Some(vec![]), "company"),
            (vec![Role::Planner], Some(vec![0]), "company"),
        ] {
            let e = s
                .set_roles("root", "ana", &roles, companies.as_deref())
                .unwrap_err();
            assert!(e.is_user_error() && e.to_string().contains(want), "{e}");
        }
        assert!(matches!(
            s.set_roles("root", "root", &[Role::Planner], Some(&[1])),
            Err(AccessError::LastAdmin { .. })
        ));
        assert!(matches!(
            s.set_roles("root", "nobody", &[Role::Planner], Some(&[1])),
            Err(AccessError::NoSuchUser { .. })
        ));

        assert!(matches!(
            s.reset_password("root", "ana", "short"),
            Err(AccessError::WeakPassword { .. })
        ));
        s.reset_password("root", "ana", "another long password")
            .unwrap();
        assert!(s
            .verify_password("ana", "correct horse battery")
            .unwrap()
            .is_none());
        assert!(s
            .verify_password("ana", "another long password")
            .unwrap()
            .is_some());
        assert_eq!(s.failures_cleared("ana").unwrap(), 1);
        s.unlock("root", "Ana").unwrap();
        assert_eq!(s.failures_cleared("ana").unwrap(), 2);
        assert_eq!(s.failures_cleared("nobody").unwrap(), 0);
        assert!(matches!(
            s.unlock("root", "nobody"),
            Err(AccessError::NoSuchUser { .. })
        ));

        let audit = s.audit(0, 100).unwrap();
        let actions: Vec<_> = audit.iter().skip(2).map(|a| a.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "user.disable",
                "user.enable",
                "user.set_roles",
                "user.set_roles",
                "user.reset_password",
                "user.unlock"
            ]
        );
        let roles = &audit[4];
        assert_eq!(roles.actor, "root");
        assert_eq!(roles.before.as_ref().unwrap()["roles"], json!(["planner"]));
        assert_eq!(
            roles.after.as_ref().unwrap()["roles"],
            json!(["executive", "service"])
        );
        let text = serde_json::to_string(&audit).unwrap();
        assert!(
            !text.contains("argon2") && !text.contains("another long password"),
            "{text}"
        );
    }
}

//! `cakap users …`: create the first administrators from the command line, list accounts.
//! `main.rs` reads the arguments and the password; the work is here.

use diesel::prelude::*;
use rand::Rng;

use super::orgs;
use super::password;
use super::users::{self, CreateError, NewUser};
use crate::db::schema::users as users_t;
use crate::db::DbConnection;
use crate::i18n::{I18n, Lang};

/// The role of a new account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    /// Platform administrator: every agency, every setting.
    Admin,
    /// Administrator of one agency (needs `--agency`).
    AgencyAdmin,
    /// Writes and publishes courses.
    Author,
    /// Learns; no extra rights.
    #[default]
    Learner,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s.trim().to_lowercase().as_str() {
            "admin" | "platform-admin" => Role::Admin,
            "agency-admin" => Role::AgencyAdmin,
            "author" => Role::Author,
            "learner" => Role::Learner,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct AddUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// An agency code (`--agency`).
    pub agency: Option<String>,
    pub password: String,
}

#[derive(Debug, Clone)]
pub struct Created {
    pub id: i64,
    pub email: String,
    pub roles: String,
}

/// A strong random password: 20 characters from an alphabet without look-alikes (0/O, 1/l/I).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let chars: String = (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    // groups of five read and type better: abcde-fghij-…
    chars
        .as_bytes()
        .chunks(5)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("-")
}

fn roles_label(author: bool, agency_admin: bool, platform_admin: bool) -> String {
    let mut r = Vec::new();
    if platform_admin {
        r.push("admin");
    }
    if agency_admin {
        r.push("agency-admin");
    }
    if author {
        r.push("author");
    }
    if r.is_empty() {
        r.push("learner");
    }
    r.join(",")
}

/// Create a verified account with a password. Errors are one sentence saying what to do.
pub fn add_user(conn: &mut DbConnection, args: &AddUser) -> Result<Created, String> {
    let email = users::normalize_email(&args.email).ok_or_else(|| {
        format!(
            "`{}` is not an e-mail address; write it in full, e.g. nama@instansi.go.id",
            args.email.trim()
        )
    })?;
    let name = full_name(&args.name)?;
    check_password(&args.password, &email)?;
    let agency_id = agency_for(conn, args)?;
    let (author, agency_admin, platform_admin) = match args.role {
        Role::Admin => (false, false, true),
        Role::AgencyAdmin => (false, true, false),
        Role::Author => (true, false, false),
        Role::Learner => (false, false, false),
    };
    let hash = password::hash(&args.password)?;
    let id = users::create(
        conn,
        &NewUser {
            email: email.clone(),
            name,
            password_hash: Some(hash),
            verified: true,
            agency_id,
            is_author: author,
            is_agency_admin: agency_admin,
            is_platform_admin: platform_admin,
            ..Default::default()
        },
    )
    .map_err(|e| match e {
        CreateError::EmailTaken => format!(
            "an account with the e-mail {email} already exists; use another address, or reset \
             its password at /password/reset"
        ),
        CreateError::NipTaken => "that NIP is already used by another account".to_string(),
        CreateError::Db(e) => e.to_string(),
    })?;
    Ok(Created {
        id,
        email,
        roles: roles_label(author, agency_admin, platform_admin),
    })
}

/// The person's name, as `--name` gives it, checked.
fn full_name(raw: &str) -> Result<String, String> {
    match crate::text::person_name(raw) {
        Ok(n) => Ok(n),
        Err(crate::text::NameError::TooShort) => {
            Err("give the person's full name with --name".into())
        }
        Err(crate::text::NameError::Control) => {
            Err("the name holds a line break, tab or other control character; give it on one line with --name".into())
        }
    }
}

/// The password must be strong enough (and not the e-mail); the refusal is worded in English.
fn check_password(password: &str, email: &str) -> Result<(), String> {
    if let Err(weak) = password::check_new(password, email) {
        let text = I18n::load()
            .ok()
            .and_then(|i| {
                i.format(
                    Lang::En,
                    weak.key(),
                    &[("min", password::MIN_LEN.to_string())],
                )
            })
            .unwrap_or_else(|| weak.key().to_string());
        return Err(format!("the password is refused: {text}"));
    }
    Ok(())
}

/// The agency `--agency CODE` names, which must exist; an agency administrator needs one.
fn agency_for(conn: &mut DbConnection, args: &AddUser) -> Result<Option<i64>, String> {
    let agency_id = match args.agency.as_deref().map(str::trim) {
        Some(code) if !code.is_empty() => Some(
            orgs::agency_by_code(conn, code)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| {
                    format!(
                        "there is no agency with the code `{code}`; a platform administrator lists \
                         and creates agencies at /admin/agencies (create an admin with --role admin \
                         first if there is none)"
                    )
                })?
                .id,
        ),
        _ => None,
    };
    if args.role == Role::AgencyAdmin && agency_id.is_none() {
        return Err(
            "--role agency-admin needs --agency CODE, the code of an existing agency; a platform \
             administrator lists and creates agencies at /admin/agencies"
                .into(),
        );
    }
    Ok(agency_id)
}

/// One account, for `cakap users list`.
#[derive(Debug, Clone)]
pub struct Listed {
    pub email: String,
    pub name: String,
    pub roles: String,
    pub disabled: bool,
}

/// Every account, by e-mail.
pub fn list_users(conn: &mut DbConnection) -> Result<Vec<Listed>, String> {
    let rows: Vec<(String, String, bool, bool, bool, bool)> = users_t::table
        .select((
            users_t::email,
            users_t::name,
            users_t::is_author,
            users_t::is_agency_admin,
            users_t::is_platform_admin,
            users_t::disabled,
        ))
        .order(users_t::email)
        .load(conn)
        .map_err(|e| e.to_string())?;
    Ok(rows
        .into_iter()
        .map(|(email, name, a, g, p, disabled)| Listed {
            email,
            name,
            roles: roles_label(a, g, p),
            disabled,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_and_pass_the_rules() {
        let a = generate_password();
        assert_eq!(a.len(), 23);
        assert!(password::check_new(&a, "x@y.go.id").is_ok());
        assert_ne!(a, generate_password());
    }

    #[test]
    fn roles_parse() {
        assert_eq!(Role::parse("agency-admin"), Some(Role::AgencyAdmin));
        assert_eq!(Role::parse("Admin"), Some(Role::Admin));
        assert_eq!(Role::parse("boss"), None);
    }
}

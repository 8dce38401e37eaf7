//! People: reading and writing user rows. Plain functions over a connection.

use chrono::Utc;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::users;
use crate::db::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub nip: Option<String>,
    pub password_hash: Option<String>,
    pub email_verified_at: Option<chrono::NaiveDateTime>,
    pub agency_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub position_id: Option<i64>,
    pub supervisor_id: Option<i64>,
    pub is_author: bool,
    pub is_agency_admin: bool,
    pub is_platform_admin: bool,
    pub disabled: bool,
    pub session_version: i32,
    pub language: Option<String>,
}

/// A person as the API (`/api/v1/me`) and the pages show them: the row without its password
/// hash. The OpenAPI schema keeps the name "User".
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = User)]
pub struct UserView {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub nip: Option<String>,
    #[serde(serialize_with = "crate::clock::rfc3339::maybe_instant")]
    pub email_verified_at: Option<chrono::NaiveDateTime>,
    pub agency_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub position_id: Option<i64>,
    pub supervisor_id: Option<i64>,
    pub is_author: bool,
    pub is_agency_admin: bool,
    pub is_platform_admin: bool,
    pub disabled: bool,
    pub session_version: i32,
    pub language: Option<String>,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id,
            email: u.email.clone(),
            name: u.name.clone(),
            nip: u.nip.clone(),
            email_verified_at: u.email_verified_at,
            agency_id: u.agency_id,
            unit_id: u.unit_id,
            position_id: u.position_id,
            supervisor_id: u.supervisor_id,
            is_author: u.is_author,
            is_agency_admin: u.is_agency_admin,
            is_platform_admin: u.is_platform_admin,
            disabled: u.disabled,
            session_version: u.session_version,
            language: u.language.clone(),
        }
    }
}

impl User {
    /// What the API and the pages may show of this person.
    pub fn view(&self) -> UserView {
        UserView::from(self)
    }
}

/// A trimmed, lower-cased e-mail address, or `None` when it cannot be one.
pub fn normalize_email(input: &str) -> Option<String> {
    let e = input.trim().to_lowercase();
    let (local, domain) = e.split_once('@')?;
    let ok = !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && e.len() <= 254
        && !e
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c))
        && !domain.contains('@');
    ok.then_some(e)
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<User>, DbError> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<User>, DbError> {
    let Some(email) = normalize_email(email) else {
        return Ok(None);
    };
    Ok(users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn nip_taken(conn: &mut DbConnection, nip: &str, except: Option<i64>) -> Result<bool, DbError> {
    let mut q = users::table
        .filter(users::nip.eq(nip))
        .select(users::id)
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(users::id.ne(id));
    }
    Ok(q.first::<i64>(conn).optional()?.is_some())
}

pub fn count(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(users::table.count().get_result(conn)?)
}

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub nip: Option<String>,
    pub password_hash: Option<String>,
    pub verified: bool,
    pub agency_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub position_id: Option<i64>,
    pub supervisor_id: Option<i64>,
    pub is_author: bool,
    pub is_agency_admin: bool,
    pub is_platform_admin: bool,
}

/// The row [`create`] writes for a [`NewUser`] (`None` is written as NULL).
#[derive(Insertable)]
#[diesel(table_name = users, treat_none_as_null = true)]
struct UserRow<'a> {
    email: &'a str,
    name: &'a str,
    nip: Option<&'a str>,
    password_hash: Option<&'a str>,
    email_verified_at: Option<chrono::NaiveDateTime>,
    agency_id: Option<i64>,
    unit_id: Option<i64>,
    position_id: Option<i64>,
    supervisor_id: Option<i64>,
    is_author: bool,
    is_agency_admin: bool,
    is_platform_admin: bool,
    disabled: bool,
    session_version: i32,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

#[derive(Debug)]
pub enum CreateError {
    EmailTaken,
    NipTaken,
    Db(DbError),
}

impl From<diesel::result::Error> for CreateError {
    fn from(e: diesel::result::Error) -> Self {
        CreateError::Db(DbError::Query(e))
    }
}

impl From<DbError> for CreateError {
    fn from(e: DbError) -> Self {
        CreateError::Db(e)
    }
}

/// Insert a person. The e-mail must already be normalized.
pub fn create(conn: &mut DbConnection, u: &NewUser) -> Result<i64, CreateError> {
    let now = Utc::now().naive_utc();
    if find_by_email(conn, &u.email)?.is_some() {
        return Err(CreateError::EmailTaken);
    }
    if let Some(nip) = &u.nip {
        if nip_taken(conn, nip, None)? {
            return Err(CreateError::NipTaken);
        }
    }
    // In a savepoint of its own: callers go on in their transaction after a concurrent
    // registration won the race (registration then mails the address's owner), and on PostgreSQL
    // a failed statement would spoil the transaction around it.
    let inserted = crate::db::transaction(conn, |conn| {
        diesel::insert_into(users::table)
            .values(UserRow {
                email: &u.email,
                name: &u.name,
                nip: u.nip.as_deref(),
                password_hash: u.password_hash.as_deref(),
                email_verified_at: u.verified.then_some(now),
                agency_id: u.agency_id,
                unit_id: u.unit_id,
                position_id: u.position_id,
                supervisor_id: u.supervisor_id,
                is_author: u.is_author,
                is_agency_admin: u.is_agency_admin,
                is_platform_admin: u.is_platform_admin,
                disabled: false,
                session_version: 1,
                created_at: now,
                updated_at: now,
            })
            .returning(users::id)
            .get_result::<i64>(conn)
    });
    match inserted {
        Ok(id) => Ok(id),
        // a concurrent registration won the race
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            info,
        )) => {
            if info.message().contains("nip")
                || info.constraint_name().is_some_and(|c| c.contains("nip"))
            {
                Err(CreateError::NipTaken)
            } else {
                Err(CreateError::EmailTaken)
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Store a new password hash and end every other session. Returns the new session version.
pub fn set_password(conn: &mut DbConnection, id: i64, hash: &str) -> Result<i32, DbError> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(Some(hash)),
            users::session_version.eq(users::session_version + 1),
            users::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    session_version(conn, id)
}

/// End every session of a user ("log out of all devices", a role change). Returns the new version.
pub fn bump_session(conn: &mut DbConnection, id: i64) -> Result<i32, DbError> {
    diesel::update(users::table.find(id))
        .set(users::session_version.eq(users::session_version + 1))
        .execute(conn)?;
    session_version(conn, id)
}

fn session_version(conn: &mut DbConnection, id: i64) -> Result<i32, DbError> {
    Ok(users::table
        .find(id)
        .select(users::session_version)
        .first(conn)?)
}

pub fn mark_verified(conn: &mut DbConnection, id: i64) -> Result<(), DbError> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::email_verified_at.is_null()),
    )
    .set(users::email_verified_at.eq(Some(Utc::now().naive_utc())))
    .execute(conn)?;
    Ok(())
}

/// What a person changes about themselves: name, NIP, language. Agency, unit, position and
/// supervisor grant rights and are set by an administrator (`accounts::placement`).
pub fn update_own(
    conn: &mut DbConnection,
    id: i64,
    name: &str,
    nip: Option<&str>,
    language: Option<&str>,
) -> Result<(), DbError> {
    diesel::update(users::table.find(id))
        .set((
            users::name.eq(name),
            users::nip.eq(nip),
            users::language.eq(language),
            users::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Roles an administrator grants; changing them ends the person's sessions.
pub fn set_roles(
    conn: &mut DbConnection,
    id: i64,
    author: bool,
    agency_admin: bool,
    platform_admin: bool,
) -> Result<(), DbError> {
    diesel::update(users::table.find(id))
        .set((
            users::is_author.eq(author),
            users::is_agency_admin.eq(agency_admin),
            users::is_platform_admin.eq(platform_admin),
            users::session_version.eq(users::session_version + 1),
            users::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// How many people `id` supervises.
pub fn team_size(conn: &mut DbConnection, id: i64) -> Result<i64, DbError> {
    Ok(users::table
        .filter(users::supervisor_id.eq(id))
        .count()
        .get_result(conn)?)
}

/// One page of the people `id` supervises (by name), and how many they are in all.
pub fn team_page(
    conn: &mut DbConnection,
    id: i64,
    offset: i64,
    limit: i64,
) -> Result<(Vec<User>, i64), DbError> {
    let total = team_size(conn, id)?;
    let page = users::table
        .filter(users::supervisor_id.eq(id))
        .order((users::name, users::id))
        .offset(offset)
        .limit(limit)
        .select(User::as_select())
        .load(conn)?;
    Ok((page, total))
}

/// Whether `id` supervises anyone.
pub fn is_supervisor(conn: &mut DbConnection, id: i64) -> Result<bool, DbError> {
    Ok(users::table
        .filter(users::supervisor_id.eq(id))
        .select(users::id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

diesel::define_sql_function! {
    #[sql_name = "lower"]
    fn lower_text(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// `%text%` for LIKE, with `%`, `_` and `\` escaped (escape character `\`).
fn like_pattern(text: &str) -> String {
    let mut p = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// People matching `query` (name, e-mail or NIP, any case), in one agency or everywhere, by
/// name; one page of them and how many match in all.
pub fn search(
    conn: &mut DbConnection,
    agency_id: Option<i64>,
    query: &str,
    offset: i64,
    limit: i64,
) -> Result<(Vec<User>, i64), DbError> {
    let query = query.split_whitespace().collect::<Vec<_>>().join(" ");
    let filtered = || {
        let mut q = users::table.into_boxed();
        if let Some(a) = agency_id {
            q = q.filter(users::agency_id.eq(a));
        }
        if !query.is_empty() {
            let text = like_pattern(&query.to_lowercase());
            let digits: String = query.chars().filter(|c| c.is_ascii_digit()).collect();
            let nip = if digits.is_empty() {
                // matches nothing: NIPs are digits only
                "-".to_string()
            } else {
                like_pattern(&digits)
            };
            q = q.filter(
                lower_text(users::name)
                    .like(text.clone())
                    .escape('\\')
                    .or(users::email.like(text).escape('\\'))
                    .or(users::nip.assume_not_null().like(nip).escape('\\')),
            );
        }
        q
    };
    // the page and the number of matches in one pass over the rows (a search of an agency of
    // 40,000 filters every row: counting them apart doubled the time)
    let rows: Vec<(User, i64)> = filtered()
        .order((users::name, users::id))
        .offset(offset)
        .limit(limit)
        .select((
            User::as_select(),
            diesel::dsl::sql::<diesel::sql_types::BigInt>("COUNT(*) OVER ()"),
        ))
        .load(conn)?;
    let total = match rows.first() {
        Some((_, total)) => *total,
        // past the end, no row carries the count
        None => filtered().count().get_result(conn)?,
    };
    Ok((rows.into_iter().map(|(u, _)| u).collect(), total))
}

/// Disable or enable an account; a disabled person cannot log in and their sessions end.
pub fn set_disabled(conn: &mut DbConnection, id: i64, disabled: bool) -> Result<(), DbError> {
    diesel::update(users::table.find(id))
        .set((
            users::disabled.eq(disabled),
            users::session_version.eq(users::session_version + 1),
            users::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// How many enabled platform administrators there are.
pub fn active_platform_admins(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(users::table
        .filter(users::is_platform_admin.eq(true))
        .filter(users::disabled.eq(false))
        .count()
        .get_result(conn)?)
}

/// Several people by id (in no particular order).
pub fn find_many(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<User>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select(User::as_select())
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn emails_are_normalized_or_refused() {
        use super::normalize_email as n;
        assert_eq!(
            n("  Budi.Santoso@Kab-Sleman.go.id "),
            Some("budi.santoso@kab-sleman.go.id".into())
        );
        for bad in [
            "",
            "budi",
            "budi@",
            "@go.id",
            "budi@localhost",
            "a b@x.id",
            "budi@x..id",
            "a@b@c.id",
        ] {
            assert_eq!(n(bad), None, "{bad}");
        }
    }
}

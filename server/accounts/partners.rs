//! Partner institutions (universities, training institutes, professional bodies) that provide
//! courses with the platform's agency: the partner records, the authors who belong to one, and the
//! courses a partner provides. A certificate for a partner's course names both issuers.

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{courses, partners, users};
use crate::db::{DbConnection, DbError};

/// Kinds of partner, as stored.
pub const KINDS: [&str; 4] = [
    "universitas",
    "lembaga-pelatihan",
    "asosiasi-profesi",
    "lainnya",
];

const NAME_MAX: usize = 200;
const SIGNATORY_MAX: usize = 200;
const WEBSITE_MAX: usize = 300;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Queryable, Selectable)]
#[diesel(table_name = partners)]
pub struct Partner {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub signatory_name: Option<String>,
    pub signatory_title: Option<String>,
    pub website: String,
}

/// The partner institution that provides a course, as the catalog shows it
/// (`crate::catalog::store::Provider` re-exports it).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Provider {
    /// The partner's code, as in `/courses?provider={code}`.
    pub code: String,
    pub name: String,
}

/// What a person typed into the partner form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct PartnerInput {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub signatory_name: String,
    pub signatory_title: String,
    pub website: String,
}

/// A checked partner record, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerFields {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub signatory_name: Option<String>,
    pub signatory_title: Option<String>,
    pub website: String,
}

/// A new partner row, from checked [`PartnerFields`] (`None` is written as NULL).
#[derive(Insertable)]
#[diesel(table_name = partners, treat_none_as_null = true)]
struct NewPartner<'a> {
    code: &'a str,
    name: &'a str,
    kind: &'a str,
    signatory_name: Option<&'a str>,
    signatory_title: Option<&'a str>,
    website: &'a str,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

/// Why a change to partners was refused; each has a message key (`partners.refused.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    CodeInvalid,
    CodeTaken,
    NameRequired,
    NameTooLong,
    KindUnknown,
    SignatoryTooLong,
    /// A signatory title without a name (the certificate would sign with a title only).
    SignatoryNameMissing,
    WebsiteInvalid,
    NoSuchPerson,
    NotAnAuthor,
    NoSuchCourse,
    NotFound,
}

impl Refusal {
    pub fn key(&self) -> &'static str {
        match self {
            Refusal::CodeInvalid => "partners.refused.code_invalid",
            Refusal::CodeTaken => "partners.refused.code_taken",
            Refusal::NameRequired => "partners.refused.name_required",
            Refusal::NameTooLong => "partners.refused.name_too_long",
            Refusal::KindUnknown => "partners.refused.kind_unknown",
            Refusal::SignatoryTooLong => "partners.refused.signatory_too_long",
            Refusal::SignatoryNameMissing => "partners.refused.signatory_name_missing",
            Refusal::WebsiteInvalid => "partners.refused.website_invalid",
            Refusal::NoSuchPerson => "partners.refused.no_such_person",
            Refusal::NotAnAuthor => "partners.refused.not_an_author",
            Refusal::NoSuchCourse => "partners.refused.no_such_course",
            Refusal::NotFound => "partners.refused.not_found",
        }
    }
}

crate::domain_error!(
    /// Why a change to a partner did not happen.
    pub PartnerError,
    Refusal
);

/// A partner code: lowercase letters, digits and `-`, 2 to 32 characters, starting with a letter
/// or digit (it appears in catalog links: `/courses?provider=undip`).
pub fn parse_code(s: &str) -> Option<String> {
    let code = s.trim().to_lowercase();
    let ok = (2..=32).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !code.starts_with('-')
        && !code.ends_with('-');
    ok.then_some(code)
}

fn optional(s: &str) -> Option<String> {
    let s = crate::text::one_line(s);
    (!s.is_empty()).then_some(s)
}

/// Check a partner form: every field judged, the first refusal returned.
pub fn check(input: &PartnerInput) -> Result<PartnerFields, Refusal> {
    let code = parse_code(&input.code).ok_or(Refusal::CodeInvalid)?;
    let name = crate::text::one_line(&input.name);
    if name.is_empty() {
        return Err(Refusal::NameRequired);
    }
    if name.chars().count() > NAME_MAX {
        return Err(Refusal::NameTooLong);
    }
    let kind = KINDS
        .iter()
        .find(|k| **k == input.kind.trim())
        .copied()
        .ok_or(Refusal::KindUnknown)?;
    let signatory_name = optional(&input.signatory_name);
    let signatory_title = optional(&input.signatory_title);
    if signatory_name
        .iter()
        .chain(signatory_title.iter())
        .any(|s| s.chars().count() > SIGNATORY_MAX)
    {
        return Err(Refusal::SignatoryTooLong);
    }
    if signatory_name.is_none() && signatory_title.is_some() {
        return Err(Refusal::SignatoryNameMissing);
    }
    let website = input.website.trim().to_string();
    if !website.is_empty() {
        let parsed = url::Url::parse(&website).ok();
        let fine = website.len() <= WEBSITE_MAX
            && parsed
                .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        if !fine {
            return Err(Refusal::WebsiteInvalid);
        }
    }
    Ok(PartnerFields {
        code,
        name,
        kind,
        signatory_name,
        signatory_title,
        website,
    })
}

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// Every partner, by name.
pub fn list(conn: &mut DbConnection) -> Result<Vec<Partner>, DbError> {
    Ok(partners::table
        .select(Partner::as_select())
        .order(partners::name)
        .load(conn)?)
}

pub fn by_id(conn: &mut DbConnection, id: i64) -> Result<Option<Partner>, DbError> {
    Ok(partners::table
        .find(id)
        .select(Partner::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_code(conn: &mut DbConnection, code: &str) -> Result<Option<Partner>, DbError> {
    Ok(partners::table
        .filter(partners::code.eq(code))
        .select(Partner::as_select())
        .first(conn)
        .optional()?)
}

pub fn create(conn: &mut DbConnection, input: &PartnerInput) -> Result<i64, PartnerError> {
    let f = check(input)?;
    crate::db::transaction(conn, |conn| {
        if by_code(conn, &f.code)?.is_some() {
            return Err(Refusal::CodeTaken.into());
        }
        let at = now();
        Ok(diesel::insert_into(partners::table)
            .values(NewPartner {
                code: &f.code,
                name: &f.name,
                kind: f.kind,
                signatory_name: f.signatory_name.as_deref(),
                signatory_title: f.signatory_title.as_deref(),
                website: &f.website,
                created_at: at,
                updated_at: at,
            })
            .returning(partners::id)
            .get_result::<i64>(conn)?)
    })
}

/// Change a partner. Certificates already issued keep the names they were signed with.
pub fn update(conn: &mut DbConnection, id: i64, input: &PartnerInput) -> Result<(), PartnerError> {
    let f = check(input)?;
    crate::db::transaction(conn, |conn| {
        if by_id(conn, id)?.is_none() {
            return Err(Refusal::NotFound.into());
        }
        if by_code(conn, &f.code)?.is_some_and(|p| p.id != id) {
            return Err(Refusal::CodeTaken.into());
        }
        diesel::update(partners::table.find(id))
            .set((
                partners::code.eq(&f.code),
                partners::name.eq(&f.name),
                partners::kind.eq(f.kind),
                partners::signatory_name.eq(&f.signatory_name),
                partners::signatory_title.eq(&f.signatory_title),
                partners::website.eq(&f.website),
                partners::updated_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// A person who belongs to a partner.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub id: i64,
    pub name: String,
    pub email: String,
}

pub fn members(conn: &mut DbConnection, partner_id: i64) -> Result<Vec<Member>, DbError> {
    let rows: Vec<(i64, String, String)> = users::table
        .filter(users::partner_id.eq(partner_id))
        .select((users::id, users::name, users::email))
        .order(users::name)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, email)| Member { id, name, email })
        .collect())
}

/// Make the author with this e-mail a member of the partner (moving them from another partner,
/// if any). Returns the person's id.
pub fn add_member(
    conn: &mut DbConnection,
    partner_id: i64,
    email: &str,
) -> Result<i64, PartnerError> {
    let email = email.trim().to_lowercase();
    crate::db::transaction(conn, |conn| {
        if by_id(conn, partner_id)?.is_none() {
            return Err(Refusal::NotFound.into());
        }
        let person: Option<(i64, bool)> = users::table
            .filter(users::email.eq(&email))
            .select((users::id, users::is_author))
            .first(conn)
            .optional()?;
        let Some((id, is_author)) = person else {
            return Err(Refusal::NoSuchPerson.into());
        };
        if !is_author {
            return Err(Refusal::NotAnAuthor.into());
        }
        diesel::update(users::table.find(id))
            .set(users::partner_id.eq(Some(partner_id)))
            .execute(conn)?;
        Ok(id)
    })
}

/// Remove a person from the partner; false when they were not a member.
pub fn remove_member(
    conn: &mut DbConnection,
    partner_id: i64,
    user_id: i64,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        users::table
            .filter(users::id.eq(user_id))
            .filter(users::partner_id.eq(partner_id)),
    )
    .set(users::partner_id.eq(None::<i64>))
    .execute(conn)?
        == 1)
}

/// The partner a person belongs to.
pub fn of_user(conn: &mut DbConnection, user_id: i64) -> Result<Option<Partner>, DbError> {
    let id: Option<Option<i64>> = users::table
        .find(user_id)
        .select(users::partner_id)
        .first(conn)
        .optional()?;
    match id.flatten() {
        Some(id) => by_id(conn, id),
        None => Ok(None),
    }
}

/// The partner that provides a course.
pub fn provider_of(conn: &mut DbConnection, course_id: i64) -> Result<Option<Partner>, DbError> {
    let id: Option<Option<i64>> = courses::table
        .find(course_id)
        .select(courses::provider_id)
        .first(conn)
        .optional()?;
    match id.flatten() {
        Some(id) => by_id(conn, id),
        None => Ok(None),
    }
}

/// Slugs of the courses a partner provides.
pub fn courses_of(conn: &mut DbConnection, partner_id: i64) -> Result<Vec<String>, DbError> {
    Ok(courses::table
        .filter(courses::provider_id.eq(partner_id))
        .select(courses::slug)
        .order(courses::slug)
        .load(conn)?)
}

/// Name a course's provider (or none). Returns the course id.
pub fn set_provider(
    conn: &mut DbConnection,
    slug: &str,
    partner_id: Option<i64>,
) -> Result<i64, PartnerError> {
    crate::db::transaction(conn, |conn| {
        if let Some(p) = partner_id {
            if by_id(conn, p)?.is_none() {
                return Err(Refusal::NotFound.into());
            }
        }
        let course: Option<i64> = courses::table
            .filter(courses::slug.eq(slug.trim()))
            .select(courses::id)
            .first(conn)
            .optional()?;
        let Some(course_id) = course else {
            return Err(Refusal::NoSuchCourse.into());
        };
        diesel::update(courses::table.find(course_id))
            .set(courses::provider_id.eq(partner_id))
            .execute(conn)?;
        Ok(course_id)
    })
}

/// A new course uploaded by an author who belongs to a partner is that partner's course, unless
/// it already names a provider.
pub fn adopt_new_course(
    conn: &mut DbConnection,
    course_id: i64,
    author_id: i64,
) -> Result<(), DbError> {
    if let Some(p) = of_user(conn, author_id)? {
        diesel::update(
            courses::table
                .filter(courses::id.eq(course_id))
                .filter(courses::provider_id.is_null()),
        )
        .set(courses::provider_id.eq(Some(p.id)))
        .execute(conn)?;
    }
    Ok(())
}

/// The provider of the course with this slug, as the catalog shows it.
pub fn provider_by_slug(conn: &mut DbConnection, slug: &str) -> Result<Option<Provider>, DbError> {
    let row: Option<(String, String)> = courses::table
        .inner_join(partners::table.on(courses::provider_id.eq(partners::id.nullable())))
        .filter(courses::slug.eq(slug))
        .select((partners::code, partners::name))
        .first(conn)
        .optional()?;
    Ok(row.map(|(code, name)| Provider { code, name }))
}

/// Provider (code, name) of each course that has one, by course slug.
pub fn providers_by_slug(
    conn: &mut DbConnection,
) -> Result<std::collections::HashMap<String, (String, String)>, DbError> {
    let rows: Vec<(String, String, String)> = courses::table
        .inner_join(partners::table.on(courses::provider_id.eq(partners::id.nullable())))
        .select((courses::slug, partners::code, partners::name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(slug, code, name)| (slug, (code, name)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PartnerInput {
        PartnerInput {
            code: " UNDIP ".into(),
            name: "Universitas  Diponegoro".into(),
            kind: "universitas".into(),
            signatory_name: "Prof. Dr. Suharnomo, S.E., M.Si.".into(),
            signatory_title: "Rektor Universitas Diponegoro".into(),
            website: "https://www.undip.ac.id".into(),
        }
    }

    #[test]
    fn a_good_form_is_normalized() {
        let f = check(&input()).unwrap();
        assert_eq!(f.code, "undip");
        assert_eq!(f.name, "Universitas Diponegoro");
        assert_eq!(f.kind, "universitas");
        assert_eq!(f.website, "https://www.undip.ac.id");
    }

    #[test]
    fn each_bad_field_is_named() {
        let with = |f: &dyn Fn(&mut PartnerInput)| {
            let mut i = input();
            f(&mut i);
            check(&i).unwrap_err()
        };
        assert_eq!(with(&|i| i.code = "u".into()), Refusal::CodeInvalid);
        assert_eq!(with(&|i| i.code = "un dip".into()), Refusal::CodeInvalid);
        assert_eq!(with(&|i| i.code = "-undip".into()), Refusal::CodeInvalid);
        assert_eq!(with(&|i| i.name = "  ".into()), Refusal::NameRequired);
        assert_eq!(with(&|i| i.name = "x".repeat(201)), Refusal::NameTooLong);
        assert_eq!(with(&|i| i.kind = "pabrik".into()), Refusal::KindUnknown);
        assert_eq!(
            with(&|i| i.signatory_name = String::new()),
            Refusal::SignatoryNameMissing
        );
        assert_eq!(
            with(&|i| i.signatory_title = "K".repeat(201)),
            Refusal::SignatoryTooLong
        );
        assert_eq!(
            with(&|i| i.website = "javascript:alert(1)".into()),
            Refusal::WebsiteInvalid
        );
        assert_eq!(
            with(&|i| i.website = "undip.ac.id".into()),
            Refusal::WebsiteInvalid
        );
    }

    #[test]
    fn signatory_and_website_are_optional() {
        let mut i = input();
        i.signatory_name.clear();
        i.signatory_title.clear();
        i.website.clear();
        let f = check(&i).unwrap();
        assert_eq!(f.signatory_name, None);
        assert_eq!(f.website, "");
    }
}

//! What recognition looks like on pages: a milestone in words, a letter as page data, and the
//! public verification page of a letter. Plain values in, JSON out.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::letters::Letter;
use crate::certificates::Issuer;
use crate::competency::milestones::Milestone;
use crate::db::{DbConnection, DbError};
use crate::web::{I18n, Lang};

pub(crate) fn day(t: chrono::NaiveDateTime, lang: Lang) -> String {
    crate::text::date(t.date(), lang)
}

/// A milestone in words: "20 JP tercapai pada 2026", "Level 3 Pelayanan Publik tercapai".
pub fn milestone_label(
    i18n: &I18n,
    lang: Lang,
    names: &HashMap<String, String>,
    m: &Milestone,
) -> String {
    let year = m.year.map(|y| y.to_string()).unwrap_or_default();
    let code = m.code.clone().unwrap_or_default();
    let name = names.get(&code).cloned().unwrap_or_else(|| code.clone());
    let level = m.level.map(|l| l.to_string()).unwrap_or_default();
    i18n.format(
        lang,
        &format!("recognition.milestone.{}", m.kind),
        &[
            ("year", year),
            ("name", name),
            ("code", code),
            ("level", level),
        ],
    )
    .unwrap_or_else(|| m.key.clone())
}

pub fn competency_names(conn: &mut DbConnection) -> Result<HashMap<String, String>, DbError> {
    Ok(crate::catalog::store::dictionary(conn)?
        .into_iter()
        .map(|(code, name, _)| (code, name))
        .collect())
}

pub(crate) fn letter_json(l: &Letter, issuer: &Issuer, lang: Lang) -> Value {
    json!({
        "code": l.code,
        "number": l.number,
        "title": l.title,
        "reason": l.reason,
        "year": l.year,
        "holder_name": l.holder_name,
        "agency": l.agency,
        "issued": day(l.local(l.issued_at), lang),
        "issued_id": day(l.local(l.issued_at), Lang::Id),
        "signatory_name": l.signatory_name,
        "signatory_title": l.signatory_title,
        "revoked": l.revoked_at.is_some(),
        "revoked_on": l.revoked_at.map(|t| day(l.local(t), lang)),
        "revoked_reason": l.revoked_reason,
        "verify_url": l.verify_url(&issuer.base_url),
    })
}

/// What the public verification page of a letter shows (`/v/{code}` falls back here), for
/// `pages/letter_verify`.
pub fn letter_verify_context(l: &Letter, issuer: &Issuer, lang: Lang) -> Value {
    let mut v = letter_json(l, issuer, lang);
    v["nip"] = json!(l
        .holder_nip
        .as_deref()
        .map(crate::certificates::model::mask_nip));
    json!({ "l": v, "page_title": l.number })
}

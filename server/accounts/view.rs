//! How a person is shown on the admin and team pages: their row plus the names of their agency,
//! unit and position.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::orgs::{self, Agency};
use super::users::User;
use crate::db::{DbConnection, DbError};

/// Agencies by id, and unit labels (full paths) and position names of the agencies of some
/// people: what [`OrgNames::describe`] needs to show them.
pub struct OrgNames {
    pub agencies: HashMap<i64, Agency>,
    units: HashMap<i64, String>,
    positions: HashMap<i64, String>,
}

impl OrgNames {
    /// How a person is shown: their row plus names of their agency, unit and position.
    pub fn describe(&self, u: &User) -> Value {
        json!({
            "id": u.id,
            "name": u.name,
            "email": u.email,
            "nip": u.nip,
            "agency": u.agency_id.and_then(|a| self.agencies.get(&a)).map(|a| a.name.clone()),
            "unit": u.unit_id.and_then(|x| self.units.get(&x)).cloned(),
            "position": u.position_id.and_then(|x| self.positions.get(&x)).cloned(),
            "verified": u.email_verified_at.is_some(),
            "invited": u.email_verified_at.is_none() && u.password_hash.is_none(),
            "disabled": u.disabled,
            "is_author": u.is_author,
            "is_agency_admin": u.is_agency_admin,
            "is_platform_admin": u.is_platform_admin,
        })
    }
}

/// The names [`OrgNames::describe`] needs for `people`, in one pass per agency.
pub fn names_for(conn: &mut DbConnection, people: &[&User]) -> Result<OrgNames, DbError> {
    let agencies: HashMap<i64, Agency> = orgs::agencies(conn)?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut ids: Vec<i64> = people.iter().filter_map(|u| u.agency_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut units = HashMap::new();
    let mut positions = HashMap::new();
    for a in ids {
        units.extend(
            orgs::unit_tree(&orgs::units(conn, a)?)
                .into_iter()
                .map(|c| (c.id, c.label)),
        );
        positions.extend(
            orgs::positions(conn, a)?
                .into_iter()
                .map(|p| (p.id, p.name)),
        );
    }
    Ok(OrgNames {
        agencies,
        units,
        positions,
    })
}

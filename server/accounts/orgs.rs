//! Agencies (instansi), units (unit kerja, nested) and positions (jabatan): queries.

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{agencies, positions, units};
use crate::db::{DbConnection, DbError};

#[derive(Debug, Clone, Serialize, Queryable)]
pub struct Agency {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Queryable)]
pub struct Unit {
    pub id: i64,
    pub agency_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Queryable)]
pub struct Position {
    pub id: i64,
    pub agency_id: i64,
    pub name: String,
    pub kind: String,
}

/// A unit with its place in the tree, for a select list: `depth` and the full path label.
#[derive(Debug, Clone, Serialize)]
pub struct UnitChoice {
    pub id: i64,
    pub label: String,
    pub depth: usize,
}

/// What a profile form offers: every agency, and the units and positions of one agency.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Choices {
    pub agencies: Vec<Agency>,
    pub units: Vec<UnitChoice>,
    pub positions: Vec<Position>,
}

pub fn agencies(conn: &mut DbConnection) -> Result<Vec<Agency>, DbError> {
    Ok(agencies::table
        .select((agencies::id, agencies::code, agencies::name, agencies::kind))
        .order(agencies::name)
        .load(conn)?)
}

pub fn agency(conn: &mut DbConnection, id: i64) -> Result<Option<Agency>, DbError> {
    Ok(agencies::table
        .find(id)
        .select((agencies::id, agencies::code, agencies::name, agencies::kind))
        .first(conn)
        .optional()?)
}

pub fn agency_by_code(conn: &mut DbConnection, code: &str) -> Result<Option<Agency>, DbError> {
    Ok(agencies::table
        .filter(agencies::code.eq(code))
        .select((agencies::id, agencies::code, agencies::name, agencies::kind))
        .first(conn)
        .optional()?)
}

pub fn agency_exists(conn: &mut DbConnection, id: i64) -> Result<bool, DbError> {
    Ok(agency(conn, id)?.is_some())
}

pub fn units(conn: &mut DbConnection, agency_id: i64) -> Result<Vec<Unit>, DbError> {
    Ok(units::table
        .filter(units::agency_id.eq(agency_id))
        .select((units::id, units::agency_id, units::parent_id, units::name))
        .order(units::name)
        .load(conn)?)
}

pub fn positions(conn: &mut DbConnection, agency_id: i64) -> Result<Vec<Position>, DbError> {
    Ok(positions::table
        .filter(positions::agency_id.eq(agency_id))
        .select((
            positions::id,
            positions::agency_id,
            positions::name,
            positions::kind,
        ))
        .order(positions::name)
        .load(conn)?)
}

pub fn unit_in_agency(
    conn: &mut DbConnection,
    unit_id: i64,
    agency_id: i64,
) -> Result<bool, DbError> {
    Ok(units::table
        .find(unit_id)
        .filter(units::agency_id.eq(agency_id))
        .select(units::id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

pub fn position_in_agency(
    conn: &mut DbConnection,
    position_id: i64,
    agency_id: i64,
) -> Result<bool, DbError> {
    Ok(positions::table
        .find(position_id)
        .filter(positions::agency_id.eq(agency_id))
        .select(positions::id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

/// Units in tree order (parents before children), each labelled with its path.
pub fn unit_tree(units: &[Unit]) -> Vec<UnitChoice> {
    fn walk(
        units: &[Unit],
        parent: Option<i64>,
        prefix: &str,
        depth: usize,
        out: &mut Vec<UnitChoice>,
        seen: &mut Vec<i64>,
    ) {
        for u in units.iter().filter(|u| u.parent_id == parent) {
            if seen.contains(&u.id) {
                continue;
            }
            seen.push(u.id);
            let label = if prefix.is_empty() {
                u.name.clone()
            } else {
                format!("{prefix} › {}", u.name)
            };
            out.push(UnitChoice {
                id: u.id,
                label: label.clone(),
                depth,
            });
            walk(units, Some(u.id), &label, depth + 1, out, seen);
        }
    }
    let mut sorted: Vec<Unit> = units.to_vec();
    sorted.sort_by_key(|a| a.name.to_lowercase());
    let units = &sorted[..];
    let mut out = Vec::new();
    let mut seen = Vec::new();
    walk(units, None, "", 0, &mut out, &mut seen);
    // units whose parent is missing (another agency, deleted) still appear
    for u in units {
        if !seen.contains(&u.id) {
            out.push(UnitChoice {
                id: u.id,
                label: u.name.clone(),
                depth: 0,
            });
        }
    }
    out
}

pub fn choices(conn: &mut DbConnection, agency_id: Option<i64>) -> Result<Choices, DbError> {
    let agencies = agencies(conn)?;
    let (units, positions) = match agency_id {
        Some(a) => (unit_tree(&units(conn, a)?), positions(conn, a)?),
        None => (Vec::new(), Vec::new()),
    };
    Ok(Choices {
        agencies,
        units,
        positions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_tree_orders_parents_first_with_paths() {
        let u = |id, parent, name: &str| Unit {
            id,
            agency_id: 1,
            parent_id: parent,
            name: name.into(),
        };
        let tree = unit_tree(&[
            u(3, Some(1), "Subbag Umum"),
            u(1, None, "Sekretariat"),
            u(2, None, "Bidang Diklat"),
            u(4, Some(3), "Urusan Arsip"),
        ]);
        let labels: Vec<&str> = tree.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Bidang Diklat",
                "Sekretariat",
                "Sekretariat › Subbag Umum",
                "Sekretariat › Subbag Umum › Urusan Arsip"
            ]
        );
        assert_eq!(tree[3].depth, 2);
    }
}

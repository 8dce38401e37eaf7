//! The training budget: an agency's yearly competency-development budget against what was spent,
//! by unit and by kind of activity, cost per JP and per person, and how many ASN are still below
//! their JP target — the figures a training planner needs to decide where the next rupiah goes.
//!
//! Rules (the README repeats them):
//! - Amounts are whole rupiah (`BIGINT`); no cents.
//! - An outside activity costs what its `cost` says, counted when it is **approved**, in the year it
//!   **ended** (the JP tally's rule, `jp::year_bounds` on `ended_at`), so JP here agree with profiles.
//! - A course fee (`courses.fee`, per participant) counts once for **every enrollment started** in
//!   the year (a recertification cycle is a new enrollment), against the learner's agency, at the
//!   fee **recorded with the enrollment** when it started (`enrollments.fee`): changing a course's
//!   fee later touches only new enrollments. The JP it buys are those of completions in the year of
//!   enrollments that carried a fee.
//! - Spending and JP follow the person's agency and unit as they are now; deactivated accounts
//!   still count for money spent, but not among the ASN below target (as in the agency report).
//! - Cost per JP = total cost / JP earned through costed items (activities with a cost above 0,
//!   fee-bearing courses). Cost per person = total cost / people with any costed development.
//!   Both rounded to the nearest rupiah; none when the divisor is 0.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::agency::{defuse, BOM};
use super::jp;
use super::kinds::KINDS;
use crate::accounts::orgs::{self, UnitChoice};
use crate::db::schema::{
    activities, agency_budgets, completions, course_versions, courses, development_plans,
    enrollments, plan_items, users,
};
use crate::db::{audit, DbConnection, DbError};

/// The largest amount accepted anywhere (Rp10 triliun): more than any agency's training budget,
/// and far from overflowing when many are added up.
pub const MAX_AMOUNT: i64 = 10_000_000_000_000;

/// The kind code under which course fees are reported.
pub const COURSE_FEE_KIND: &str = "kursus_berbayar";

// ---------- amounts: formatting and parsing ----------

/// Digits grouped by thousands with dots: 1250000 → "1.250.000".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// An amount the Indonesian way: "Rp1.250.000"; a negative one "−Rp1.250.000" (minus sign).
pub fn rupiah(amount: i64) -> String {
    if amount < 0 {
        format!("\u{2212}Rp{}", thousands(amount.unsigned_abs()))
    } else {
        format!("Rp{}", thousands(amount.unsigned_abs()))
    }
}

/// Why a typed amount was refused. Each has a message (what to do) in the catalogs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountError {
    Empty,
    NotANumber,
    Decimal,
    Negative,
    TooLarge,
    Grouping,
}

impl AmountError {
    /// The message key (`budget.amount.*`), in both catalogs.
    pub fn key(self) -> &'static str {
        match self {
            AmountError::Empty => "budget.amount.empty",
            AmountError::NotANumber => "budget.amount.not_a_number",
            AmountError::Decimal => "budget.amount.decimal",
            AmountError::Negative => "budget.amount.negative",
            AmountError::TooLarge => "budget.amount.too_large",
            AmountError::Grouping => "budget.amount.grouping",
        }
    }
}

/// Parse an amount as people type it: "1.250.000", "Rp 1.250.000", "Rp1.250.000,-",
/// "1.250.000,00", "1250000", "1 250 000". Cents, negative amounts, commas or dots that are not
/// thousands separators, and amounts above [`MAX_AMOUNT`] are refused.
pub fn parse_amount(input: &str) -> Result<i64, AmountError> {
    let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if s.is_empty() {
        return Err(AmountError::Empty);
    }
    let mut negative = false;
    let signless = strip_sign(&s, &mut negative);
    let body = strip_sign(strip_currency(&signless), &mut negative);
    if body.is_empty() {
        return Err(AmountError::Empty);
    }
    let whole = whole_part(&body)?;
    check_digits_and_grouping(whole)?;
    let digits: String = whole.chars().filter(char::is_ascii_digit).collect();
    let trimmed = digits.trim_start_matches('0');
    if trimmed.len() > 14 {
        return Err(if negative {
            AmountError::Negative
        } else {
            AmountError::TooLarge
        });
    }
    let value: i64 = if trimmed.is_empty() {
        0
    } else {
        trimmed.parse().map_err(|_| AmountError::NotANumber)?
    };
    if negative && value != 0 {
        return Err(AmountError::Negative);
    }
    if value > MAX_AMOUNT {
        return Err(AmountError::TooLarge);
    }
    Ok(value)
}

/// `r` without its leading minus signs (`-`, `−`, `–`); sets `negative` if there were any.
fn strip_sign(r: &str, negative: &mut bool) -> String {
    let mut r = r;
    while let Some(c) = r.chars().next() {
        if matches!(c, '-' | '\u{2212}' | '\u{2013}') {
            *negative = true;
            r = &r[c.len_utf8()..];
        } else {
            break;
        }
    }
    r.to_string()
}

/// `rest` without a leading currency (`Rp`, `IDR`, either case) and a dot after it.
fn strip_currency(rest: &str) -> &str {
    let lower = rest.to_ascii_lowercase();
    let prefixed = if lower.starts_with("rp") {
        &rest[2..]
    } else if lower.starts_with("idr") {
        &rest[3..]
    } else {
        rest
    };
    // "Rp. 1.250.000": a dot after the currency
    if prefixed.len() < rest.len() {
        prefixed.strip_prefix('.').unwrap_or(prefixed)
    } else {
        prefixed
    }
}

/// The amount before a comma: Indonesian decimals; ",-" and ",00" are common ways to write a
/// whole amount, other decimals are refused.
fn whole_part(body: &str) -> Result<&str, AmountError> {
    match body.split_once(',') {
        None => Ok(body),
        Some((int, frac)) => {
            if frac == "-"
                || frac == "\u{2013}"
                || (frac.len() <= 2 && frac.chars().all(|c| c == '0'))
            {
                Ok(int)
            } else if frac.contains(',') {
                Err(AmountError::Grouping)
            } else if frac.chars().all(|c| c.is_ascii_digit()) {
                Err(if frac.len() == 3 && !int.contains('.') {
                    // "1,250": thousands written the English way
                    AmountError::Grouping
                } else {
                    AmountError::Decimal
                })
            } else {
                Err(AmountError::NotANumber)
            }
        }
    }
}

/// Only digits and dots, the dots separating thousands ("1.250.000").
fn check_digits_and_grouping(whole: &str) -> Result<(), AmountError> {
    if whole.is_empty() || !whole.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(AmountError::NotANumber);
    }
    if whole.contains('.') {
        let groups: Vec<&str> = whole.split('.').collect();
        let first_ok = (1..=3).contains(&groups[0].len());
        let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
        if !(first_ok && rest_ok) {
            let last = groups[groups.len() - 1];
            return Err(if groups.len() == 2 && (1..=2).contains(&last.len()) {
                AmountError::Decimal
            } else {
                AmountError::Grouping
            });
        }
    }
    Ok(())
}

/// An optional amount: empty means none.
pub fn parse_optional_amount(input: &str) -> Result<Option<i64>, AmountError> {
    if input.trim().is_empty() {
        Ok(None)
    } else {
        parse_amount(input).map(Some)
    }
}

/// `a / b` rounded to the nearest whole number (halves away from zero); none when `b` is 0.
pub fn div_round(a: i64, b: i64) -> Option<i64> {
    if b == 0 {
        return None;
    }
    let (a, b) = (i128::from(a), i128::from(b));
    let q = (2 * a + b.signum() * a.signum() * b.abs()) / (2 * b);
    i64::try_from(q).ok()
}

/// `part` of `whole` in tenths of a percent (425 = 42,5 %), rounded; none when `whole` ≤ 0.
pub fn permille(part: i64, whole: i64) -> Option<i64> {
    if whole <= 0 {
        return None;
    }
    div_round(part.saturating_mul(1000), whole)
}

/// Tenths of a percent as people read them: 425 → "42,5%" ("42.5%" in English).
pub fn percent_text(permille: i64, lang: crate::i18n::Lang) -> String {
    let sign = if permille < 0 { "\u{2212}" } else { "" };
    let p = permille.unsigned_abs();
    let sep = match lang {
        crate::i18n::Lang::Id => ',',
        crate::i18n::Lang::En => '.',
    };
    format!("{sign}{}{sep}{}%", p / 10, p % 10)
}

// ---------- the report ----------

/// A person of the agency, with their JP earned in the year (the profile's tally).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonIn {
    pub id: i64,
    pub unit_id: Option<i64>,
    /// Not deactivated: counted among the agency's ASN (below target).
    pub active: bool,
    pub jp: i64,
}

/// What counts in the year, as read from the records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// An approved activity that ended in the year.
    Activity {
        user_id: i64,
        kind: String,
        jp: i64,
        cost: Option<i64>,
    },
    /// An enrollment started in the year in a course with a fee.
    FeeEnrollment { user_id: i64, fee: i64 },
    /// A completion in the year of a course with a fee (the JP the fee bought).
    FeeCompletion { user_id: i64, jp: i64 },
}

/// Everything the computation needs; [`load`] reads it from the database.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub agency_id: i64,
    pub year: i32,
    pub budget: Option<i64>,
    pub target: i64,
    pub tree: Vec<UnitChoice>,
    pub people: Vec<PersonIn>,
    pub items: Vec<Item>,
}

/// Spending of one unit (the people directly in it), or of people without a unit (`unit_id`
/// None, always last when present).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UnitSpend {
    pub unit_id: Option<i64>,
    /// "Dinas Kominfo › Bidang Aplikasi"; empty for people without unit.
    pub path: String,
    pub depth: usize,
    /// Costed items: activities with a cost, fee-bearing enrollments.
    pub items: usize,
    /// Rupiah spent on the people directly in this unit.
    pub cost: i64,
    /// Rupiah spent on the people of this unit and of all its sub-units.
    pub cost_with_subunits: i64,
    /// JP earned through costed items by the people directly in this unit.
    pub jp_costed: i64,
    pub cost_per_jp: Option<i64>,
    /// People directly in this unit with any costed development.
    pub costed_people: usize,
    /// Active ASN directly in this unit.
    pub people: usize,
    /// Of them, still below the JP target this year.
    pub below_target: usize,
}

/// Spending on one kind of activity, or on course fees (`kind` = `kursus_berbayar`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct KindSpend {
    pub kind: String,
    /// Approved activities of this kind that ended in the year; for course fees, enrollments
    /// started in the year.
    pub items: usize,
    /// Of them, those with a cost.
    pub costed_items: usize,
    /// JP earned through them (all, costed or not; for course fees, completions in the year).
    pub jp: i64,
    /// JP earned through the costed ones.
    pub jp_costed: i64,
    pub cost: i64,
    pub cost_per_jp: Option<i64>,
}

/// The budget report of an agency for a year. Amounts in whole rupiah.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub agency_id: i64,
    pub year: i32,
    /// The year's budget; none when not set.
    pub budget: Option<i64>,
    pub spent: i64,
    /// Budget minus spent (negative when over budget); none without a budget.
    pub remaining: Option<i64>,
    /// Share of the budget spent, in tenths of a percent (425 = 42.5 %); none without a budget
    /// above 0.
    pub used_permille: Option<i64>,
    /// JP earned in the year by everyone counted (courses completed, approved activities).
    pub jp_total: i64,
    /// JP earned through costed items.
    pub jp_costed: i64,
    pub cost_per_jp: Option<i64>,
    /// People with any costed development in the year.
    pub costed_people: usize,
    pub cost_per_person: Option<i64>,
    /// The JP target (20, or the agency's higher one).
    pub target: i64,
    /// Active ASN of the agency.
    pub people: usize,
    /// Of them, still below the target this year.
    pub below_target: usize,
    pub units: Vec<UnitSpend>,
    pub kinds: Vec<KindSpend>,
    /// Planned cost of the development plans of the year (all their items), realised or not.
    pub planned: i64,
    /// Of it, the items not realised yet (see [`Outlook`]).
    pub planned_open: i64,
    /// Budget − spent − planned and not yet realised; none without a budget.
    pub projected: Option<i64>,
}

#[derive(Default, Clone)]
struct Tally {
    items: usize,
    cost: i64,
    jp_costed: i64,
    costed_people: HashSet<i64>,
    people: usize,
    below: usize,
}

/// The report, from the records.
pub fn compute(input: &Input) -> Report {
    let tree = &input.tree;
    // the line of each person: their unit in the tree, else "without unit" (index tree.len())
    let line_of = line_of_people(input);
    let mut lines: Vec<Tally> = vec![Tally::default(); tree.len() + 1];
    for p in &input.people {
        if p.active {
            let l = &mut lines[line_of[&p.id]];
            l.people += 1;
            if p.jp < input.target {
                l.below += 1;
            }
        }
    }
    let mut kinds: Vec<KindSpend> = KINDS
        .iter()
        .copied()
        .chain(std::iter::once(COURSE_FEE_KIND))
        .map(|k| KindSpend {
            kind: k.to_string(),
            items: 0,
            costed_items: 0,
            jp: 0,
            jp_costed: 0,
            cost: 0,
            cost_per_jp: None,
        })
        .collect();
    let costed_people = add_items(input, &line_of, &mut lines, &mut kinds);
    for k in &mut kinds {
        k.cost_per_jp = div_round(k.cost, k.jp_costed);
    }
    let units = unit_spends(tree, &lines);
    let spent = lines.iter().fold(0i64, |a, l| a.saturating_add(l.cost));
    let jp_costed: i64 = kinds.iter().map(|k| k.jp_costed).sum();
    let jp_total: i64 = input.people.iter().map(|p| p.jp).sum();
    Report {
        agency_id: input.agency_id,
        year: input.year,
        budget: input.budget,
        spent,
        remaining: input.budget.map(|b| b.saturating_sub(spent)),
        used_permille: input.budget.and_then(|b| permille(spent, b)),
        jp_total,
        jp_costed,
        cost_per_jp: div_round(spent, jp_costed),
        costed_people: costed_people.len(),
        cost_per_person: div_round(spent, costed_people.len() as i64),
        target: input.target,
        people: lines.iter().map(|l| l.people).sum(),
        below_target: lines.iter().map(|l| l.below).sum(),
        units,
        kinds,
        planned: 0,
        planned_open: 0,
        projected: None,
    }
}

/// Each person's line: the index of their unit in the tree, else `tree.len()` ("without unit").
fn line_of_people(input: &Input) -> HashMap<i64, usize> {
    let none = input.tree.len();
    let index: HashMap<i64, usize> = input
        .tree
        .iter()
        .enumerate()
        .map(|(i, u)| (u.id, i))
        .collect();
    input
        .people
        .iter()
        .map(|p| {
            (
                p.id,
                p.unit_id
                    .and_then(|u| index.get(&u).copied())
                    .unwrap_or(none),
            )
        })
        .collect()
}

/// Adds the items to their person's line and to their kind (the last kind being course fees);
/// returns the people with a costed item.
fn add_items(
    input: &Input,
    line_of: &HashMap<i64, usize>,
    lines: &mut [Tally],
    kinds: &mut [KindSpend],
) -> HashSet<i64> {
    let fee_kind = kinds.len() - 1;
    let mut costed_people: HashSet<i64> = HashSet::new();
    for item in &input.items {
        let user = match item {
            Item::Activity { user_id, .. }
            | Item::FeeEnrollment { user_id, .. }
            | Item::FeeCompletion { user_id, .. } => *user_id,
        };
        // items of people not of the agency are not read by `load`; skip any that slip in
        let Some(&l) = line_of.get(&user) else {
            continue;
        };
        let (cost, jp, costed, kind_index) = match item {
            Item::Activity { kind, jp, cost, .. } => {
                let cost = cost.unwrap_or(0).max(0);
                let k = KINDS
                    .iter()
                    .position(|x| x == kind)
                    .unwrap_or(KINDS.len() - 1); // an unknown kind: "lainnya"
                let ks = &mut kinds[k];
                ks.items += 1;
                ks.jp += jp;
                (cost, *jp, cost > 0, k)
            }
            Item::FeeEnrollment { fee, .. } => {
                let fee = (*fee).max(0);
                kinds[fee_kind].items += 1;
                (fee, 0, fee > 0, fee_kind)
            }
            Item::FeeCompletion { jp, .. } => {
                kinds[fee_kind].jp += jp;
                kinds[fee_kind].jp_costed += jp;
                lines[l].jp_costed += jp;
                continue;
            }
        };
        if !costed {
            continue;
        }
        let ks = &mut kinds[kind_index];
        ks.costed_items += 1;
        ks.cost = ks.cost.saturating_add(cost);
        if kind_index != fee_kind {
            ks.jp_costed += jp;
        }
        let line = &mut lines[l];
        line.items += 1;
        line.cost = line.cost.saturating_add(cost);
        line.jp_costed += jp;
        line.costed_people.insert(user);
        costed_people.insert(user);
    }
    costed_people
}

/// The units' spending with their sub-units' totals, then the people without unit (the last
/// line) when there are any.
fn unit_spends(tree: &[UnitChoice], lines: &[Tally]) -> Vec<UnitSpend> {
    // sub-unit totals: in the tree's pre-order, a unit's descendants follow it, deeper
    let mut units: Vec<UnitSpend> = Vec::new();
    for (i, u) in tree.iter().enumerate() {
        let mut with_sub = lines[i].cost;
        for (j, v) in tree.iter().enumerate().skip(i + 1) {
            if v.depth <= u.depth {
                break;
            }
            with_sub = with_sub.saturating_add(lines[j].cost);
        }
        units.push(unit_spend(
            Some(u.id),
            &u.label,
            u.depth,
            &lines[i],
            with_sub,
        ));
    }
    let n = &lines[tree.len()];
    if n.people > 0 || n.items > 0 || n.jp_costed > 0 || !n.costed_people.is_empty() {
        units.push(unit_spend(None, "", 0, n, n.cost));
    }
    units
}

fn unit_spend(id: Option<i64>, path: &str, depth: usize, t: &Tally, with_sub: i64) -> UnitSpend {
    UnitSpend {
        unit_id: id,
        path: path.to_string(),
        depth,
        items: t.items,
        cost: t.cost,
        cost_with_subunits: with_sub,
        jp_costed: t.jp_costed,
        cost_per_jp: div_round(t.cost, t.jp_costed),
        costed_people: t.costed_people.len(),
        people: t.people,
        below_target: t.below,
    }
}

// ---------- reading and writing ----------

/// The year's budget of an agency, if set.
pub fn budget_of(
    conn: &mut DbConnection,
    agency_id: i64,
    year: i32,
) -> Result<Option<i64>, DbError> {
    Ok(agency_budgets::table
        .find((agency_id, year))
        .select(agency_budgets::amount)
        .first(conn)
        .optional()?)
}

/// Set (or change) the year's budget, with an audit entry, in one transaction.
pub fn set_budget(
    conn: &mut DbConnection,
    agency_id: i64,
    year: i32,
    amount: i64,
    by: i64,
) -> Result<(), DbError> {
    crate::db::transaction(conn, |conn| {
        let now = Utc::now().naive_utc();
        let changed = diesel::update(agency_budgets::table.find((agency_id, year)))
            .set((
                agency_budgets::amount.eq(amount),
                agency_budgets::updated_by.eq(Some(by)),
                agency_budgets::updated_at.eq(now),
            ))
            .execute(conn)?;
        if changed == 0 {
            diesel::insert_into(agency_budgets::table)
                .values((
                    agency_budgets::agency_id.eq(agency_id),
                    agency_budgets::year.eq(year),
                    agency_budgets::amount.eq(amount),
                    agency_budgets::updated_by.eq(Some(by)),
                    agency_budgets::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        audit::record(
            conn,
            Some(by),
            "budget.set",
            &format!("agency:{agency_id}"),
            &format!("year={year} amount={amount}"),
        )
    })
}

/// Read everything the report needs for an agency and year.
pub fn load(conn: &mut DbConnection, agency_id: i64, year: i32) -> Result<Report, DbError> {
    let tree = orgs::unit_tree(&orgs::units(conn, agency_id)?);
    let rows: Vec<(i64, Option<i64>, bool)> = users::table
        .filter(users::agency_id.eq(agency_id))
        .order(users::id)
        .select((users::id, users::unit_id, users::disabled))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let earned = jp::earned_many(conn, &ids, year)?;
    let people: Vec<PersonIn> = rows
        .iter()
        .map(|(id, unit, disabled)| PersonIn {
            id: *id,
            unit_id: *unit,
            active: !disabled,
            jp: earned.get(id).copied().unwrap_or(0),
        })
        .collect();
    let (from, to) = jp::year_bounds(year);
    // enrolments and completions are instants: the agency's year, in its zone
    let (at_from, at_to) =
        jp::instant_bounds(crate::clock::zone_of_agency(conn, Some(agency_id))?, year);
    let mut items = Vec::new();
    for chunk in ids.chunks(500) {
        items.extend(items_of(conn, chunk, (from, to), (at_from, at_to))?);
    }
    let mut report = compute(&Input {
        agency_id,
        year,
        budget: budget_of(conn, agency_id, year)?,
        target: jp::target(conn, Some(agency_id))?,
        tree,
        people,
        items,
    });
    let (planned, planned_open) = planned(conn, agency_id, year)?;
    report.planned = planned;
    report.planned_open = planned_open;
    report.projected = report.remaining.map(|r| r.saturating_sub(planned_open));
    Ok(report)
}

/// The costed items of the people in `chunk` in the year: approved activities that ended in
/// [from, to), fee-bearing enrolments and their completions in [at_from, at_to) (instants of
/// the agency's zone).
fn items_of(
    conn: &mut DbConnection,
    chunk: &[i64],
    (from, to): (NaiveDateTime, NaiveDateTime),
    (at_from, at_to): (NaiveDateTime, NaiveDateTime),
) -> Result<Vec<Item>, DbError> {
    let mut items = Vec::new();
    let acts: Vec<(i64, String, i32, Option<i64>)> = activities::table
        .filter(activities::user_id.eq_any(chunk))
        .filter(activities::status.eq("approved"))
        .filter(activities::ended_at.ge(from))
        .filter(activities::ended_at.lt(to))
        .select((
            activities::user_id,
            activities::kind,
            activities::jp,
            activities::cost,
        ))
        .load(conn)?;
    items.extend(
        acts.into_iter()
            .map(|(user_id, kind, jp, cost)| Item::Activity {
                user_id,
                kind,
                jp: i64::from(jp),
                cost,
            }),
    );
    let fees: Vec<(i64, i64)> = enrollments::table
        .filter(enrollments::user_id.eq_any(chunk))
        .filter(enrollments::fee.gt(0))
        .filter(enrollments::enrolled_at.ge(at_from))
        .filter(enrollments::enrolled_at.lt(at_to))
        .select((enrollments::user_id, enrollments::fee))
        .load(conn)?;
    items.extend(
        fees.into_iter()
            .map(|(user_id, fee)| Item::FeeEnrollment { user_id, fee }),
    );
    let done: Vec<(i64, i32)> = completions::table
        .inner_join(enrollments::table.on(enrollments::id.eq(completions::enrollment_id)))
        .filter(completions::user_id.eq_any(chunk))
        .filter(enrollments::fee.gt(0))
        .filter(completions::completed_at.ge(at_from))
        .filter(completions::completed_at.lt(at_to))
        .select((completions::user_id, completions::jp))
        .load(conn)?;
    items.extend(done.into_iter().map(|(user_id, jp)| Item::FeeCompletion {
        user_id,
        jp: i64::from(jp),
    }));

    Ok(items)
}

// ---------- planned vs realised, and the warning ----------

/// An agency's year at a glance: budget, realised spending, planned costs and what would remain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Outlook {
    pub year: i32,
    pub budget: Option<i64>,
    /// Realised: approved activities' costs and the fees recorded with enrollments (the report's
    /// `spent`).
    pub realised: i64,
    /// Planned cost of every item of the year's development plans.
    pub planned: i64,
    /// Of it, items not realised yet: a planned course the person has not enrolled in that year,
    /// a planned activity no approved activity of its kind fulfils yet.
    pub planned_open: i64,
    /// Budget − realised − planned_open; none without a budget. Below zero: the warning.
    pub projected: Option<i64>,
}

impl Outlook {
    /// The amount the budget would be short by (a negative projection), if any.
    pub fn shortfall(&self) -> Option<i64> {
        self.projected.filter(|p| *p < 0)
    }
}

/// A planned item with the person whose plan it is (see [`planned`]).
#[derive(Queryable, Selectable)]
#[diesel(table_name = plan_items, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct PlannedRow {
    #[diesel(select_expression = development_plans::user_id)]
    user_id: i64,
    course_id: Option<i64>,
    activity_kind: Option<String>,
    planned_cost: i64,
}

/// Planned cost of the year's plans of the agency's people: (all items, items not realised yet).
pub fn planned(conn: &mut DbConnection, agency_id: i64, year: i32) -> Result<(i64, i64), DbError> {
    let rows: Vec<PlannedRow> = plan_items::table
        .inner_join(development_plans::table.on(development_plans::id.eq(plan_items::plan_id)))
        .inner_join(users::table.on(users::id.eq(development_plans::user_id)))
        .filter(users::agency_id.eq(agency_id))
        .filter(development_plans::year.eq(year))
        .order(plan_items::id)
        .select(PlannedRow::as_select())
        .load(conn)?;
    if rows.is_empty() {
        return Ok((0, 0));
    }
    let mut ids: Vec<i64> = rows.iter().map(|r| r.user_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let (from, to) = jp::year_bounds(year);
    // enrolments and completions are instants: the agency's year, in its zone
    let (at_from, at_to) =
        jp::instant_bounds(crate::clock::zone_of_agency(conn, Some(agency_id))?, year);
    let mut enrolled: HashSet<(i64, i64)> = HashSet::new();
    let mut kinds: HashMap<i64, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let e: Vec<(i64, i64)> = enrollments::table
            .filter(enrollments::user_id.eq_any(chunk))
            .filter(enrollments::enrolled_at.ge(at_from))
            .filter(enrollments::enrolled_at.lt(at_to))
            .select((enrollments::user_id, enrollments::course_id))
            .load(conn)?;
        enrolled.extend(e);
        let a: Vec<(i64, String)> = activities::table
            .filter(activities::user_id.eq_any(chunk))
            .filter(activities::status.eq("approved"))
            .filter(activities::ended_at.ge(from))
            .filter(activities::ended_at.lt(to))
            .select((activities::user_id, activities::kind))
            .load(conn)?;
        for (u, k) in a {
            kinds.entry(u).or_default().push(k);
        }
    }
    let (mut all, mut open) = (0i64, 0i64);
    for PlannedRow {
        user_id: user,
        course_id: course,
        activity_kind: kind,
        planned_cost: cost,
    } in rows
    {
        let cost = cost.max(0);
        all = all.saturating_add(cost);
        let realised = match (course, kind) {
            (Some(c), _) => enrolled.contains(&(user, c)),
            (None, Some(k)) => {
                // one approved activity realises one planned activity of its kind
                let list = kinds.entry(user).or_default();
                match list.iter().position(|x| *x == k) {
                    Some(i) => {
                        list.remove(i);
                        true
                    }
                    None => false,
                }
            }
            (None, None) => false,
        };
        if !realised {
            open = open.saturating_add(cost);
        }
    }
    Ok((all, open))
}

/// What the agency has spent in the year (the report's `spent`, without building the report).
pub fn realised(conn: &mut DbConnection, agency_id: i64, year: i32) -> Result<i64, DbError> {
    let (from, to) = jp::year_bounds(year);
    // enrolments and completions are instants: the agency's year, in its zone
    let (at_from, at_to) =
        jp::instant_bounds(crate::clock::zone_of_agency(conn, Some(agency_id))?, year);
    let costs: Vec<Option<i64>> = activities::table
        .inner_join(users::table.on(users::id.eq(activities::user_id)))
        .filter(users::agency_id.eq(agency_id))
        .filter(activities::status.eq("approved"))
        .filter(activities::ended_at.ge(from))
        .filter(activities::ended_at.lt(to))
        .filter(activities::cost.gt(0))
        .select(activities::cost)
        .load(conn)?;
    let fees: Vec<i64> = enrollments::table
        .inner_join(users::table.on(users::id.eq(enrollments::user_id)))
        .filter(users::agency_id.eq(agency_id))
        .filter(enrollments::fee.gt(0))
        .filter(enrollments::enrolled_at.ge(at_from))
        .filter(enrollments::enrolled_at.lt(at_to))
        .select(enrollments::fee)
        .load(conn)?;
    Ok(costs
        .into_iter()
        .flatten()
        .chain(fees)
        .fold(0i64, |a, c| a.saturating_add(c)))
}

/// The agency's year: budget, realised, planned, projected.
pub fn outlook(conn: &mut DbConnection, agency_id: i64, year: i32) -> Result<Outlook, DbError> {
    let budget = budget_of(conn, agency_id, year)?;
    let realised = realised(conn, agency_id, year)?;
    let (planned, planned_open) = planned(conn, agency_id, year)?;
    Ok(Outlook {
        year,
        budget,
        realised,
        planned,
        planned_open,
        projected: budget.map(|b| b.saturating_sub(realised).saturating_sub(planned_open)),
    })
}

/// The shortfall (a negative amount) of the agency of `user_id` in `year` when the remaining
/// budget, planned costs counted, is below zero; none otherwise (also without agency or budget).
pub fn shortfall_for(
    conn: &mut DbConnection,
    user_id: i64,
    year: i32,
) -> Result<Option<(i64, i64)>, DbError> {
    let agency: Option<i64> = users::table
        .find(user_id)
        .select(users::agency_id)
        .first::<Option<i64>>(conn)
        .optional()?
        .flatten();
    let Some(agency_id) = agency else {
        return Ok(None);
    };
    Ok(outlook(conn, agency_id, year)?
        .shortfall()
        .map(|s| (agency_id, s)))
}

/// An approved activity of the year, for the list where costs are checked and corrected.
///
/// Selected with [`CostLine::as_select`] from `activities` joined with their holders (`users`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Queryable, Selectable)]
#[diesel(table_name = activities, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct CostLine {
    pub id: i64,
    #[diesel(select_expression = users::name)]
    pub person: String,
    pub title: String,
    pub kind: String,
    #[serde(serialize_with = "crate::clock::rfc3339::instant")]
    pub ended_at: NaiveDateTime,
    pub jp: i32,
    pub cost: Option<i64>,
}

/// The approved activities of the agency's people that ended in the year, by end date.
pub fn cost_lines(
    conn: &mut DbConnection,
    agency_id: i64,
    year: i32,
) -> Result<Vec<CostLine>, DbError> {
    let (from, to) = jp::year_bounds(year);
    Ok(activities::table
        .inner_join(users::table.on(users::id.eq(activities::user_id)))
        .filter(users::agency_id.eq(agency_id))
        .filter(activities::status.eq("approved"))
        .filter(activities::ended_at.ge(from))
        .filter(activities::ended_at.lt(to))
        .order((activities::ended_at, activities::id))
        .select(CostLine::as_select())
        .load(conn)?)
}

/// The agency of an activity's holder (None: no such activity, or a holder without agency).
pub fn activity_agency(conn: &mut DbConnection, activity_id: i64) -> Result<Option<i64>, DbError> {
    Ok(activities::table
        .inner_join(users::table.on(users::id.eq(activities::user_id)))
        .filter(activities::id.eq(activity_id))
        .select(users::agency_id)
        .first::<Option<i64>>(conn)
        .optional()?
        .flatten())
}

/// Correct an activity's cost (agency admin), with an audit entry.
pub fn set_activity_cost(
    conn: &mut DbConnection,
    activity_id: i64,
    cost: Option<i64>,
    by: i64,
) -> Result<bool, DbError> {
    crate::db::transaction(conn, |conn| {
        let changed = diesel::update(activities::table.find(activity_id))
            .set(activities::cost.eq(cost))
            .execute(conn)?;
        if changed > 0 {
            audit::record(
                conn,
                Some(by),
                "activity.cost",
                &format!("activity:{activity_id}"),
                &cost.map(|c| c.to_string()).unwrap_or_else(|| "none".into()),
            )?;
        }
        Ok(changed > 0)
    })
}

/// A course with its fee, for the platform admin's fee list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CourseFee {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub fee: i64,
    pub archived: bool,
}

/// Every course with a published version, by title, with its fee.
pub fn course_fees(conn: &mut DbConnection) -> Result<Vec<CourseFee>, DbError> {
    let rows: Vec<(i64, String, i64, bool, String)> = courses::table
        .inner_join(
            course_versions::table.on(course_versions::id
                .nullable()
                .eq(courses::current_version_id)),
        )
        .select((
            courses::id,
            courses::slug,
            courses::fee,
            courses::archived,
            course_versions::title,
        ))
        .load(conn)?;
    let mut out: Vec<CourseFee> = rows
        .into_iter()
        .map(|(id, slug, fee, archived, title)| CourseFee {
            id,
            slug,
            title,
            fee,
            archived,
        })
        .collect();
    out.sort_by_key(|c| c.title.to_lowercase());
    Ok(out)
}

/// Set a course's fee per participant, with an audit entry. False when there is no such course.
pub fn set_fee(conn: &mut DbConnection, slug: &str, fee: i64, by: i64) -> Result<bool, DbError> {
    crate::db::transaction(conn, |conn| {
        let changed = diesel::update(courses::table.filter(courses::slug.eq(slug)))
            .set(courses::fee.eq(fee))
            .execute(conn)?;
        if changed > 0 {
            audit::record(
                conn,
                Some(by),
                "course.fee",
                &format!("course:{slug}"),
                &fee.to_string(),
            )?;
        }
        Ok(changed > 0)
    })
}

// ---------- CSV ----------

/// The export's header row.
pub const CSV_HEADER: [&str; 10] = [
    "bagian",
    "nama",
    "jumlah_item",
    "jp",
    "biaya_rupiah",
    "biaya_termasuk_subunit_rupiah",
    "biaya_per_jp_rupiah",
    "orang_berbiaya",
    "asn",
    "asn_belum_target",
];

/// The report as CSV (UTF-8 with BOM, CRLF lines, whole rupiah without separators so that a
/// spreadsheet can add them up). `label` names a kind of activity (and `kursus_berbayar`) and the
/// summary rows; text cells are guarded against formulas.
pub fn csv(r: &Report, label: impl Fn(&str) -> String) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BOM.as_bytes().to_vec());
    w.write_record(CSV_HEADER)?;
    write_totals(&mut w, r, &label)?;
    write_breakdown(&mut w, r, &label)?;
    w.into_inner().map_err(|e| e.into_error().into())
}

/// The CSV's rows for the whole agency: budget, spent, remaining, JP, cost per person.
fn write_totals(
    w: &mut csv::Writer<Vec<u8>>,
    r: &Report,
    label: &impl Fn(&str) -> String,
) -> Result<(), csv::Error> {
    let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    let n = |v: usize| v.to_string();
    let e = String::new;
    w.write_record([
        "anggaran".into(),
        defuse(&label("anggaran")),
        e(),
        e(),
        opt(r.budget),
        e(),
        e(),
        e(),
        e(),
        e(),
    ])?;
    w.write_record([
        "realisasi".into(),
        defuse(&label("realisasi")),
        n(r.units.iter().map(|u| u.items).sum()),
        r.jp_costed.to_string(),
        r.spent.to_string(),
        e(),
        opt(r.cost_per_jp),
        n(r.costed_people),
        n(r.people),
        n(r.below_target),
    ])?;
    w.write_record([
        "sisa".into(),
        defuse(&label("sisa")),
        e(),
        e(),
        opt(r.remaining),
        e(),
        e(),
        e(),
        e(),
        e(),
    ])?;
    w.write_record([
        "jp_seluruhnya".into(),
        defuse(&label("jp_seluruhnya")),
        e(),
        r.jp_total.to_string(),
        e(),
        e(),
        e(),
        e(),
        e(),
        e(),
    ])?;
    w.write_record([
        "biaya_per_orang".into(),
        defuse(&label("biaya_per_orang")),
        e(),
        e(),
        opt(r.cost_per_person),
        e(),
        e(),
        n(r.costed_people),
        e(),
        e(),
    ])?;
    Ok(())
}

/// The CSV's rows by unit, then by kind.
fn write_breakdown(
    w: &mut csv::Writer<Vec<u8>>,
    r: &Report,
    label: &impl Fn(&str) -> String,
) -> Result<(), csv::Error> {
    let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    let n = |v: usize| v.to_string();
    let e = String::new;
    for u in &r.units {
        let name = if u.unit_id.is_some() {
            u.path.clone()
        } else {
            label("tanpa_unit")
        };
        w.write_record([
            "unit".into(),
            defuse(&name),
            n(u.items),
            u.jp_costed.to_string(),
            u.cost.to_string(),
            u.cost_with_subunits.to_string(),
            opt(u.cost_per_jp),
            n(u.costed_people),
            n(u.people),
            n(u.below_target),
        ])?;
    }
    for k in &r.kinds {
        w.write_record([
            "jenis".into(),
            defuse(&label(&k.kind)),
            n(k.items),
            k.jp.to_string(),
            k.cost.to_string(),
            e(),
            opt(k.cost_per_jp),
            e(),
            e(),
            e(),
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn rupiah_is_written_the_indonesian_way() {
        assert_eq!(rupiah(0), "Rp0");
        assert_eq!(rupiah(999), "Rp999");
        assert_eq!(rupiah(1_000), "Rp1.000");
        assert_eq!(rupiah(1_250_000), "Rp1.250.000");
        assert_eq!(rupiah(12_345_678_901), "Rp12.345.678.901");
        assert_eq!(rupiah(-250_000), "\u{2212}Rp250.000");
        assert_eq!(rupiah(i64::MIN), "\u{2212}Rp9.223.372.036.854.775.808");
        assert_eq!(thousands(100_000), "100.000");
    }

    #[test]
    fn amounts_are_read_as_people_type_them() {
        for (typed, value) in [
            ("1.250.000", 1_250_000),
            ("Rp 1.250.000", 1_250_000),
            ("Rp1.250.000", 1_250_000),
            ("rp. 1.250.000,-", 1_250_000),
            ("IDR 1.250.000", 1_250_000),
            ("1.250.000,00", 1_250_000),
            ("1250000", 1_250_000),
            (" 1 250 000 ", 1_250_000),
            ("1\u{a0}250\u{a0}000", 1_250_000),
            ("0", 0),
            ("-0", 0),
            ("007", 7),
            ("10.000.000.000.000", MAX_AMOUNT),
        ] {
            assert_eq!(parse_amount(typed), Ok(value), "{typed:?}");
        }
    }

    #[test]
    fn wrong_amounts_say_what_is_wrong() {
        use AmountError::*;
        for (typed, err) in [
            ("", Empty),
            ("   ", Empty),
            ("Rp", Empty),
            ("satu juta", NotANumber),
            ("12a", NotANumber),
            ("1.250.000,50", Decimal),
            ("1250000,5", Decimal),
            ("1250.50", Decimal),
            ("-5.000", Negative),
            ("\u{2212}Rp5.000", Negative),
            ("Rp -5.000", Negative),
            ("10.000.000.000.001", TooLarge),
            ("99999999999999999999999", TooLarge),
            ("1,250,000", Grouping),
            ("1,250", Grouping),
            ("12.50.000", Grouping),
            ("1250.000.0", Grouping),
            ("1..000", Grouping),
            (".500", Grouping),
        ] {
            assert_eq!(parse_amount(typed), Err(err), "{typed:?}");
        }
        assert_eq!(parse_optional_amount("  "), Ok(None));
        assert_eq!(parse_optional_amount("Rp 50.000"), Ok(Some(50_000)));
        assert_eq!(parse_optional_amount("abc"), Err(NotANumber));
    }

    #[test]
    fn division_rounds_to_the_nearest_rupiah_and_never_divides_by_zero() {
        assert_eq!(div_round(10, 4), Some(3)); // 2.5 → 3
        assert_eq!(div_round(10, 3), Some(3)); // 3.33 → 3
        assert_eq!(div_round(11, 3), Some(4)); // 3.67 → 4
        assert_eq!(div_round(-10, 4), Some(-3));
        assert_eq!(div_round(5, 0), None);
        assert_eq!(div_round(0, 7), Some(0));
        assert_eq!(div_round(i64::MAX, 1), Some(i64::MAX));
        assert_eq!(permille(1, 3), Some(333));
        assert_eq!(permille(2, 3), Some(667));
        assert_eq!(permille(5, 0), None);
        assert_eq!(permille(150, 100), Some(1500));
        assert_eq!(percent_text(425, Lang::Id), "42,5%");
        assert_eq!(percent_text(1500, Lang::En), "150.0%");
        assert_eq!(percent_text(-5, Lang::Id), "\u{2212}0,5%");
    }

    fn unit(id: i64, label: &str, depth: usize) -> UnitChoice {
        UnitChoice {
            id,
            label: label.into(),
            depth,
            choice: label.into(),
        }
    }

    fn person(id: i64, unit_id: Option<i64>, active: bool, jp: i64) -> PersonIn {
        PersonIn {
            id,
            unit_id,
            active,
            jp,
        }
    }

    fn act(user_id: i64, kind: &str, jp: i64, cost: Option<i64>) -> Item {
        Item::Activity {
            user_id,
            kind: kind.into(),
            jp,
            cost,
        }
    }

    #[test]
    fn the_report_adds_up_by_unit_kind_and_person() {
        let input = Input {
            agency_id: 1,
            year: 2026,
            budget: Some(10_000_000),
            target: 20,
            tree: vec![
                unit(1, "Dinas", 0),
                unit(2, "Dinas › Bidang", 1),
                unit(3, "Inspektorat", 0),
            ],
            people: vec![
                person(10, Some(1), true, 4),
                person(11, Some(2), true, 30),
                person(12, Some(2), false, 8), // deactivated: money counts, not below target
                person(13, None, true, 0),
                person(14, Some(99), true, 20), // a unit not of this agency: without unit
            ],
            items: vec![
                act(10, "workshop", 8, Some(1_500_000)),
                act(11, "workshop", 12, None), // no cost: JP of the kind, not costed
                act(11, "bimtek", 16, Some(3_000_000)),
                act(12, "seminar", 4, Some(500_000)),
                act(13, "seminar", 2, Some(0)), // zero: not costed
                Item::FeeEnrollment {
                    user_id: 14,
                    fee: 750_000,
                },
                Item::FeeEnrollment {
                    user_id: 11,
                    fee: 750_000,
                },
                Item::FeeCompletion { user_id: 14, jp: 6 },
                act(999, "workshop", 8, Some(9_999_999)), // not of the agency
            ],
        };
        let r = compute(&input);
        assert_eq!(r.spent, 1_500_000 + 3_000_000 + 500_000 + 750_000 * 2);
        assert_eq!(r.remaining, Some(10_000_000 - 6_500_000));
        assert_eq!(r.used_permille, Some(650));
        assert_eq!(r.jp_costed, 8 + 16 + 4 + 6);
        assert_eq!(r.cost_per_jp, Some(191_176)); // 6.500.000 / 34 = 191.176,47
        assert_eq!(r.costed_people, 4); // 10, 11, 12, 14
        assert_eq!(r.cost_per_person, Some(1_625_000));
        assert_eq!(r.jp_total, 4 + 30 + 8 + 20);
        assert_eq!((r.people, r.below_target), (4, 2)); // 10 and 13 below 20

        type Line = (Option<i64>, usize, i64, i64, i64, usize, usize, usize);
        let by: Vec<Line> = r
            .units
            .iter()
            .map(|u| {
                (
                    u.unit_id,
                    u.items,
                    u.cost,
                    u.cost_with_subunits,
                    u.jp_costed,
                    u.costed_people,
                    u.people,
                    u.below_target,
                )
            })
            .collect();
        assert_eq!(
            by,
            [
                (Some(1), 1, 1_500_000, 5_750_000, 8, 1, 1, 1),
                (Some(2), 3, 4_250_000, 4_250_000, 20, 2, 1, 0),
                (Some(3), 0, 0, 0, 0, 0, 0, 0),
                (None, 1, 750_000, 750_000, 6, 1, 2, 1),
            ]
        );
        assert_eq!(r.units[1].cost_per_jp, Some(212_500));
        assert_eq!(r.units[2].cost_per_jp, None);

        let kind = |k: &str| r.kinds.iter().find(|x| x.kind == k).unwrap().clone();
        let w = kind("workshop");
        assert_eq!(
            (
                w.items,
                w.costed_items,
                w.jp,
                w.jp_costed,
                w.cost,
                w.cost_per_jp
            ),
            (2, 1, 20, 8, 1_500_000, Some(187_500))
        );
        let s = kind("seminar");
        assert_eq!((s.items, s.costed_items, s.jp, s.cost), (2, 1, 6, 500_000));
        let f = kind(COURSE_FEE_KIND);
        assert_eq!(
            (f.items, f.costed_items, f.jp, f.cost, f.cost_per_jp),
            (2, 2, 6, 1_500_000, Some(250_000))
        );
        assert_eq!(r.kinds.len(), KINDS.len() + 1);
        assert_eq!(r.kinds.last().unwrap().kind, COURSE_FEE_KIND);
        let sum: i64 = r.kinds.iter().map(|k| k.cost).sum();
        assert_eq!(sum, r.spent);
    }

    #[test]
    fn nothing_spent_and_no_budget_divides_by_nothing() {
        let r = compute(&Input {
            agency_id: 1,
            year: 2026,
            target: 24,
            people: vec![person(1, None, true, 20)],
            ..Default::default()
        });
        assert_eq!(
            (r.spent, r.budget, r.remaining, r.used_permille),
            (0, None, None, None)
        );
        assert_eq!((r.cost_per_jp, r.cost_per_person), (None, None));
        assert_eq!(r.below_target, 1, "20 JP is below an agency target of 24");
        let zero = compute(&Input {
            budget: Some(0),
            ..Default::default()
        });
        assert_eq!((zero.remaining, zero.used_permille), (Some(0), None));
        assert!(zero.units.is_empty());
    }

    #[test]
    fn the_csv_has_a_bom_plain_rupiah_and_guarded_names() {
        let r = compute(&Input {
            agency_id: 1,
            year: 2026,
            budget: Some(2_000_000),
            target: 20,
            tree: vec![unit(1, "=SUM(A1)", 0)],
            people: vec![person(1, Some(1), true, 8)],
            items: vec![act(1, "workshop", 8, Some(2_500_000))],
        });
        let bytes = csv(&r, |k| format!("L:{k}")).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let text = text.strip_prefix(BOM).expect("a BOM");
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], CSV_HEADER.join(","));
        assert_eq!(lines[1], "anggaran,L:anggaran,,,2000000,,,,,");
        assert_eq!(lines[2], "realisasi,L:realisasi,1,8,2500000,,312500,1,1,1");
        assert_eq!(lines[3], "sisa,L:sisa,,,-500000,,,,,");
        assert_eq!(lines[4], "jp_seluruhnya,L:jp_seluruhnya,,8,,,,,,");
        assert_eq!(
            lines[5],
            "biaya_per_orang,L:biaya_per_orang,,,2500000,,,1,,"
        );
        assert_eq!(lines[6], "unit,'=SUM(A1),1,8,2500000,2500000,312500,1,1,1");
        assert!(lines.contains(&"jenis,L:workshop,1,8,2500000,,312500,,,"));
        assert!(lines.contains(&"jenis,L:kursus_berbayar,0,0,0,,,,,"));
    }
}

//! The year a page about an agency shows: the one asked for (`?year=`), else the agency's current
//! year, read in the agency's time zone (see `crate::clock`).

use actix_web::HttpRequest;
use serde::Deserialize;

use crate::db::Db;
use crate::error::AppError;

/// Years the agency pages accept.
pub const FIRST_YEAR: i32 = 2000;
pub const LAST_YEAR: i32 = 2100;

/// `?year=` of an agency page; empty or out of range means the current year.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct YearQuery {
    pub year: String,
}

/// The year shown and the current year, both in the agency's zone (one read of the zone).
#[derive(Debug, Clone, Copy)]
pub struct Years {
    pub shown: i32,
    pub current: i32,
}

/// The asked year (when it is a year within the accepted range), else the current one.
pub async fn agency_years(
    db: &Db,
    req: &HttpRequest,
    agency_id: i64,
    asked: &str,
) -> Result<Years, AppError> {
    let zone = db
        .run(move |conn| crate::clock::zone_of_agency(conn, Some(agency_id)))
        .await?;
    let current = zone.year_of(crate::web::now(req));
    let shown = asked
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (FIRST_YEAR..=LAST_YEAR).contains(y))
        .unwrap_or(current);
    Ok(Years { shown, current })
}

//! Accounts: people (ASN) with their NIP, agency, unit, position and supervisor; passwords,
//! sessions, roles; agencies, units and positions.

pub mod admin_orgs;
pub mod admin_users;
pub mod cli;
pub mod nip;
pub mod onboarding;
pub mod orgs;
pub mod partner_routes;
pub mod partners;
pub mod password;
pub mod placement;
pub mod placement_routes;
pub mod ratelimit;
pub mod rights;
pub mod routes;
pub mod session;
pub mod sessions;
pub mod tokens;
pub mod users;

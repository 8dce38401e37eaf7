//! Accounts: people (ASN) with their NIP, agency, unit, position and supervisor; passwords,
//! sessions, roles; agencies, units and positions.

pub mod admin_orgs_routes;
pub mod admin_users_routes;
pub mod cli;
pub mod nip;
pub mod onboarding;
pub mod orgs;
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
pub mod view;

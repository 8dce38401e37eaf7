//! Competency profiles: learning evidence from completions (and approved activities), assessed
//! levels, position standards, gaps, job-person match, the yearly JP tally and recommendations.

pub mod activities;
pub mod activity_routes;
pub mod admin;
pub mod admin_routes;
pub mod agency;
pub mod agency_routes;
pub mod budget;
pub mod budget_routes;
pub mod chart;
pub mod evaluation;
pub mod evaluation_routes;
pub mod evidence;
pub mod gap_routes;
pub mod jp;
pub mod jp_settings;
pub mod jp_settings_routes;
pub mod kinds;
pub mod levels;
pub mod milestones;
pub mod plan;
pub mod plan_routes;
pub mod profile;
pub mod recommend;
pub mod reminders;
pub mod routes;
pub mod store;
pub mod team;
pub mod team_routes;
pub mod view;

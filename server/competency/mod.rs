//! Competency profiles: learning evidence from completions (and approved activities), assessed
//! levels, position standards, gaps, job-person match, the yearly JP tally and recommendations.

pub mod chart;
pub mod evidence;
pub mod jp;
pub mod profile;
pub mod recommend;
pub mod routes;
pub mod store;

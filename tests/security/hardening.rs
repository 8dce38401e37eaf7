//! (issue 20) hardening

#[allow(unused_imports)]
use super::common;

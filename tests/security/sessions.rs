//! (issue 20) sessions

#[allow(unused_imports)]
use super::common;

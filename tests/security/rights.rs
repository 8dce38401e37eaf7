//! (issue 20) rights

#[allow(unused_imports)]
use super::common;

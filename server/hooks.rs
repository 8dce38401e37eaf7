//! Hooks: what one feature does when something happens in another, wired here so that the feature
//! where it happens does not import the ones that follow. Built where their inputs (the
//! certificate issuer) are at hand: start-up, the seed, tests.

use std::sync::Arc;

use crate::certificates::Issuer;
use crate::learning::completion::OnCompleted;

/// What follows a course completion, in the completion's transaction and in this order: the
/// competency evidence, the certificate, the recognition milestones.
pub fn on_completed(issuer: Arc<Issuer>) -> OnCompleted {
    OnCompleted::new(move |conn, c| {
        crate::competency::evidence::record_completion(conn, c)?;
        crate::certificates::store::issue(conn, &issuer, c)?;
        crate::competency::milestones::award(conn, c.user_id)?;
        Ok(())
    })
}

//! Learning: enrollments, progress, quiz attempts and grading, completion.
//!
//! The pure domain core lives in [`draw`] (what an attempt shows, decided on the server) and
//! [`grading`] (right or wrong per question, the score, the attempt that counts, time limits);
//! neither touches the database or HTTP. [`enroll`], [`progress`] and [`completion`] keep the
//! state in the database; every change that can complete a course calls
//! [`completion::complete_if_done`] in its own transaction.

pub mod assign;
pub mod assign_routes;
pub mod attempts;
pub mod completion;
pub mod course_routes;
pub mod draw;
pub mod enroll;
pub mod grading;
pub mod idempotency;
pub mod offline;
pub mod offline_routes;
pub mod progress;
pub mod quiz_routes;
pub mod renewal;
pub mod renewal_routes;
pub mod resume;
pub mod routes;
pub mod statistics;
pub mod statistics_routes;
pub mod store;

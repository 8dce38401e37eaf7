//! Learning: enrollments, progress, quiz attempts and grading, completion.
//!
//! The pure domain core lives in [`draw`] (what an attempt shows, decided on the server) and
//! [`grading`] (right or wrong per question, the score, the attempt that counts, time limits);
//! neither touches the database or HTTP.

pub mod draw;
pub mod grading;

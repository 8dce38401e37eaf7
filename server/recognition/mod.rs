//! Recognition of ASN who keep developing: milestones earned automatically, the yearly "ASN
//! Pembelajar" standing per unit and agency, signed letters of recognition (piagam penghargaan)
//! and the export HR uses when deciding incentives.

pub mod export;
pub mod letters;
pub mod routes;
pub mod standing;
pub mod view;

/// Milestones and the level that counts live in competency (its reviews and imports award
/// them); their old paths stay.
pub use crate::competency::{levels, milestones};

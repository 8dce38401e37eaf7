//! Recognition of ASN who keep developing (the milestones they earn live in competency): the yearly "ASN
//! Pembelajar" standing per unit and agency, signed letters of recognition (piagam penghargaan)
//! and the export HR uses when deciding incentives.

pub mod export;
pub mod letters;
pub mod routes;
pub mod standing;
pub mod view;

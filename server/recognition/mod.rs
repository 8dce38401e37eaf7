//! Recognition of ASN who keep developing (the milestones they earn live in competency): the
//! yearly "ASN Pembelajar" standing per unit and agency, the pages that issue signed letters of
//! recognition (piagam penghargaan; the letters themselves are `crate::certificates::letters`) and
//! the export HR uses when deciding incentives.

pub mod export;
pub mod routes;
pub mod standing;
pub mod view;

//! Certificates: issued in the completion transaction, signed as an EdDSA JWT, verified by
//! anyone (public page, JSON API, JWKS, CLI), revoked by admins, expiring and renewed, and
//! exported as an Open Badges 3.0 credential. Letters of recognition (piagam penghargaan, issued
//! from the recognition pages) are signed, numbered and verified the same way, so they live here.

pub mod badge;
pub mod cli;
pub mod code;
pub mod credential;
pub mod keys;
pub mod letters;
pub mod lookups;
pub mod model;
pub mod moment;
pub mod pdf;
pub mod qr;
pub mod reminders;
pub mod renewal;
pub mod routes;
pub mod store;
pub mod view;

pub use keys::{Keyring, PublicKey, Signer};
pub use model::{Certificate, CompetencyLevel, Status};
pub use store::Issuer;

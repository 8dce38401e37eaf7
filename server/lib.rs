//! Cakap: a self-paced e-learning platform for Indonesia's civil servants (ASN).
//!
//! `main.rs` is a thin CLI over the entry points here; integration tests in `tests/` start the
//! same [`startup::Application`] on a random port.

pub mod accounts;
pub mod api;
pub mod catalog;
pub mod certificates;
pub mod clock;
pub mod competency;
pub mod config;
pub mod db;
pub mod error;
pub mod events;
pub mod health;
pub mod home;
pub mod hooks;
pub mod i18n;
pub mod learning;
pub mod mail;
pub mod memory;
pub mod numbers;
pub mod proxies;
pub mod recognition;
pub mod secrets;
pub mod seed;
pub mod startup;
pub mod tasks;
pub mod telemetry;
pub mod text;
pub mod web;

pub use config::Config;
pub use error::AppError;
pub use startup::{Application, StartError};

/// The version reported by `/healthz` and `cakap --version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

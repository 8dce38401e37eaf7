//! The integration tests, one binary (issue 23): a module per capability, each driving the real
//! server (or the `cakap` binary) as a user would. One binary links actix and diesel once instead
//! of once per file. The harness and fixtures live in `tests/common/`, shared with the crash
//! test (`tests/crash.rs`, its own binary: it interposes SQLite's file system) and the load
//! benchmark (`tests/load/`); `tests/fuzz.rs` needs no server.
//!
//! Run one capability with `cargo test --test app -- quiz::`.

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod activities;
mod admin_orgs;
mod admin_users;
mod agency_report;
mod api_doc;
mod authoring;
mod budget;
mod catalog;
mod certificates;
mod cli;
mod competency;
mod compression;
mod course_format;
mod evaluation;
mod gift;
mod health;
mod journey;
mod learning;
mod mail;
mod offline_sync;
mod page_weight;
mod partners;
mod quiz;
mod quiz_stats;
mod recognition;
mod roles;
mod schema;
mod security;
mod seed;
mod standards;
mod transactions;
mod two_servers;

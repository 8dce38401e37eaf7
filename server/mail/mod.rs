//! E-mail: a durable outbox in the database, a worker that sends with retries, and the
//! templates (`web/templates/email`) messages are rendered from.
//!
//! Callers write a message with [`enqueue`] in the same transaction as what caused it (a
//! registration, say), then call [`Mailer::wake`] so the worker sends it at once.

pub mod outbox;
pub mod render;
pub mod transport;
pub mod worker;

pub use outbox::{enqueue, OutgoingMail};
pub use render::MailTemplates;
pub use transport::Transport;
pub use worker::{spawn, Mailer};

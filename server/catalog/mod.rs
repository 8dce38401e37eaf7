//! Courses: the Markdown course format (parse, validate, render), publishing into the database,
//! and the catalog, course and module pages.

pub mod archive;
pub mod author_routes;
pub mod batch;
pub mod check;
pub mod diag;
pub mod dictionary;
pub mod diff;
pub mod folder;
pub mod frontmatter;
pub mod gift;
pub mod image_size;
pub mod markdown;
pub mod outline;
pub mod partner_routes;
pub mod publish;
pub mod quiz;
pub mod routes;
pub mod search;
pub mod starter;
pub mod store;
pub mod workspace;

pub use diag::{Diagnostic, Severity};
pub use dictionary::Dictionary;
pub use folder::{CourseOut, Loaded};

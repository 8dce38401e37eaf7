//! The database URL, parsed once: which backend, and where.
//!
//! The backend is chosen by the scheme and nothing else, so a PostgreSQL URL with a typo is an
//! error, never a SQLite file named like the URL.

use std::fmt;
use std::path::{Path, PathBuf};

use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The name used in `/healthz` and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite database file (created on first start).
    SqliteFile { original: String, path: PathBuf },
    /// A PostgreSQL server.
    Postgres { url: Url },
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.display())
    }
}

const SQLITE_SUFFIXES: &[&str] = &[".db", ".sqlite", ".sqlite3"];

impl DatabaseUrl {
    /// Parse a database URL. The error says what is wrong, in one line.
    pub fn parse(input: &str) -> Result<DatabaseUrl, String> {
        let s = input.trim();
        if s.is_empty() {
            return Err("empty".into());
        }
        if s.contains(":memory:") {
            return Err(
                "an in-memory database would lose everything on restart; give a file path".into(),
            );
        }
        if let Some(rest) = s.strip_prefix("sqlite://") {
            if rest.is_empty() {
                return Err("sqlite:// needs a file path after it".into());
            }
            if rest.contains('?') {
                return Err("query parameters are not supported in a sqlite:// URL".into());
            }
            return Ok(DatabaseUrl::SqliteFile {
                original: s.to_string(),
                path: PathBuf::from(rest),
            });
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            let url = Url::parse(s).map_err(|e| format!("not a valid PostgreSQL URL ({e})"))?;
            if url.host_str().unwrap_or("").is_empty()
                && !url.query_pairs().any(|(k, _)| k == "host")
            {
                return Err("the PostgreSQL URL names no host".into());
            }
            return Ok(DatabaseUrl::Postgres { url });
        }
        if let Some(scheme) = scheme_of(s) {
            if matches!(
                scheme.to_ascii_lowercase().as_str(),
                "postgres" | "postgresql"
            ) {
                return Err(
                    "looks like a PostgreSQL URL but is malformed (it must start with postgres:// followed by the host)".into(),
                );
            }
            return Err(format!(
                "unsupported database scheme `{scheme}:`; Cakap runs on SQLite and PostgreSQL"
            ));
        }
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("postgres") {
            return Err("looks like a PostgreSQL URL but does not start with postgres://".into());
        }
        if SQLITE_SUFFIXES.iter().any(|suf| lower.ends_with(suf)) {
            return Ok(DatabaseUrl::SqliteFile {
                original: s.to_string(),
                path: PathBuf::from(s),
            });
        }
        Err("not a database URL, and a bare path must end in .db, .sqlite or .sqlite3".into())
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::SqliteFile { .. } => Backend::Sqlite,
            DatabaseUrl::Postgres { .. } => Backend::Postgres,
        }
    }

    /// The URL with any password masked, for logs and error messages.
    pub fn display(&self) -> String {
        match self {
            DatabaseUrl::SqliteFile { original, .. } => original.clone(),
            DatabaseUrl::Postgres { url } => {
                let mut u = url.clone();
                if u.password().is_some() {
                    let _ = u.set_password(Some("***"));
                }
                u.to_string()
            }
        }
    }

    /// The SQLite file, if this is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            DatabaseUrl::SqliteFile { path, .. } => Some(path),
            DatabaseUrl::Postgres { .. } => None,
        }
    }

    /// The string handed to the driver. For SQLite, a `file:` URI; `create` decides whether a
    /// missing file may be created (only the first connection at start-up may).
    pub fn connection_string(&self, create: bool) -> String {
        match self {
            DatabaseUrl::SqliteFile { path, .. } => {
                let abs = absolute(path);
                let mode = if create { "rwc" } else { "rw" };
                format!("file:{}?mode={mode}", uri_escape(&abs.to_string_lossy()))
            }
            DatabaseUrl::Postgres { url } => {
                let mut u = url.clone();
                if !u.query_pairs().any(|(k, _)| k == "connect_timeout") {
                    u.query_pairs_mut().append_pair("connect_timeout", "10");
                }
                u.to_string()
            }
        }
    }
}

/// `scheme` of `scheme:rest`, if the string starts like a URL (a single letter is a Windows drive).
fn scheme_of(s: &str) -> Option<&str> {
    let (scheme, _) = s.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (scheme.len() > 1
        && first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)))
    .then_some(scheme)
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

fn uri_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_backend_by_scheme() {
        let cases = [
            ("postgres://u:p@localhost:5432/cakap", Backend::Postgres),
            ("postgresql://localhost/cakap", Backend::Postgres),
            ("sqlite://./data/cakap.db", Backend::Sqlite),
            ("sqlite:///var/lib/cakap/cakap.db", Backend::Sqlite),
            ("data/cakap.db", Backend::Sqlite),
            ("/tmp/x.sqlite3", Backend::Sqlite),
        ];
        for (url, backend) in cases {
            assert_eq!(DatabaseUrl::parse(url).unwrap().backend(), backend, "{url}");
        }
    }

    #[test]
    fn malformed_urls_are_errors_not_files() {
        for bad in [
            "",
            "postgres//localhost/cakap",
            "postgres:localhost",
            "postgresql:/x",
            "POSTGRES://x",
            "postgres://",
            "mysql://localhost/cakap",
            "cakap",
            "sqlite://",
            "host=localhost dbname=cakap",
            ":memory:",
        ] {
            assert!(
                DatabaseUrl::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn display_masks_the_password() {
        let u = DatabaseUrl::parse("postgres://cakap:s3cret@db:5432/cakap").unwrap();
        assert!(!u.display().contains("s3cret"));
        assert!(u.display().contains("***"));
    }

    #[test]
    fn sqlite_connection_string_is_an_absolute_uri() {
        let u = DatabaseUrl::parse("sqlite:///srv/a?b#c.db").unwrap_err();
        assert!(u.contains("query"));
        let u = DatabaseUrl::parse("/srv/x#y.db").unwrap();
        assert_eq!(u.connection_string(false), "file:/srv/x%23y.db?mode=rw");
        assert_eq!(u.connection_string(true), "file:/srv/x%23y.db?mode=rwc");
    }

    #[test]
    fn postgres_gets_a_connect_timeout() {
        let u = DatabaseUrl::parse("postgres://localhost/cakap").unwrap();
        assert!(u.connection_string(false).contains("connect_timeout=10"));
        let u = DatabaseUrl::parse("postgres://localhost/cakap?connect_timeout=3").unwrap();
        assert!(u.connection_string(false).ends_with("connect_timeout=3"));
    }
}

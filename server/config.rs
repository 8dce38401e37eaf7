//! Settings: built-in defaults < optional `cakap.toml` < `CAKAP_*` environment variables.
//!
//! Every setting has one name in `cakap.toml` (`bind`, `smtp.host`, …) and one environment
//! variable (`CAKAP_BIND`, `CAKAP_SMTP_HOST`, …). A value that does not parse stops start-up
//! with one line naming the setting, where it came from, and what is accepted.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use url::Url;

use crate::db::DatabaseUrl;

/// The settings Cakap knows, by their name in `cakap.toml`.
pub const KEYS: &[&str] = &[
    "database_url",
    "bind",
    "base_url",
    "data_dir",
    "courses_dir",
    "publish_on_start",
    "trust_proxy",
    "trusted_proxies",
    "db_pool_size",
    "workers",
    "reminder_delay",
    "time_zone",
    "log",
    "mail.transport",
    "mail.from",
    "smtp.host",
    "smtp.port",
    "smtp.username",
    "smtp.password",
    "smtp.security",
    "certificates.prefix",
    "certificates.issuer",
    "certificates.signatory_name",
    "certificates.signatory_title",
    "certificates.lookup_limit",
];

/// Environment variable name of a setting: `smtp.host` → `CAKAP_SMTP_HOST`.
pub fn env_name(key: &str) -> String {
    format!("CAKAP_{}", key.replace('.', "_").to_ascii_uppercase())
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseUrl,
    pub bind: SocketAddr,
    pub base_url: Url,
    pub data_dir: PathBuf,
    pub courses_dir: PathBuf,
    /// Publish the courses folder when `serve` starts (changed courses get a new version).
    pub publish_on_start: bool,
    /// Reverse proxies in front that may name the client (`trusted_proxies`): a number of hops,
    /// or proxy addresses/networks. The client address (rate limits, session records) is then
    /// read from the right of `X-Forwarded-For`, past our own proxies' entries; what a client
    /// writes into the header itself is never believed. The older `trust_proxy = true` means
    /// one hop. See [`crate::proxies`].
    pub trusted_proxies: crate::proxies::TrustedProxies,
    pub db_pool_size: u32,
    /// HTTP worker threads; `None` lets actix pick one per core.
    pub workers: Option<usize>,
    /// Seconds after start-up before the reminder loops' first pass (lets a rolling restart of
    /// several servers settle).
    pub reminder_delay: u64,
    /// A `tracing` filter such as `info` or `cakap=debug,actix_web=info`.
    pub log: String,
    pub mail: MailConfig,
    pub certificates: CertificateConfig,
    /// The platform's time zone (`time_zone`): people without an agency and agencies that never
    /// chose one decide dates in it. See [`crate::clock`].
    pub time_zone: crate::clock::Zone,
    /// Where handlers read "now": always the system clock, except in tests, which may set a
    /// fixed one on the built `Config` (no setting or variable reaches it).
    pub clock: crate::clock::Clock,
}

/// What issued certificates say about who issued them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateConfig {
    /// First part of the certificate number: `CKP` in `CKP/2026/000123`.
    pub prefix: String,
    /// The issuing organisation printed on certificates (e.g. "BPSDM Provinsi Jawa Tengah").
    pub issuer: String,
    /// Who signs: name and position, printed in the signature block.
    pub signatory_name: Option<String>,
    pub signatory_title: Option<String>,
    /// Certificate lookups by code per client address in ten minutes (120); a sixth of it may
    /// find nothing. Only a test server (an API tester sending thousands) should raise it.
    pub lookup_limit: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTransport {
    /// Write each message as an `.eml` file under `<data_dir>/mail/`.
    File,
    /// Send through an SMTP server.
    Smtp,
    /// Only log that a message would have been sent.
    Log,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmtpSecurity {
    None,
    StartTls,
    Tls,
}

#[derive(Debug, Clone)]
pub struct MailConfig {
    pub transport: MailTransport,
    pub from: String,
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
    pub smtp_security: SmtpSecurity,
}

/// Where a setting's value came from, so an error can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    File(PathBuf),
    Env(String),
}

/// A setting that cannot be used. Its `Display` is the one line shown to the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    Invalid {
        setting: String,
        value: String,
        problem: String,
        accepted: String,
    },
    File {
        path: PathBuf,
        problem: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Invalid {
                setting,
                value,
                problem,
                accepted,
            } => write!(
                f,
                "configuration error: {setting} = {value:?}: {problem}; accepted: {accepted}"
            ),
            ConfigError::File { path, problem } => {
                write!(f, "configuration error in {}: {problem}", path.display())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// One raw value with its origin.
#[derive(Debug, Clone)]
struct Raw {
    value: String,
    source: Source,
}

impl Raw {
    fn setting_name(&self, key: &str) -> String {
        match &self.source {
            Source::Default => format!("{key} (default)"),
            Source::File(p) => format!("{key} in {}", p.display()),
            Source::Env(name) => name.clone(),
        }
    }

    fn invalid(&self, key: &str, problem: &str, accepted: &str) -> ConfigError {
        ConfigError::Invalid {
            setting: self.setting_name(key),
            value: self.value.clone(),
            problem: problem.to_string(),
            accepted: accepted.to_string(),
        }
    }
}

impl Config {
    /// Load settings for the running process: `path` (or `CAKAP_CONFIG`, or `./cakap.toml` when it
    /// exists), then the process environment.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let env: BTreeMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("CAKAP_"))
            .collect();
        let path = path
            .map(Path::to_path_buf)
            .or_else(|| env.get("CAKAP_CONFIG").map(PathBuf::from));
        let (file, explicit) = match path {
            Some(p) => (Some(p), true),
            None => {
                let p = PathBuf::from("cakap.toml");
                (p.exists().then_some(p), false)
            }
        };
        Self::from_sources(file.as_deref(), explicit, &env)
    }

    /// Build settings from an optional file and a map of `CAKAP_*` variables.
    /// `file_required` makes a missing file an error (it was named on the command line).
    pub fn from_sources(
        file: Option<&Path>,
        file_required: bool,
        env: &BTreeMap<String, String>,
    ) -> Result<Config, ConfigError> {
        let mut raw: BTreeMap<&'static str, Raw> = BTreeMap::new();
        if let Some(path) = file {
            match std::fs::read_to_string(path) {
                Ok(text) => read_file(path, &text, &mut raw)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !file_required => {}
                Err(e) => {
                    return Err(ConfigError::File {
                        path: path.to_path_buf(),
                        problem: format!(
                        "cannot read it ({e}); check the path given with --config or CAKAP_CONFIG"
                    ),
                    })
                }
            }
        }
        for key in KEYS {
            let name = env_name(key);
            if let Some(value) = env.get(&name) {
                raw.insert(
                    key,
                    Raw {
                        value: value.clone(),
                        source: Source::Env(name),
                    },
                );
            }
        }
        build(raw)
    }
}

fn read_file(
    path: &Path,
    text: &str,
    raw: &mut BTreeMap<&'static str, Raw>,
) -> Result<(), ConfigError> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::File {
            path: path.to_path_buf(),
            problem: format!(
                "not valid TOML: {}",
                e.message().lines().next().unwrap_or("syntax error")
            ),
        })?;
    let mut flat = Vec::new();
    flatten("", &table, &mut flat);
    for (key, value) in flat {
        let Some(known) = KEYS.iter().find(|k| **k == key) else {
            let hint = crate::text::nearest(&key, KEYS)
                .map(|k| format!("did you mean `{k}`?"))
                .unwrap_or_else(|| format!("known settings: {}", KEYS.join(", ")));
            return Err(ConfigError::File {
                path: path.to_path_buf(),
                problem: format!("unknown setting `{key}`; {hint}"),
            });
        };
        let value = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            // a list of strings (`trusted_proxies = ["10.0.0.5", "172.16.0.0/12"]`)
            toml::Value::Array(items) if items.iter().all(|i| i.is_str()) => items
                .iter()
                .filter_map(|i| i.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            other => {
                return Err(ConfigError::File {
                    path: path.to_path_buf(),
                    problem: format!(
                        "`{key}` must be a string or a number, not {}",
                        other.type_str()
                    ),
                })
            }
        };
        raw.insert(
            known,
            Raw {
                value,
                source: Source::File(path.to_path_buf()),
            },
        );
    }
    Ok(())
}

fn flatten<'a>(prefix: &str, table: &'a toml::Table, out: &mut Vec<(String, &'a toml::Value)>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            other => out.push((key, other)),
        }
    }
}

fn default(value: &str) -> Raw {
    Raw {
        value: value.to_string(),
        source: Source::Default,
    }
}

/// The raw settings not yet read; each group below takes its own keys, in the order their
/// errors are reported.
struct Settings(BTreeMap<&'static str, Raw>);

impl Settings {
    /// The value of `key`, or `fallback` as its default.
    fn take(&mut self, key: &'static str, fallback: &str) -> Raw {
        self.0.remove(key).unwrap_or_else(|| default(fallback))
    }
}

fn build(raw: BTreeMap<&'static str, Raw>) -> Result<Config, ConfigError> {
    let mut s = Settings(raw);
    let places = places(&mut s)?;
    let trusted_proxies = trusted_proxies(&mut s)?;
    let capacity = capacity(&mut s, places.database.backend())?;
    let time_zone = time_zone(&mut s)?;
    let log = log_filter(&mut s)?;
    let mail = mail(&mut s, &places.base_url)?;
    let certificates = certificates(&mut s)?;
    Ok(Config {
        certificates,
        database: places.database,
        bind: places.bind,
        base_url: places.base_url,
        data_dir: places.data_dir,
        courses_dir: places.courses_dir,
        publish_on_start: places.publish_on_start,
        trusted_proxies,
        db_pool_size: capacity.db_pool_size,
        workers: capacity.workers,
        reminder_delay: capacity.reminder_delay,
        time_zone,
        clock: crate::clock::Clock::system(),
        log,
        mail,
    })
}

/// Where the data, the database, the courses and the server live.
struct Places {
    data_dir: PathBuf,
    database: DatabaseUrl,
    bind: SocketAddr,
    base_url: Url,
    courses_dir: PathBuf,
    publish_on_start: bool,
}

fn places(s: &mut Settings) -> Result<Places, ConfigError> {
    let data_dir_raw = s.take("data_dir", "./data");
    let data_dir = non_empty_path(&data_dir_raw, "data_dir")?;

    let default_db = format!("sqlite://{}", data_dir.join("cakap.db").display());
    let db_raw = s.take("database_url", &default_db);
    let database = DatabaseUrl::parse(&db_raw.value).map_err(|problem| {
        db_raw.invalid(
            "database_url",
            &problem,
            "postgres://USER:PASSWORD@HOST:PORT/DATABASE, sqlite://PATH/TO/FILE.db, or a path ending in .db",
        )
    })?;

    let bind_raw = s.take("bind", "127.0.0.1:8080");
    let bind: SocketAddr = bind_raw.value.trim().parse().map_err(|_| {
        bind_raw.invalid(
            "bind",
            "not an IP address with a port",
            "IP:PORT such as 127.0.0.1:8080 or 0.0.0.0:8080",
        )
    })?;

    let base_raw = s.take("base_url", &format!("http://{bind}"));
    let base_url = Url::parse(base_raw.value.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| {
            base_raw.invalid(
                "base_url",
                "not an http(s) address",
                "the public address of this server, such as https://cakap.bpsdm.example.go.id",
            )
        })?;

    let courses_raw = s.take("courses_dir", "./courses");
    let courses_dir = non_empty_path(&courses_raw, "courses_dir")?;

    let publish_raw = s.take("publish_on_start", "true");
    let publish_on_start = parse_bool(
        &publish_raw,
        "publish_on_start",
        "true (publish the courses folder at start-up) or false",
    )?;
    Ok(Places {
        data_dir,
        database,
        bind,
        base_url,
        courses_dir,
        publish_on_start,
    })
}

/// `trusted_proxies` wins; the older `trust_proxy = true` still means one proxy in front.
fn trusted_proxies(s: &mut Settings) -> Result<crate::proxies::TrustedProxies, ConfigError> {
    let proxy_raw = s.take("trust_proxy", "false");
    let trust_proxy = parse_bool(
        &proxy_raw,
        "trust_proxy",
        "true (one reverse proxy in front sets X-Forwarded-For) or false; prefer trusted_proxies",
    )?;
    let proxies_raw = s.take("trusted_proxies", if trust_proxy { "1" } else { "0" });
    crate::proxies::TrustedProxies::parse(&proxies_raw.value).map_err(|problem| {
        proxies_raw.invalid("trusted_proxies", &problem, crate::proxies::ACCEPTED)
    })
}

/// How much the server runs at once, and when its reminder loops start.
struct Capacity {
    db_pool_size: u32,
    workers: Option<usize>,
    reminder_delay: u64,
}

fn capacity(s: &mut Settings, backend: crate::db::Backend) -> Result<Capacity, ConfigError> {
    // SQLite: one writer at a time and reads of a local file take microseconds, so four
    // connections keep two cores busy (eight measured no faster and held ~8 MB more);
    // PostgreSQL: every query waits on the network and commits share flushes, so more.
    let pool_default = match backend {
        crate::db::Backend::Sqlite => "4",
        crate::db::Backend::Postgres => "8",
    };
    let pool_raw = s.take("db_pool_size", pool_default);
    let db_pool_size = parse_range(&pool_raw, "db_pool_size", 1, 256)? as u32;

    let workers_raw = s.take("workers", "0");
    let workers = match parse_range(&workers_raw, "workers", 0, 512)? {
        0 => None,
        n => Some(n as usize),
    };

    let delay_raw = s.take("reminder_delay", "60");
    let reminder_delay = parse_range(&delay_raw, "reminder_delay", 0, 86_400)?;
    Ok(Capacity {
        db_pool_size,
        workers,
        reminder_delay,
    })
}

fn time_zone(s: &mut Settings) -> Result<crate::clock::Zone, ConfigError> {
    let zone_raw = s.take("time_zone", "Asia/Jakarta");
    crate::clock::Zone::parse(&zone_raw.value).ok_or_else(|| {
        zone_raw.invalid(
            "time_zone",
            "not one of Indonesia's three time zones",
            crate::clock::ACCEPTED,
        )
    })
}

fn log_filter(s: &mut Settings) -> Result<String, ConfigError> {
    let log_raw = s.take("log", "info");
    if tracing_subscriber::EnvFilter::try_new(&log_raw.value).is_err() {
        return Err(log_raw.invalid(
            "log",
            "not a log filter",
            "error, warn, info, debug, trace, or a list such as cakap=debug,actix_web=info",
        ));
    }
    Ok(log_raw.value)
}

/// `mail.*` and `smtp.*`; the default sender is noreply at the host of `base_url`.
fn mail(s: &mut Settings, base_url: &Url) -> Result<MailConfig, ConfigError> {
    let transport_raw = s.take("mail.transport", "file");
    let transport = match transport_raw.value.trim() {
        "file" => MailTransport::File,
        "smtp" => MailTransport::Smtp,
        "log" => MailTransport::Log,
        _ => {
            return Err(transport_raw.invalid(
                "mail.transport",
                "unknown mail transport",
                "file (write .eml files into the data folder), smtp, or log",
            ))
        }
    };
    let from_raw = s.take(
        "mail.from",
        &format!(
            "Cakap <noreply@{}>",
            base_url.host_str().unwrap_or("localhost")
        ),
    );
    if !from_raw.value.contains('@') {
        return Err(from_raw.invalid(
            "mail.from",
            "not an e-mail address",
            "an address such as noreply@bpsdm.example.go.id or \"Cakap <noreply@bpsdm.example.go.id>\"",
        ));
    }
    let host_raw = s.take("smtp.host", "");
    let smtp_host = Some(host_raw.value.trim().to_string()).filter(|h| !h.is_empty());
    if transport == MailTransport::Smtp && smtp_host.is_none() {
        return Err(host_raw.invalid(
            "smtp.host",
            "mail.transport is smtp but no SMTP server is named",
            "the host name of your SMTP server, such as smtp.example.go.id",
        ));
    }
    let security_raw = s.take("smtp.security", "starttls");
    let smtp_security = match security_raw.value.trim() {
        "none" => SmtpSecurity::None,
        "starttls" => SmtpSecurity::StartTls,
        "tls" => SmtpSecurity::Tls,
        _ => {
            return Err(security_raw.invalid(
                "smtp.security",
                "unknown SMTP security mode",
                "starttls (port 587), tls (port 465), or none (only for a local relay)",
            ))
        }
    };
    let default_port = match smtp_security {
        SmtpSecurity::Tls => "465",
        SmtpSecurity::StartTls => "587",
        SmtpSecurity::None => "25",
    };
    let port_raw = s.take("smtp.port", default_port);
    let smtp_port = parse_range(&port_raw, "smtp.port", 1, 65535)? as u16;
    let smtp_username = Some(s.take("smtp.username", "").value).filter(|v| !v.is_empty());
    let smtp_password = Some(s.take("smtp.password", "").value).filter(|v| !v.is_empty());
    Ok(MailConfig {
        transport,
        from: from_raw.value,
        smtp_host,
        smtp_port,
        smtp_username,
        smtp_password,
        smtp_security,
    })
}

/// `certificates.*`: the number prefix, the issuer and the signatory.
fn certificates(s: &mut Settings) -> Result<CertificateConfig, ConfigError> {
    let prefix_raw = s.take("certificates.prefix", "CKP");
    let prefix = prefix_raw.value.trim().to_string();
    if prefix.is_empty()
        || prefix.len() > 20
        || !prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return Err(prefix_raw.invalid(
            "certificates.prefix",
            "not a certificate number prefix",
            "1 to 20 letters, digits, dots or hyphens, such as CKP or BPSDM-JTG (no slashes)",
        ));
    }
    let issuer = s
        .take("certificates.issuer", "Cakap — Platform Pembelajaran ASN")
        .value
        .trim()
        .to_string();
    let mut trimmed = |key: &'static str| {
        Some(s.take(key, "").value.trim().to_string()).filter(|v| !v.is_empty())
    };
    let signatory_name = trimmed("certificates.signatory_name");
    let signatory_title = trimmed("certificates.signatory_title");
    let limit_raw = s.take("certificates.lookup_limit", "120");
    let lookup_limit = parse_range(&limit_raw, "certificates.lookup_limit", 6, 1_000_000)? as i32;
    Ok(CertificateConfig {
        lookup_limit,
        prefix,
        issuer: if issuer.is_empty() {
            "Cakap".into()
        } else {
            issuer
        },
        signatory_name,
        signatory_title,
    })
}

fn parse_bool(raw: &Raw, key: &str, accepted: &str) -> Result<bool, ConfigError> {
    match raw.value.trim() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(raw.invalid(key, "not true or false", accepted)),
    }
}

fn non_empty_path(raw: &Raw, key: &str) -> Result<PathBuf, ConfigError> {
    let v = raw.value.trim();
    if v.is_empty() {
        return Err(raw.invalid(key, "empty", "a folder path such as ./data"));
    }
    Ok(PathBuf::from(v))
}

fn parse_range(raw: &Raw, key: &str, min: u64, max: u64) -> Result<u64, ConfigError> {
    raw.value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            raw.invalid(
                key,
                "not a whole number in range",
                &format!("a whole number from {min} to {max}"),
            )
        })
}

impl Config {
    /// Whether cookies must carry `Secure` (the public address is https).
    pub fn is_https(&self) -> bool {
        self.base_url.scheme() == "https"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Backend;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn file_with(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cakap.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn trusted_proxies_take_hops_lists_and_the_older_trust_proxy() {
        use crate::proxies::TrustedProxies;
        let c = Config::from_sources(None, false, &env(&[])).unwrap();
        assert_eq!(c.trusted_proxies, TrustedProxies::None);
        let c = Config::from_sources(None, false, &env(&[("CAKAP_TRUST_PROXY", "true")])).unwrap();
        assert_eq!(
            c.trusted_proxies,
            TrustedProxies::Hops(1),
            "trust_proxy = one hop"
        );
        let c = Config::from_sources(None, false, &env(&[("CAKAP_TRUSTED_PROXIES", "2")])).unwrap();
        assert_eq!(c.trusted_proxies, TrustedProxies::Hops(2));
        let (_d, path) = file_with("trusted_proxies = [\"10.0.0.5\", \"172.16.0.0/12\"]\n");
        let c = Config::from_sources(Some(&path), true, &env(&[])).unwrap();
        assert!(matches!(c.trusted_proxies, TrustedProxies::List(ref l) if l.len() == 2));
        let e = Config::from_sources(None, false, &env(&[("CAKAP_TRUSTED_PROXIES", "proxy")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("CAKAP_TRUSTED_PROXIES") && e.contains("hops"),
            "{e}"
        );
    }

    #[test]
    fn time_zone_is_one_of_the_three_and_defaults_to_wib() {
        use crate::clock::Zone;
        let c = Config::from_sources(None, false, &env(&[])).unwrap();
        assert_eq!(c.time_zone, Zone::Wib);
        let c = Config::from_sources(None, false, &env(&[("CAKAP_TIME_ZONE", "Asia/Jayapura")]))
            .unwrap();
        assert_eq!(c.time_zone, Zone::Wit);
        let e = Config::from_sources(None, false, &env(&[("CAKAP_TIME_ZONE", "Asia/Tokyo")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("CAKAP_TIME_ZONE") && e.contains("Asia/Makassar"),
            "{e}"
        );
    }

    #[test]
    fn defaults_are_sqlite_in_data_and_localhost_8080() {
        let c = Config::from_sources(None, false, &env(&[])).unwrap();
        assert_eq!(c.database.backend(), Backend::Sqlite);
        assert_eq!(c.database.display(), "sqlite://./data/cakap.db");
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.base_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert_eq!(c.courses_dir, PathBuf::from("./courses"));
        assert_eq!(c.mail.transport, MailTransport::File);
        assert!(!c.is_https());
    }

    #[test]
    fn env_overrides_file_and_file_overrides_defaults() {
        let (_d, path) = file_with(
            "bind = \"0.0.0.0:9000\"\ndata_dir = \"/srv/cakap\"\n[smtp]\nhost = \"smtp.example.go.id\"\nport = 2525\n",
        );
        let c = Config::from_sources(Some(&path), true, &env(&[("CAKAP_BIND", "127.0.0.1:7000")]))
            .unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:7000");
        assert_eq!(c.data_dir, PathBuf::from("/srv/cakap"));
        // the default database follows the data dir
        assert_eq!(c.database.display(), "sqlite:///srv/cakap/cakap.db");
        assert_eq!(c.mail.smtp_host.as_deref(), Some("smtp.example.go.id"));
        assert_eq!(c.mail.smtp_port, 2525);
    }

    #[test]
    fn bad_bind_names_the_variable_and_accepted_values() {
        let err = Config::from_sources(None, false, &env(&[("CAKAP_BIND", "localhost")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("CAKAP_BIND"), "{err}");
        assert!(err.contains("127.0.0.1:8080"), "{err}");
        assert!(!err.contains('\n'));
    }

    #[test]
    fn bad_value_in_file_names_the_file() {
        let (_d, path) = file_with("db_pool_size = 0\n");
        let err = Config::from_sources(Some(&path), true, &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("db_pool_size in"), "{err}");
        assert!(err.contains("1 to 256"), "{err}");
    }

    #[test]
    fn unknown_key_in_file_suggests_the_nearest() {
        let (_d, path) = file_with("databse_url = \"x.db\"\n");
        let err = Config::from_sources(Some(&path), true, &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean `database_url`"), "{err}");
    }

    #[test]
    fn missing_named_file_is_an_error_but_missing_default_file_is_not() {
        let p = PathBuf::from("/nonexistent/cakap.toml");
        assert!(Config::from_sources(Some(&p), true, &env(&[])).is_err());
        assert!(Config::from_sources(Some(&p), false, &env(&[])).is_ok());
    }

    #[test]
    fn smtp_transport_needs_a_host() {
        let err = Config::from_sources(None, false, &env(&[("CAKAP_MAIL_TRANSPORT", "smtp")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("smtp.host"), "{err}");
        let ok = Config::from_sources(
            None,
            false,
            &env(&[
                ("CAKAP_MAIL_TRANSPORT", "smtp"),
                ("CAKAP_SMTP_HOST", "mail.example.go.id"),
                ("CAKAP_SMTP_SECURITY", "tls"),
            ]),
        )
        .unwrap();
        assert_eq!(ok.mail.smtp_port, 465);
    }

    #[test]
    fn malformed_database_url_is_refused() {
        for bad in [
            "mysql://x/y",
            "postgres//localhost/cakap",
            "postgres://",
            "cakap",
        ] {
            let err = Config::from_sources(None, false, &env(&[("CAKAP_DATABASE_URL", bad)]))
                .unwrap_err()
                .to_string();
            assert!(err.contains("CAKAP_DATABASE_URL"), "{bad}: {err}");
        }
    }

    #[test]
    fn env_names_follow_keys() {
        assert_eq!(env_name("smtp.host"), "CAKAP_SMTP_HOST");
        assert_eq!(env_name("database_url"), "CAKAP_DATABASE_URL");
    }
}

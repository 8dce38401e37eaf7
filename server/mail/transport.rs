//! Where messages go: `.eml` files under the data folder (the default, works offline), an SMTP
//! server, or the log.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::outbox::OutgoingMail;
use crate::config::{Config, MailTransport, SmtpSecurity};

/// How long one SMTP conversation may take before it counts as failed.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

pub enum Transport {
    /// Write each message to `<data_dir>/mail/<time>-<id>.eml`.
    File(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Only log that a message would have been sent (the text body at debug level).
    Log,
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub message: String,
    /// Trying again cannot help (the message itself is malformed).
    pub permanent: bool,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<SendError> for String {
    fn from(e: SendError) -> String {
        e.message
    }
}

impl Transport {
    /// The transport the settings choose. An error names the setting to fix.
    pub fn from_config(config: &Config) -> Result<Transport, String> {
        let mail = &config.mail;
        match mail.transport {
            MailTransport::File => Ok(Transport::File(config.data_dir.join("mail"))),
            MailTransport::Log => Ok(Transport::Log),
            MailTransport::Smtp => {
                let host = mail.smtp_host.as_deref().ok_or_else(|| {
                    "mail.transport is smtp but smtp.host (CAKAP_SMTP_HOST) is not set".to_string()
                })?;
                let builder = match mail.smtp_security {
                    SmtpSecurity::None => {
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                    }
                    SmtpSecurity::StartTls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(|e| {
                            format!("smtp.host {host:?}: cannot set up STARTTLS: {e}")
                        })?
                    }
                    SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                        .map_err(|e| format!("smtp.host {host:?}: cannot set up TLS: {e}"))?,
                };
                let mut builder = builder.port(mail.smtp_port).timeout(Some(SMTP_TIMEOUT));
                if let Some(user) = &mail.smtp_username {
                    builder = builder.credentials(Credentials::new(
                        user.clone(),
                        mail.smtp_password.clone().unwrap_or_default(),
                    ));
                }
                Ok(Transport::Smtp(builder.build()))
            }
        }
    }

    /// A short name for logs: `file`, `smtp` or `log`.
    pub fn kind(&self) -> &'static str {
        match self {
            Transport::File(_) => "file",
            Transport::Smtp(_) => "smtp",
            Transport::Log => "log",
        }
    }

    /// Send `mail` from `from` (`noreply@host` or `Name <noreply@host>`).
    pub async fn send(&self, from: &str, mail: &OutgoingMail) -> Result<(), String> {
        self.deliver(from, mail).await.map_err(String::from)
    }

    /// Like [`Transport::send`], telling a permanent failure (a malformed address, say) from one
    /// that may pass later (the SMTP server is down).
    pub async fn deliver(&self, from: &str, mail: &OutgoingMail) -> Result<(), SendError> {
        let (message, id) = build_message(from, mail).map_err(|message| SendError {
            message,
            permanent: true,
        })?;
        let transient = |message: String| SendError {
            message,
            permanent: false,
        };
        match self {
            Transport::File(dir) => {
                let dir = dir.clone();
                let bytes = message.formatted();
                tokio::task::spawn_blocking(move || write_eml(&dir, &id, &bytes))
                    .await
                    .map_err(|e| transient(format!("writing the mail file failed: {e}")))?
                    .map_err(transient)?;
                Ok(())
            }
            Transport::Smtp(smtp) => {
                // lettre's timeout covers each read and write; this bounds the whole exchange
                let sent = tokio::time::timeout(SMTP_TIMEOUT * 2, smtp.send(message))
                    .await
                    .map_err(|_| transient("the SMTP server did not answer in time".into()))?;
                sent.map(|_| ()).map_err(|e| transient(smtp_error(&e)))
            }
            Transport::Log => {
                tracing::info!(to = %mail.to, subject = %mail.subject, "mail (log transport, not sent)");
                tracing::debug!(to = %mail.to, body = %mail.text, "mail text");
                Ok(())
            }
        }
    }
}

fn smtp_error(e: &lettre::transport::smtp::Error) -> String {
    let mut text = format!("SMTP: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// The MIME message for `mail` (text and HTML alternatives, UTF-8), and the id used for its
/// `Message-ID` (and its file name with the file transport).
pub fn build_message(from: &str, mail: &OutgoingMail) -> Result<(Message, String), String> {
    let from: Mailbox = from
        .trim()
        .parse()
        .map_err(|e| format!("mail.from {from:?} is not a usable address: {e}"))?;
    let to: Mailbox = mail
        .to
        .trim()
        .parse()
        .map_err(|e| format!("recipient {:?} is not a usable address: {e}", mail.to))?;
    let id = format!(
        "{}-{:016x}",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ"),
        rand::random::<u64>()
    );
    let message_id = format!("<{id}@{}>", from.email.domain());
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.as_str())
        .message_id(Some(message_id))
        .date_now()
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(readable_body(&mail.text)),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(readable_body(&mail.html)),
                ),
        )
        .map_err(|e| format!("cannot build the message: {e}"))?;
    Ok((message, id))
}

/// 7bit when the text allows it, else quoted-printable: still readable in a `.eml` file, where
/// lettre's own choice could be base64.
fn readable_body(text: &str) -> Body {
    let body = Body::new(text.to_string());
    if body.encoding() == ContentTransferEncoding::Base64 {
        Body::new_with_encoding(text.to_string(), ContentTransferEncoding::QuotedPrintable)
            .unwrap_or(body)
    } else {
        body
    }
}

/// Write `bytes` as `<dir>/<id>.eml`, through a temporary name so a reader never sees half a file.
fn write_eml(dir: &Path, id: &str, bytes: &[u8]) -> Result<(), String> {
    // mails carry live links (password resets, invitations): this user's eyes only
    crate::secrets::create_private_dir(dir)
        .map_err(|e| format!("cannot create the mail folder {}: {e}", dir.display()))?;
    let tmp = dir.join(format!(".{id}.tmp"));
    let path = dir.join(format!("{id}.eml"));
    crate::secrets::write_private(&tmp, bytes)
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> OutgoingMail {
        OutgoingMail {
            to: "Budi Santoso <budi@example.go.id>".into(),
            subject: "Verifikasi alamat e-mail Anda — Cakap".into(),
            text: "Yth. Budi,\n\nbuka https://cakap.example/verify?a=1&b=2\n".into(),
            html: "<p>Yth. Budi,</p>".into(),
        }
    }

    #[test]
    fn message_has_both_parts_and_an_encoded_subject() {
        let (message, id) = build_message("Cakap <noreply@cakap.example>", &sample()).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/plain; charset=utf-8"), "{raw}");
        assert!(raw.contains("text/html; charset=utf-8"), "{raw}");
        assert!(
            raw.contains(&format!("Message-ID: <{id}@cakap.example>")),
            "{raw}"
        );
        // non-ASCII subject is an encoded word, never raw UTF-8 in a header
        let subject = raw.lines().find(|l| l.starts_with("Subject:")).unwrap();
        assert!(subject.contains("=?utf-8?"), "{subject}");
        assert!(raw.contains("a=1&b=2"), "{raw}");
    }

    #[test]
    fn malformed_addresses_are_permanent_errors() {
        let mut mail = sample();
        mail.to = "not an address".into();
        let err = build_message("noreply@cakap.example", &mail).unwrap_err();
        assert!(err.contains("recipient"), "{err}");
        let err = build_message("nobody", &sample()).unwrap_err();
        assert!(err.contains("mail.from"), "{err}");
    }

    #[tokio::test]
    async fn file_transport_writes_an_eml_file() {
        let dir = tempfile::tempdir().unwrap();
        let transport = Transport::File(dir.path().join("mail"));
        transport
            .send("noreply@cakap.example", &sample())
            .await
            .unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path().join("mail"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(files[0].extension().unwrap(), "eml");
        let raw = std::fs::read_to_string(&files[0]).unwrap();
        assert!(
            raw.contains("To: \"Budi Santoso\" <budi@example.go.id>")
                || raw.contains("To: Budi Santoso <budi@example.go.id>"),
            "{raw}"
        );
    }
}

//! A small but real SMTP server on loopback, for tests that send mail: it speaks enough SMTP
//! (without TLS or AUTH) for lettre, keeps every message it accepts, and can refuse the first
//! messages with `451` to exercise retries.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One message the sink accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope sender (`MAIL FROM`).
    pub from: String,
    /// The envelope recipients (`RCPT TO`).
    pub to: Vec<String>,
    /// The message as transmitted, dot-stuffing removed (CRLF line ends).
    pub data: String,
}

struct Shared {
    messages: Mutex<Vec<Received>>,
    /// Messages still to refuse with 451.
    refuse: AtomicUsize,
    /// Messages refused so far.
    refused: AtomicUsize,
    /// Whether `EHLO` offers `STARTTLS` (which is then answered `454`: the sink has no TLS).
    offer_starttls: AtomicBool,
    /// Every command line received, in order.
    commands: Mutex<Vec<String>>,
    /// Connections whose first bytes were a TLS handshake record (a client speaking TLS at once).
    tls_hellos: AtomicUsize,
}

pub struct SmtpSink {
    port: u16,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    /// A sink that accepts every message.
    pub async fn start() -> SmtpSink {
        SmtpSink::start_failing(0).await
    }

    /// A sink that answers `451` at the end of `DATA` for the first `n` messages, then accepts.
    pub async fn start_failing(n: usize) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the SMTP sink");
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            messages: Mutex::new(Vec::new()),
            refuse: AtomicUsize::new(n),
            refused: AtomicUsize::new(0),
            offer_starttls: AtomicBool::new(false),
            commands: Mutex::new(Vec::new()),
            tls_hellos: AtomicUsize::new(0),
        });
        let task = tokio::spawn({
            let shared = shared.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(session(stream, shared.clone()));
                }
            }
        });
        SmtpSink { port, shared, task }
    }

    /// A sink whose `EHLO` offers `STARTTLS` (and answers it `454`: it has no TLS).
    pub async fn start_offering_starttls() -> SmtpSink {
        let sink = SmtpSink::start().await;
        sink.shared.offer_starttls.store(true, Ordering::SeqCst);
        sink
    }

    /// Every command line received so far.
    pub fn commands(&self) -> Vec<String> {
        self.shared.commands.lock().unwrap().clone()
    }

    /// Connections that opened with a TLS handshake instead of SMTP.
    pub fn tls_hellos(&self) -> usize {
        self.shared.tls_hellos.load(Ordering::SeqCst)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The messages accepted so far.
    pub fn messages(&self) -> Vec<Received> {
        self.shared.messages.lock().unwrap().clone()
    }

    /// How many messages were refused with 451.
    pub fn refused(&self) -> usize {
        self.shared.refused.load(Ordering::SeqCst)
    }

    /// Refuse the next `n` messages with 451.
    pub fn refuse_next(&self, n: usize) {
        self.shared.refuse.store(n, Ordering::SeqCst);
    }

    /// Wait until at least `count` messages were accepted; panics after `timeout`.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.messages();
            if got.len() >= count {
                return got;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!(
                    "the SMTP sink got {} of {count} messages in {timeout:?} ({} refused)",
                    got.len(),
                    self.refused()
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>) {
    let _ = converse(stream, &shared).await;
}

async fn converse(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    // a client that speaks TLS at once (implicit TLS, port 465) sends a handshake record (0x16)
    // instead of waiting for the greeting: note it and hang up, as a plain server would fail it
    if lines.fill_buf().await?.first() == Some(&0x16) {
        shared.tls_hellos.fetch_add(1, Ordering::SeqCst);
        return Ok(());
    }
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end_matches(['\r', '\n']);
        let upper = command.to_ascii_uppercase();
        shared.commands.lock().unwrap().push(command.to_string());
        let starttls = shared.offer_starttls.load(Ordering::SeqCst);
        let reply: &[u8] = if upper.starts_with("EHLO") && starttls {
            b"250-sink.test greets you\r\n250-STARTTLS\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n"
        } else if upper.starts_with("EHLO") {
            b"250-sink.test greets you\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n"
        } else if upper == "STARTTLS" && starttls {
            b"454 4.7.0 TLS not available\r\n"
        } else if upper.starts_with("HELO") {
            b"250 sink.test\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = Some(address(&command[10..]));
            to.clear();
            b"250 2.1.0 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            if from.is_none() {
                b"503 5.5.1 MAIL first\r\n"
            } else {
                to.push(address(&command[8..]));
                b"250 2.1.5 OK\r\n"
            }
        } else if upper == "DATA" {
            if from.is_none() || to.is_empty() {
                b"503 5.5.1 MAIL and RCPT first\r\n"
            } else {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let data = read_data(&mut lines).await?;
                let refuse = shared
                    .refuse
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                let received = Received {
                    from: from.take().unwrap_or_default(),
                    to: std::mem::take(&mut to),
                    data,
                };
                if refuse {
                    shared.refused.fetch_add(1, Ordering::SeqCst);
                    b"451 4.3.0 try again later\r\n"
                } else {
                    shared.messages.lock().unwrap().push(received);
                    b"250 2.0.0 queued\r\n"
                }
            }
        } else if upper == "RSET" {
            from = None;
            to.clear();
            b"250 2.0.0 OK\r\n"
        } else if upper.starts_with("NOOP") {
            b"250 2.0.0 OK\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 2.0.0 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 5.5.2 command not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}

/// `<a@b> SIZE=123` → `a@b`
fn address(arg: &str) -> String {
    let arg = arg.trim();
    match (arg.find('<'), arg.find('>')) {
        (Some(a), Some(b)) if a < b => arg[a + 1..b].to_string(),
        _ => arg.split_whitespace().next().unwrap_or("").to_string(),
    }
}

/// Read the DATA lines up to the lone `.`, removing dot-stuffing.
async fn read_data<R: AsyncBufReadExt + Unpin>(lines: &mut R) -> std::io::Result<String> {
    let mut data = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == ".\r\n" || line == ".\n" {
            return Ok(data);
        }
        let unstuffed = line.strip_prefix('.').unwrap_or(&line);
        data.push_str(unstuffed);
    }
}

// ---- reading what was received ----

impl Received {
    /// The header block, unfolded: one `(name, value)` per header, in order.
    pub fn headers(&self) -> Vec<(String, String)> {
        headers_of(&self.data)
    }

    /// The first header called `name` (any case), decoded (RFC 2047 encoded words).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers()
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| decode_words(&v))
    }

    /// The subject, decoded.
    pub fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    /// The decoded body of the first part with this content type (`text/plain`, `text/html`).
    pub fn part(&self, content_type: &str) -> Option<String> {
        find_part(&self.data, content_type)
    }

    pub fn text(&self) -> String {
        self.part("text/plain").expect("a text/plain part")
    }

    pub fn html(&self) -> String {
        self.part("text/html").expect("a text/html part")
    }

    /// The first `http(s)://` link in the text part.
    pub fn link(&self) -> Option<String> {
        first_link(&self.text())
    }
}

/// The first `http://` or `https://` link in `text`, up to whitespace or a closing bracket.
pub fn first_link(text: &str) -> Option<String> {
    let start = text
        .find("https://")
        .into_iter()
        .chain(text.find("http://"))
        .min()?;
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '<' | '>' | '"' | ')'))
        .collect();
    Some(link)
}

fn split_head(message: &str) -> (&str, &str) {
    for sep in ["\r\n\r\n", "\n\n"] {
        if let Some(i) = message.find(sep) {
            return (&message[..i], &message[i + sep.len()..]);
        }
    }
    (message, "")
}

fn headers_of(message: &str) -> Vec<(String, String)> {
    let (head, _) = split_head(message);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            out.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    out
}

fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// `multipart/alternative; boundary="abc"` → `abc`
fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Depth-first search for a part of `content_type` in an entity (headers and body).
fn find_part(entity: &str, content_type: &str) -> Option<String> {
    let headers = headers_of(entity);
    let (_, body) = split_head(entity);
    let ctype = header_value(&headers, "Content-Type").unwrap_or("text/plain");
    if ctype.to_ascii_lowercase().starts_with("multipart/") {
        let b = boundary(ctype)?;
        let delimiter = format!("--{b}");
        for part in body.split(delimiter.as_str()).skip(1) {
            if part.starts_with("--") {
                break;
            }
            let part = part.trim_start_matches(['\r', '\n']);
            if let Some(found) = find_part(part, content_type) {
                return Some(found);
            }
        }
        return None;
    }
    if !ctype
        .to_ascii_lowercase()
        .starts_with(&content_type.to_ascii_lowercase())
    {
        return None;
    }
    let encoding = header_value(&headers, "Content-Transfer-Encoding")
        .unwrap_or("7bit")
        .to_ascii_lowercase();
    let body = body.strip_suffix("\r\n").unwrap_or(body);
    let bytes = match encoding.as_str() {
        "quoted-printable" => decode_qp(body),
        "base64" => decode_base64(body),
        _ => body.as_bytes().to_vec(),
    };
    Some(
        String::from_utf8(bytes)
            .expect("a UTF-8 body")
            .replace("\r\n", "\n"),
    )
}

/// Quoted-printable: `=\r\n` is a soft break, `=XX` a byte.
pub fn decode_qp(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            if bytes[i + 1..].starts_with(b"\r\n") {
                i += 3;
                continue;
            }
            if bytes[i + 1..].starts_with(b"\n") {
                i += 2;
                continue;
            }
            if let Some(hex) = text.get(i + 1..i + 3) {
                if let Ok(b) = u8::from_str_radix(hex, 16) {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// Standard base64; whitespace ignored.
pub fn decode_base64(text: &str) -> Vec<u8> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        if c == b'=' {
            break;
        }
        let Some(v) = value(c) else { continue };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Decode RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`); whitespace between two
/// encoded words is dropped.
pub fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        let Some(word) = parse_word(&rest[start..]) else {
            out.push_str(&rest[..start + 2]);
            rest = &rest[start + 2..];
            after_word = false;
            continue;
        };
        if !(after_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        out.push_str(&word.0);
        rest = &rest[start + word.1..];
        after_word = true;
    }
    out.push_str(rest);
    out
}

/// One encoded word at the start of `s`: its text and its length.
fn parse_word(s: &str) -> Option<(String, usize)> {
    let inner = s.strip_prefix("=?")?;
    let (_charset, inner) = inner.split_once('?')?;
    let (encoding, inner) = inner.split_once('?')?;
    let end = inner.find("?=")?;
    let payload = &inner[..end];
    let bytes = match encoding {
        "b" | "B" => decode_base64(payload),
        "q" | "Q" => decode_qp(&payload.replace('_', " ")),
        _ => return None,
    };
    let consumed = s.len() - inner.len() + end + 2;
    Some((String::from_utf8_lossy(&bytes).into_owned(), consumed))
}

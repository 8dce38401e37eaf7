//! Request bodies read by hand (multipart forms, raw uploads) stay within limits while they are
//! read: a declared `Content-Length` over the limit is refused before a byte is read, and a body
//! that grows past it (chunked, or lying about its length) is refused at the chunk that crosses it.
//! Urlencoded and JSON bodies are limited by `FormConfig` / `JsonConfig` (256 KB by default).

use actix_web::http::header;
use actix_web::HttpRequest;

use crate::error::AppError;

/// Fields a multipart form may have; ours have at most a dozen.
pub const MAX_FIELDS: usize = 32;

/// Room for the text fields and the multipart framing beside a form's file.
pub const FORM_SLACK: u64 = 64 * 1024;

/// Counts what a body has brought so far against its limits.
#[derive(Debug)]
pub struct BodyLimit {
    max_bytes: u64,
    seen: u64,
    fields: usize,
}

impl BodyLimit {
    /// A body of at most `max_bytes`; refused at once when its declared length is larger.
    pub fn new(req: &HttpRequest, max_bytes: u64) -> Result<BodyLimit, AppError> {
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > max_bytes) {
            return Err(AppError::TooLarge(max_bytes));
        }
        Ok(BodyLimit {
            max_bytes,
            seen: 0,
            fields: 0,
        })
    }

    /// Count one more part of a multipart form.
    pub fn field(&mut self) -> Result<(), AppError> {
        self.fields += 1;
        if self.fields > MAX_FIELDS {
            return Err(AppError::BadRequest(format!(
                "the form has more than {MAX_FIELDS} fields; send only the form's own fields"
            )));
        }
        Ok(())
    }

    /// Count `n` more bytes of the body.
    pub fn bytes(&mut self, n: usize) -> Result<(), AppError> {
        self.seen += n as u64;
        if self.seen > self.max_bytes {
            return Err(AppError::TooLarge(self.max_bytes));
        }
        Ok(())
    }
}

//! Compiler-style diagnostics for course folders: `path:line: what is wrong; what to do`.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    /// Reported, but the course still loads (a prerequisite not found next to it, say).
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The file as the author named it (`courses/x/03-kuis.md`).
    pub path: String,
    /// 1-based line; 0 when the problem is the file or folder as a whole.
    pub line: usize,
    /// What is wrong; what to do (English: the command line's and the API's words).
    pub message: String,
    /// The same in Indonesian, where it has been written (the author pages show it in the
    /// Indonesian UI; otherwise they show `message`).
    pub message_id: Option<String>,
}

impl Diagnostic {
    /// The message in `lang` (English when no Indonesian has been written for it).
    pub fn text(&self, lang: crate::i18n::Lang) -> &str {
        match (lang, &self.message_id) {
            (crate::i18n::Lang::Id, Some(id)) => id,
            _ => &self.message,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        if self.line > 0 {
            write!(f, "{}:{}: {tag}{}", self.path, self.line, self.message)
        } else {
            write!(f, "{}: {tag}{}", self.path, self.message)
        }
    }
}

/// The diagnostics of one file, with a fixed path.
#[derive(Debug)]
pub struct Sink<'a> {
    pub path: &'a str,
    pub out: &'a mut Vec<Diagnostic>,
}

impl Sink<'_> {
    fn push(&mut self, severity: Severity, line: usize, message: String, id: Option<String>) {
        self.out.push(Diagnostic {
            severity,
            path: self.path.to_string(),
            line,
            message,
            message_id: id,
        });
    }

    pub fn error(&mut self, line: usize, message: impl Into<String>) {
        self.push(Severity::Error, line, message.into(), None);
    }

    /// An error said in English and in Indonesian.
    pub fn error_in(&mut self, line: usize, en: impl Into<String>, id: impl Into<String>) {
        self.push(Severity::Error, line, en.into(), Some(id.into()));
    }

    pub fn warning(&mut self, line: usize, message: impl Into<String>) {
        self.push(Severity::Warning, line, message.into(), None);
    }

    /// A warning said in English and in Indonesian.
    pub fn warning_in(&mut self, line: usize, en: impl Into<String>, id: impl Into<String>) {
        self.push(Severity::Warning, line, en.into(), Some(id.into()));
    }
}

pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}

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
    /// What is wrong; what to do.
    pub message: String,
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
    pub fn error(&mut self, line: usize, message: impl Into<String>) {
        self.out.push(Diagnostic {
            severity: Severity::Error,
            path: self.path.to_string(),
            line,
            message: message.into(),
        });
    }

    pub fn warning(&mut self, line: usize, message: impl Into<String>) {
        self.out.push(Diagnostic {
            severity: Severity::Warning,
            path: self.path.to_string(),
            line,
            message: message.into(),
        });
    }
}

pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}

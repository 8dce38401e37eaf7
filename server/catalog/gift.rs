//! Moodle GIFT → course-format quiz module (`cakap courses import-gift`).
//!
//! [`convert`] reads a GIFT file the way Moodle's own importer (`qformat_gift`) does and writes
//! one quiz module: TOML front matter (`title`, `kind = "quiz"`) and one `## ` question per GIFT
//! question. Every question either converts (possibly with a [`Note`] in `warnings` saying what
//! changed, e.g. how partial credit now grades) or lands in `refused` with its line and the reason;
//! none is dropped silently. Each converted question is parsed again with the course format's
//! own quiz parser ([`super::quiz::parse`]) before it is kept, so the output always loads.
//!
//! Reading, as Moodle does:
//! - questions are separated by blank lines; lines are trimmed; lines starting with `//` are
//!   comments; a BOM and CRLF/CR line ends are accepted;
//! - `\~ \= \# \{ \} \:` are literal characters, `\\` is a backslash and `\n` a line break;
//! - `$CATEGORY: path` blocks switch category; `::Name::` names a question;
//! - `[html]`, `[moodle]` (the default), `[plain]` and `[markdown]` set the text format;
//! - the answer block is the text between the first `{` and the first `}`; text after it makes
//!   a missing-word question (the blank is shown as `____`); `####` starts general feedback.
//!
//! Writing:
//! - the prompt's first line goes into the `## ` heading when it is a paragraph of its own; a
//!   longer first paragraph stays below an empty `##` heading (the quiz parser allows it), so
//!   the text renders exactly as written;
//! - `[markdown]` passes through; `[html]` is kept as HTML (the publisher sanitizes it); `[plain]`
//!   escapes every Markdown-special character, `[moodle]` the same except that inline HTML tags
//!   keep working (as they do in Moodle's auto-format); line breaks in plain and moodle text stay
//!   line breaks;
//! - question names, and categories when a file has several, have no place in the course format:
//!   they are kept as an HTML comment below the heading (`<!-- GIFT ::Name:: · category: … -->`),
//!   which learners never see (the renderer drops comments), and in [`Conversion::questions`].

use std::fmt;
use std::io::Write;
use std::path::Path;

use super::diag::{has_errors, Sink};
use super::quiz::{self, QuestionKind};

/// What one GIFT file became.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    /// The quiz module's title (as written into the front matter).
    pub title: String,
    /// The whole quiz module file: front matter, then the converted questions.
    pub markdown: String,
    /// How many questions converted (`questions.len()`).
    pub converted: usize,
    /// One entry per converted question, in file order: where it came from and what it became.
    pub questions: Vec<Converted>,
    /// Questions that converted but grade or read differently, and notes about the file.
    pub warnings: Vec<Note>,
    /// Questions that could not convert, each with why and what to do.
    pub refused: Vec<Note>,
}

/// A converted question: its GIFT line, Moodle name and category, and its type here.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    pub line: usize,
    pub name: Option<String>,
    pub category: Option<String>,
    pub kind: QuestionKind,
}

/// A message about a line of the GIFT file (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Text formats of GIFT (`[html]` …); Moodle's default is `moodle` (auto-format).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Moodle,
    Html,
    Plain,
    Markdown,
}

// Escaped GIFT characters become Unicode noncharacters (reserved for internal use) while the
// structure is read, as Moodle does with its `&&058;` placeholders.
const ESC_COLON: char = '\u{FDD0}';
const ESC_HASH: char = '\u{FDD1}';
const ESC_EQUALS: char = '\u{FDD2}';
const ESC_OPEN: char = '\u{FDD3}';
const ESC_CLOSE: char = '\u{FDD4}';
const ESC_TILDE: char = '\u{FDD5}';
const ESC_NEWLINE: char = '\u{FDD6}';
/// Where the answer block of a missing-word question was.
const BLANK: char = '\u{FDD7}';

/// How the blank of a missing-word question is shown.
const BLANK_TEXT: &str = "____";

/// Convert GIFT `text` into a quiz module.
///
/// The title is `title` when given (and not blank); else the category when the file has exactly
/// one `$CATEGORY:` (its last path segment); else `fallback_title` (the CLI passes the file name).
pub fn convert(text: &str, title: Option<&str>, fallback_title: &str) -> Conversion {
    let text = without_noncharacters(&super::frontmatter::normalize(text));
    let blocks = split_blocks(&text);
    let mut warnings = Vec::new();
    let mut refused = Vec::new();
    // first pass: categories, so that the title and the per-question notes are known
    let categories = categories_of(&blocks, &mut warnings);
    let title = quiz_title(title, &categories, fallback_title);

    let mut body = String::new();
    let mut questions = Vec::new();
    let mut category: Option<String> = None;
    for block in &blocks {
        let mut lines: &[(usize, String)] = &block.lines;
        if let Some(c) = category_of(block) {
            category = Some(c);
            if lines.len() > 1 {
                warnings.push(Note {
                    line: lines[1].0,
                    message: "this question follows a `$CATEGORY:` line without a blank line between them; Moodle would read it as part of the category name, here it is read as a question; add a blank line after the category line".into(),
                });
            }
            lines = &lines[1..];
            if lines.is_empty() {
                continue;
            }
        }
        let line = lines[0].0;
        let shown_category = if categories.len() > 1 {
            category.as_deref().map(display_category)
        } else {
            None
        };
        match convert_question(lines, shown_category.as_deref()) {
            Ok(q) => {
                warnings.extend(q.warnings.into_iter().map(|message| Note { line, message }));
                if !body.is_empty() {
                    body.push('\n');
                }
                body.push_str(&q.markdown);
                questions.push(Converted {
                    line,
                    name: q.name,
                    category: category.as_deref().map(display_category),
                    kind: q.kind,
                });
            }
            Err(message) => refused.push(Note { line, message }),
        }
    }

    let markdown = format!(
        "+++\n# Converted from Moodle GIFT by `cakap courses import-gift`.\ntitle = {}\nkind = \"quiz\"\n+++\n\n{body}",
        toml::Value::String(title.clone())
    );
    Conversion {
        title,
        markdown,
        converted: questions.len(),
        questions,
        warnings,
        refused,
    }
}

/// `text` with the noncharacters U+FDD0–U+FDD7 replaced: they have no business in a GIFT file,
/// and are kept from posing as placeholders.
fn without_noncharacters(text: &str) -> String {
    text.chars()
        .map(|c| {
            if ('\u{FDD0}'..='\u{FDD7}').contains(&c) {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// The file's categories as (line, name), in order of first use; more than one is noted.
fn categories_of(blocks: &[Block], warnings: &mut Vec<Note>) -> Vec<(usize, String)> {
    let mut categories: Vec<(usize, String)> = Vec::new();
    for b in blocks {
        if let Some(c) = category_of(b) {
            if !categories.iter().any(|(_, seen)| *seen == c) {
                categories.push((b.lines[0].0, c));
            }
        }
    }
    if categories.len() > 1 {
        let names: Vec<String> = categories
            .iter()
            .map(|(_, c)| format!("`{}`", display_category(c)))
            .collect();
        warnings.push(Note {
            line: categories[1].0,
            message: format!(
                "the file holds {} categories ({}); all their questions go into this one quiz module, each with its category noted in an HTML comment under its heading; to make one quiz per category, split the GIFT file by category and import each part",
                categories.len(),
                names.join(", ")
            ),
        });
    }
    categories
}

/// The quiz's title: the one given, else the file's only category, else `fallback_title`,
/// else "Kuis".
fn quiz_title(title: Option<&str>, categories: &[(usize, String)], fallback_title: &str) -> String {
    let title = match title.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => t.to_string(),
        None => match categories {
            [(_, c)] if !display_category(c).is_empty() => display_category(c),
            _ => fallback_title.trim().to_string(),
        },
    };
    if title.is_empty() {
        "Kuis".to_string()
    } else {
        title
    }
}

/// A run of non-blank lines (comments dropped), each with its 1-based line number.
#[derive(Debug)]
struct Block {
    lines: Vec<(usize, String)>,
}

fn split_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            if !current.is_empty() {
                blocks.push(Block {
                    lines: std::mem::take(&mut current),
                });
            }
        } else if !line.starts_with("//") {
            current.push((i + 1, escape_gift(line)));
        }
        // a comment line neither ends a question nor belongs to it (as in Moodle)
    }
    if !current.is_empty() {
        blocks.push(Block { lines: current });
    }
    blocks
}

/// `\:` `\#` `\=` `\{` `\}` `\~` `\n` → placeholders; `\\` → a backslash.
fn escape_gift(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let mapped = match chars.peek() {
            Some('\\') => Some('\\'),
            Some(':') => Some(ESC_COLON),
            Some('#') => Some(ESC_HASH),
            Some('=') => Some(ESC_EQUALS),
            Some('{') => Some(ESC_OPEN),
            Some('}') => Some(ESC_CLOSE),
            Some('~') => Some(ESC_TILDE),
            Some('n') => Some(ESC_NEWLINE),
            _ => None,
        };
        match mapped {
            Some(m) => {
                chars.next();
                out.push(m);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Placeholders back to the characters they stand for (the blank stays).
fn unescape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ESC_COLON => ':',
            ESC_HASH => '#',
            ESC_EQUALS => '=',
            ESC_OPEN => '{',
            ESC_CLOSE => '}',
            ESC_TILDE => '~',
            ESC_NEWLINE => '\n',
            c => c,
        })
        .collect()
}

/// The category a `$CATEGORY:` block switches to.
fn category_of(block: &Block) -> Option<String> {
    let first = &block.lines.first()?.1;
    first
        .strip_prefix("$CATEGORY:")
        .map(|c| unescape(c).trim().to_string())
}

/// `$course$/top/Default for X/Sub` → `Sub`: the last segment that is not a Moodle context
/// (`$course$`, `$system$` …) or `top`. `//` is an escaped `/` in Moodle category paths.
fn display_category(path: &str) -> String {
    let path = path.replace("//", "\u{FDD7}");
    path.split('/')
        .map(|s| s.replace('\u{FDD7}', "/").trim().to_string())
        .rfind(|s| {
            !s.is_empty() && s != "top" && !(s.len() >= 2 && s.starts_with('$') && s.ends_with('$'))
        })
        .unwrap_or_default()
}

/// One converted question.
struct QuestionMd {
    markdown: String,
    kind: QuestionKind,
    name: Option<String>,
    warnings: Vec<String>,
}

/// An option of a choice question, before it is written.
struct Choice {
    text: String,
    weight: f64,
    feedback: String,
}

enum Answer {
    /// Options: (text, right, feedback), all Markdown already.
    Choices(Vec<(String, bool, String)>),
    /// `= …` line content.
    Equals(String),
}

fn convert_question(
    lines: &[(usize, String)],
    category: Option<&str>,
) -> Result<QuestionMd, String> {
    let joined: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
    let mut text = joined.join("\n").trim().to_string();
    let mut warnings = Vec::new();
    let name = take_name(&mut text);
    let (start, end) = answer_block(&text)?;
    let before = &text[..start];
    let after = &text[end + 1..];
    let mut answer = text[start + 1..end].trim().to_string();

    // the prompt: a blank where the answers were, unless they close the question
    let question_text = if after.trim().is_empty() {
        before.to_string()
    } else {
        format!("{before}{BLANK}{after}")
    };

    // general feedback
    let mut general = String::new();
    if let Some(at) = answer.rfind("####") {
        general = answer[at + 4..].to_string();
        answer = answer[..at].trim().to_string();
    }

    let (format, question_text) = with_format(question_text.trim(), Format::Moodle);
    let question_text = question_text.trim();
    if question_text.replace(BLANK, "").trim().is_empty() {
        return Err(
            "the question has no text, only answers; write the question before the `{`".into(),
        );
    }
    let (general_format, general) = with_format(general.trim(), format);
    let mut general_md = text_md(general.trim(), general_format, false);
    let (answer_part, kind_wanted) = answer_of(&answer, format, &mut general_md, &mut warnings)?;

    let mut prompt = text_md(question_text, format, false);
    let heading = take_heading(&mut prompt);
    let md = question_markdown(
        &heading,
        &gift_note(name.as_deref(), category),
        &prompt,
        &answer_part,
        &general_md,
    );
    let kind = kind_as_parsed(&md)?;
    if kind_wanted == QuestionKind::ShortAnswer && kind == QuestionKind::Numeric {
        warnings.push("the answer reads as a number, so this is a numeric question here (it also accepts the same number written differently, such as `4.0` for `4`)".into());
    }
    Ok(QuestionMd {
        markdown: md,
        kind,
        name,
        warnings,
    })
}

/// Takes a leading `::Name::` off `text`; returns the name, white space squashed, if not empty.
fn take_name(text: &mut String) -> Option<String> {
    let mut name = None;
    if let Some(rest) = text.strip_prefix("::") {
        match rest.find("::") {
            Some(end) => {
                let n = unescape(&rest[..end])
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                name = (!n.is_empty()).then_some(n);
                *text = rest[end + 2..].trim().to_string();
            }
            None => *text = rest.to_string(),
        }
    }
    name
}

/// Where the one `{…}` answer block is: the offsets of its braces.
fn answer_block(text: &str) -> Result<(usize, usize), String> {
    let open = text.find('{');
    let close = text.find('}');
    let (start, end) = match (open, close) {
        (None, None) => {
            return Err("a description (text with no `{…}` answer block), which the course format has no place for in a quiz; put the text in a lesson module or in the quiz's introduction (above the first `## ` question)".into());
        }
        (Some(_), None) => {
            return Err("the `{` of the answer block is never closed; add the closing `}` (or write `\\{` for a literal brace)".into());
        }
        (None, Some(_)) => {
            return Err("a `}` with no opening `{`; add the `{` where the answers start (or write `\\}` for a literal brace)".into());
        }
        (Some(s), Some(e)) if e < s => {
            return Err(
                "a `}` before the answer block's `{`; write `\\}` for a literal brace".into(),
            );
        }
        (Some(s), Some(e)) => (s, e),
    };
    if text[end + 1..].contains(['{', '}']) {
        return Err("more than one `{…}` answer block; the course format has one answer part per question, so split it into several questions (or write `\\{` `\\}` for literal braces)".into());
    }
    Ok((start, end))
}

/// The answers and the kind of question they make, decided as Moodle decides it.
fn answer_of(
    answer: &str,
    format: Format,
    general_md: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<(Answer, QuestionKind), String> {
    let tf_check = match answer.find('#') {
        Some(i) if i > 0 => answer[..i].trim(),
        _ => answer,
    };
    Ok(if answer.is_empty() {
        return Err("an essay question (`{}`), which needs a person to grade it; quizzes here are graded automatically, so turn it into an assignment outside the quiz or rewrite it as a short-answer question".into());
    } else if let Some(numeric) = answer.strip_prefix('#') {
        numeric_answer(numeric, format, general_md, warnings)?
    } else if answer.contains('~') {
        choice_answer(answer, format, warnings)?
    } else if answer.contains('=') && answer.contains("->") {
        return Err("a matching question (`=item -> match`), which the course format does not have; rewrite each pair as its own single-choice question".into());
    } else if ["T", "TRUE", "F", "FALSE"].contains(&tf_check) {
        true_false_answer(answer, format)
    } else {
        if ["t", "true", "f", "false", "True", "False"].contains(&tf_check) {
            warnings.push(format!("Moodle reads `{{{tf_check}}}` as a short-answer question whose answer is the word `{tf_check}` (true/false needs `{{T}}`, `{{TRUE}}`, `{{F}}` or `{{FALSE}}` in capitals); converted the same way"));
        }
        short_answer(answer, format, general_md, warnings)?
    })
}

/// The HTML comment kept under the heading: the question's GIFT name and category, if any.
fn gift_note(name: Option<&str>, category: Option<&str>) -> String {
    let mut note = Vec::new();
    if let Some(n) = name {
        note.push(format!("::{n}::"));
    }
    if let Some(c) = category {
        note.push(format!("category: {c}"));
    }
    if note.is_empty() {
        String::new()
    } else {
        format!("\n<!-- GIFT {} -->\n", comment_safe(&note.join(" · ")))
    }
}

/// The question in the course format: heading, note, prompt, answers, general feedback.
fn question_markdown(
    heading: &str,
    note: &str,
    prompt: &[String],
    answer_part: &Answer,
    general_md: &[String],
) -> String {
    let mut md = String::new();
    if heading.is_empty() {
        md.push_str("##\n");
    } else {
        md.push_str("## ");
        md.push_str(heading);
        md.push('\n');
    }
    md.push_str(note);
    if !prompt.is_empty() {
        md.push('\n');
        for l in prompt {
            md.push_str(l);
            md.push('\n');
        }
    }
    md.push('\n');
    match answer_part {
        Answer::Choices(options) => {
            for (text, right, feedback) in options {
                md.push_str(if *right { "- [x] " } else { "- [ ] " });
                md.push_str(text);
                if !feedback.is_empty() {
                    md.push_str(" -- ");
                    md.push_str(feedback);
                }
                md.push('\n');
            }
        }
        Answer::Equals(line) => {
            md.push_str("= ");
            md.push_str(line);
            md.push('\n');
        }
    }
    if !general_md.is_empty() {
        md.push('\n');
        for l in general_md {
            if l.is_empty() {
                md.push_str(">\n");
            } else {
                md.push_str("> ");
                md.push_str(l);
                md.push('\n');
            }
        }
    }
    md
}

/// The kind of the converted question as the course format's own parser reads it: it has the
/// last word, and refuses a conversion that does not read as one question.
fn kind_as_parsed(md: &str) -> Result<QuestionKind, String> {
    let mut diags = Vec::new();
    let parsed = quiz::parse(
        md,
        1,
        &mut Sink {
            path: "",
            out: &mut diags,
        },
    );
    if has_errors(&diags) || parsed.questions.len() != 1 {
        let why: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
        return Err(format!(
            "converted, the question does not fit the course format ({}); fix it in the GIFT file or write it by hand in the quiz module",
            if why.is_empty() { "it does not read as one question".to_string() } else { why.join("; ") }
        ));
    }
    Ok(parsed.questions[0].kind)
}

/// `[html]text` → (Html, "text"); an unknown or missing `[…]` leaves the text and `default`.
fn with_format(text: &str, default: Format) -> (Format, &str) {
    if let Some(rest) = text.strip_prefix('[') {
        if let Some(end) = rest.find(']') {
            let format = match &rest[..end] {
                "html" => Some(Format::Html),
                "moodle" => Some(Format::Moodle),
                "plain" => Some(Format::Plain),
                "markdown" => Some(Format::Markdown),
                _ => None,
            };
            if let Some(f) = format {
                return (f, &rest[end + 1..]);
            }
        }
    }
    (default, text)
}

/// Moodle's editor wraps every HTML text in one `<p>…</p>`; inside a heading or an option line
/// that wrapper only adds a paragraph where there should be none, so a single one is taken off.
fn unwrap_paragraph(html: &str) -> &str {
    let lower = html.to_ascii_lowercase();
    if lower.starts_with("<p>") && lower.ends_with("</p>") && lower.matches("<p").count() == 1 {
        html[3..html.len() - 4].trim()
    } else {
        html
    }
}

/// GIFT text (with placeholders) → Markdown lines; empty strings separate paragraphs. With
/// `inline`, everything is one line (for options and their feedback).
fn text_md(text: &str, format: Format, inline: bool) -> Vec<String> {
    let text = unescape(text);
    let raw: Vec<&str> = text.split('\n').map(str::trim_end).collect();
    let mut lines: Vec<String> = match format {
        Format::Html => {
            if inline || !text.to_ascii_lowercase().contains("<pre") {
                let joined = raw
                    .iter()
                    .map(|l| l.trim())
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                vec![unwrap_paragraph(&joined).to_string()]
            } else {
                raw.iter().map(|l| l.to_string()).collect()
            }
        }
        Format::Markdown => raw.iter().map(|l| l.to_string()).collect(),
        Format::Plain | Format::Moodle => {
            let escaped: Vec<String> = raw
                .iter()
                .map(|l| escape_markdown(l.trim(), format == Format::Moodle))
                .collect();
            if inline {
                escaped
            } else {
                // line breaks stay line breaks (Moodle shows them so); the first one becomes a
                // paragraph break, so that the first line can be the heading
                let mut out: Vec<String> = Vec::new();
                for (i, l) in escaped.iter().enumerate() {
                    let next_is_text = escaped.get(i + 1).is_some_and(|n| !n.is_empty());
                    if i == 0 && next_is_text {
                        out.push(l.clone());
                        out.push(String::new());
                    } else if !l.is_empty() && next_is_text {
                        out.push(format!("{l}\\"));
                    } else {
                        out.push(l.clone());
                    }
                }
                out
            }
        }
    };
    if inline {
        let one = lines
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        return vec![one.replace(BLANK, BLANK_TEXT)];
    }
    // the blank; alone on a line `____` would be a thematic break
    for l in &mut lines {
        if l.trim() == BLANK.to_string() {
            *l = "\\_\\_\\_\\_".into();
        } else {
            *l = l.replace(BLANK, BLANK_TEXT);
        }
    }
    // no leading, trailing or doubled blank lines
    let mut out: Vec<String> = Vec::new();
    for l in lines {
        if l.trim().is_empty() {
            if out.last().is_some_and(|p| !p.is_empty()) {
                out.push(String::new());
            }
        } else {
            out.push(l);
        }
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    protect_lines(out, format == Format::Markdown)
}

/// Keep lines of the prompt or feedback from reading as answers (`- [x]`, `= …`) or as the next
/// question (`## `) in the quiz parser; close a code fence left open (Markdown only; other formats
/// never open one).
fn protect_lines(lines: Vec<String>, markdown: bool) -> Vec<String> {
    let mut out = Vec::with_capacity(lines.len() + 1);
    let mut fence: Option<(char, usize)> = None;
    for l in lines {
        let s = l.trim_start();
        let indent = l.len() - s.len();
        let run = |c: char| s.chars().take_while(|x| *x == c).count();
        let first = s.chars().next();
        if let Some((c, n)) = fence {
            if first == Some(c) && run(c) >= n && s.trim_end().chars().all(|y| y == c) {
                fence = None;
            }
            out.push(l);
            continue;
        }
        if let Some(c @ ('`' | '~')) = first {
            if run(c) >= 3 {
                if markdown {
                    fence = Some((c, run(c)));
                    out.push(l);
                } else {
                    out.push(entity_first(&l, indent));
                }
                continue;
            }
        }
        if indent <= 3 && is_answer_like(s) {
            out.push(entity_first(&l, indent));
        } else {
            out.push(l);
        }
    }
    if let Some((c, n)) = fence {
        out.push(c.to_string().repeat(n));
    }
    out
}

/// Would the quiz parser read this (unindented) line as a task item, `= …` or `## `?
fn is_answer_like(s: &str) -> bool {
    if let Some(rest) = s.strip_prefix(['-', '*', '+']) {
        if let Some(rest) = rest.strip_prefix(' ') {
            let r = rest.trim_start();
            for mark in ["[ ]", "[x]", "[X]"] {
                if let Some(t) = r.strip_prefix(mark) {
                    if t.is_empty() || t.starts_with([' ', '\t']) {
                        return true;
                    }
                }
            }
        }
    }
    if let Some(rest) = s.strip_prefix('=') {
        if rest.is_empty() || rest.starts_with([' ', '\t']) {
            return true;
        }
    }
    if let Some(rest) = s.strip_prefix("##") {
        if rest.is_empty() || rest.starts_with([' ', '\t']) {
            return true;
        }
    }
    false
}

/// Replace the first non-space character with its numeric character reference (which renders as
/// the character in Markdown and in HTML alike).
fn entity_first(line: &str, indent: usize) -> String {
    let (head, rest) = line.split_at(indent);
    let mut chars = rest.chars();
    match chars.next() {
        Some(c) => format!("{head}&#{};{}", c as u32, chars.as_str()),
        None => line.to_string(),
    }
}

/// Escape Markdown so that text shows literally. With `keep_html`, `<tag>`s and `&entities;`
/// still work (Moodle's auto-format allows them).
fn escape_markdown(line: &str, keep_html: bool) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let escape = match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '~' => true,
            '<' | '&' => !keep_html,
            '>' => !keep_html || i == 0,
            '-' | '+' | '=' => i == 0,
            '.' | ')' => i > 0 && chars[..i].iter().all(|d| d.is_ascii_digit()),
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The first paragraph, when it is one line (and not a code fence), becomes the heading.
fn take_heading(prompt: &mut Vec<String>) -> String {
    let single = match prompt.as_slice() {
        [first, rest @ ..] => {
            (rest.is_empty() || rest[0].is_empty())
                && !first.trim_start().starts_with("```")
                && !first.trim_start().starts_with("~~~")
        }
        [] => false,
    };
    if !single {
        return String::new();
    }
    let mut heading = prompt.remove(0);
    if prompt.first().is_some_and(String::is_empty) {
        prompt.remove(0);
    }
    // a closing `#` sequence after a space would be dropped from the heading
    let trimmed = heading.trim_end().to_string();
    let stripped = trimmed.trim_end_matches('#');
    if stripped.len() < trimmed.len() && (stripped.is_empty() || stripped.ends_with([' ', '\t'])) {
        heading = format!("{}&#35;", &trimmed[..trimmed.len() - 1]);
    }
    heading.trim().to_string()
}

/// An HTML comment may not contain `--`.
fn comment_safe(s: &str) -> String {
    let mut s = s.replace('\n', " ");
    while s.contains("--") {
        s = s.replace("--", "- -");
    }
    s
}

/// Option text must not carry ` -- ` (the option-feedback separator).
fn option_safe(s: &str) -> String {
    s.replace(" --", " -&#45;")
}

/// `%50%rest` → (0.5, "rest"), as Moodle's `/^%\-*([0-9]{1,2})\.?([0-9]*)%/`.
fn weight(s: &str) -> Option<(f64, &str)> {
    let rest = s.strip_prefix('%')?;
    let end = rest.find('%')?;
    let inner = &rest[..end];
    let digits = inner.strip_prefix('-').unwrap_or(inner);
    let first_digit = digits.chars().next()?.is_ascii_digit();
    let ok = first_digit
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1;
    if !ok {
        return None;
    }
    let w: f64 = inner.parse().ok()?;
    Some((w / 100.0, &rest[end + 1..]))
}

fn percent(w: f64) -> String {
    let p = w * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{}%", p.round() as i64)
    } else {
        format!("{p:.2}%")
    }
}

/// `text#feedback` → (text, feedback), each with its own `[format]` if any.
fn split_feedback(answer: &str, format: Format) -> (Format, String, Format, String) {
    let (text, feedback) = match answer.split_once('#') {
        Some((t, f)) => (t.trim(), f.trim()),
        None => (answer.trim(), ""),
    };
    let (tf, text) = with_format(text, format);
    let (ff, feedback) = with_format(feedback, format);
    (tf, text.trim().to_string(), ff, feedback.trim().to_string())
}

fn inline(text: &str, format: Format) -> String {
    text_md(text, format, true).join(" ")
}

/// Multiple choice (`~wrong =right ~%50%partial`).
fn choice_answer(
    answer: &str,
    format: Format,
    warnings: &mut Vec<String>,
) -> Result<(Answer, QuestionKind), String> {
    // Moodle: radio buttons when any `=` is present, checkboxes otherwise
    let single = answer.contains('=');
    let pieces = choice_pieces(answer)?;
    let choices = read_choices(&pieces, format)?;
    let right = right_choices(&choices, single, warnings)?;
    let negative: Vec<&str> = choices
        .iter()
        .filter(|c| c.weight < -1e-9)
        .map(|c| c.text.as_str())
        .collect();
    if !negative.is_empty() {
        warnings.push(format!(
            "negative weights (penalties) on {} are not kept; a wrong choice now just earns nothing",
            negative
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let kind = if right.len() > 1 {
        QuestionKind::Multiple
    } else {
        QuestionKind::Single
    };
    let options = choices
        .into_iter()
        .enumerate()
        .map(|(i, c)| (c.text, right.contains(&i), c.feedback))
        .collect();
    Ok((Answer::Choices(options), kind))
}

/// The options as written, split at each `~` and `=` (kept at the start of its option); fewer
/// than two are refused.
fn choice_pieces(answer: &str) -> Result<Vec<String>, String> {
    let mut pieces: Vec<String> = vec![String::new()];
    for c in answer.chars() {
        match c {
            '~' => pieces.push(String::new()),
            '=' => pieces.push("=".into()),
            c => {
                if let Some(last) = pieces.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    if pieces[0].trim().is_empty() {
        pieces.remove(0);
    }
    if pieces.len() < 2 {
        return Err(
            "a multiple-choice question needs at least two options; add another `~option`".into(),
        );
    }
    Ok(pieces)
}

/// Each option's text, weight (`=` is full credit, `%50%` a weight) and feedback.
fn read_choices(pieces: &[String], format: Format) -> Result<Vec<Choice>, String> {
    let mut choices = Vec::new();
    for p in pieces {
        let p = p.trim();
        let (w, rest) = if let Some(r) = p.strip_prefix('=') {
            // `=%50%x`: Moodle would show `%50%` as text; the weight is clearly meant
            match weight(r.trim_start()) {
                Some((w, rest)) => (w, rest),
                None => (1.0, r),
            }
        } else {
            weight(p).unwrap_or((0.0, p))
        };
        let (tf, text, ff, feedback) = split_feedback(rest, format);
        if text.is_empty() {
            return Err("an option has no text (an empty `~` or `=`); write the option or remove the stray sign (write `\\~`, `\\=` for literal ones)".into());
        }
        choices.push(Choice {
            text: option_safe(&inline(&text, tf)),
            weight: w,
            feedback: inline(&feedback, ff),
        });
    }
    Ok(choices)
}

/// The options that are right here (all-or-nothing): for a single-choice question those of
/// full credit, else those of any credit; the weights that are not kept are noted.
fn right_choices(
    choices: &[Choice],
    single: bool,
    warnings: &mut Vec<String>,
) -> Result<Vec<usize>, String> {
    let full: Vec<usize> = (0..choices.len())
        .filter(|&i| choices[i].weight >= 1.0 - 1e-9)
        .collect();
    let positive: Vec<usize> = (0..choices.len())
        .filter(|&i| choices[i].weight > 1e-9)
        .collect();
    let names = |ix: &[usize]| {
        ix.iter()
            .map(|&i| format!("`{}`", choices[i].text))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Ok(if single {
        if full.is_empty() {
            return Err("no option earns full credit; mark the right option with `=` (or weight it `%100%`)".into());
        }
        let partial: Vec<usize> = positive
            .iter()
            .copied()
            .filter(|i| !full.contains(i))
            .collect();
        if !partial.is_empty() {
            let weighted: Vec<String> = partial
                .iter()
                .map(|&i| format!("`{}` ({})", choices[i].text, percent(choices[i].weight)))
                .collect();
            warnings.push(format!(
                "partial credit is not kept: {} now count as wrong, and only {} is right",
                weighted.join(", "),
                names(&full)
            ));
        }
        if full.len() > 1 {
            warnings.push(format!(
                "in Moodle any one of {} earned full credit; here it is a multiple-answer question graded all-or-nothing: the learner must tick all of them and nothing else",
                names(&full)
            ));
        }
        full
    } else {
        if positive.is_empty() {
            return Err("no option earns credit; mark the right option with `=` or give the right options positive weights such as `~%50%`".into());
        }
        let partial = positive.len() > 1 || positive.iter().any(|&i| !full.contains(&i));
        if partial {
            let weighted: Vec<String> = positive
                .iter()
                .map(|&i| format!("`{}` ({})", choices[i].text, percent(choices[i].weight)))
                .collect();
            warnings.push(if positive.len() > 1 {
                format!(
                    "partial credit per option ({}) is not kept: this is now a multiple-answer question graded all-or-nothing; the learner must tick exactly {}",
                    weighted.join(", "),
                    names(&positive)
                )
            } else {
                format!(
                    "{} earned partial credit only; it is now the right answer and earns full credit",
                    weighted.join(", ")
                )
            });
        }
        positive
    })
}

/// `{T}`, `{FALSE#wrong feedback#right feedback}`.
fn true_false_answer(answer: &str, format: Format) -> (Answer, QuestionKind) {
    let mut bits = answer.splitn(3, '#');
    let value = bits.next().unwrap_or("").trim();
    let wrong_fb = bits.next().map(|f| {
        let (ff, f) = with_format(f.trim(), format);
        inline(f.trim(), ff)
    });
    let right_fb = bits.next().map(|f| {
        let (ff, f) = with_format(f.trim(), format);
        inline(f.trim(), ff)
    });
    let is_true = value == "T" || value == "TRUE";
    let (true_fb, false_fb) = if is_true {
        (right_fb, wrong_fb)
    } else {
        (wrong_fb, right_fb)
    };
    (
        Answer::Choices(vec![
            ("Benar".into(), is_true, true_fb.unwrap_or_default()),
            ("Salah".into(), !is_true, false_fb.unwrap_or_default()),
        ]),
        QuestionKind::TrueFalse,
    )
}

/// Append the feedback of kept answers to the general feedback.
fn add_feedback(general: &mut Vec<String>, feedback: &[String]) {
    for f in feedback.iter().filter(|f| !f.is_empty()) {
        if !general.is_empty() {
            general.push(String::new());
        }
        general.push(f.clone());
    }
}

/// Short answer (`{=a =b}` or `{a}`): answers with full credit are kept.
fn short_answer(
    answer: &str,
    format: Format,
    general: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<(Answer, QuestionKind), String> {
    let mut pieces: Vec<&str> = answer.split('=').collect();
    if pieces[0].trim().is_empty() {
        pieces.remove(0);
    }
    let mut kept = Vec::new();
    let mut kept_fb = Vec::new();
    let mut dropped = Vec::new();
    for p in pieces {
        let p = p.trim();
        let (w, rest) = weight(p).unwrap_or((1.0, p));
        let (_, text, ff, feedback) = split_feedback(rest, format);
        let text = unescape(&text)
            .replace(BLANK, BLANK_TEXT)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if text.is_empty() {
            continue;
        }
        let feedback = inline(&feedback, ff);
        if w >= 1.0 - 1e-9 {
            if text.contains('|') {
                return Err(format!("the answer `{text}` contains `|`, which separates answers in the course format; write the question by hand in the quiz module"));
            }
            if text.contains('*') {
                warnings.push(format!(
                    "`*` in `{text}` was a wildcard in Moodle; here it matches only a literal `*`"
                ));
            }
            kept.push(text);
            kept_fb.push(feedback);
        } else {
            dropped.push((text, w, feedback));
        }
    }
    if kept.is_empty() {
        return Err(if dropped.is_empty() {
            "the answer block has no answer; write the accepted answers as `{=answer =other answer}`".into()
        } else {
            "no answer earns full credit; mark at least one accepted answer with `=` and no weight (or `%100%`)".into()
        });
    }
    for (text, w, feedback) in &dropped {
        warnings.push(format!(
            "the answer `{text}` earned {} in Moodle; partial credit is not kept, so it is now graded wrong{}",
            percent(*w),
            if feedback.is_empty() {
                String::new()
            } else {
                format!(" (its feedback was: {feedback})")
            }
        ));
    }
    if kept_fb.iter().any(|f| !f.is_empty()) {
        warnings.push("feedback on the accepted answers is shown as the question's feedback (the course format has feedback per option only for choice questions)".into());
        add_feedback(general, &kept_fb);
    }
    Ok((Answer::Equals(kept.join(" | ")), QuestionKind::ShortAnswer))
}

/// Numeric (`{#5:0.5}`, `{#1..5}`, `{#=5:0 =%50%5:2}`): the first answer with full credit is kept.
fn numeric_answer(
    answer: &str,
    format: Format,
    general: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<(Answer, QuestionKind), String> {
    let (answer, wrong) = match answer.find('~') {
        Some(i) => (&answer[..i], Some(&answer[i..])),
        None => (answer, None),
    };
    let mut pieces: Vec<&str> = answer.split('=').collect();
    if pieces[0].trim().is_empty() {
        pieces.remove(0);
    }
    if pieces.is_empty() {
        return Err("a numeric question (`{#`) with no number; write it as `{#14}`, `{#14:0.5}` or `{#10..20}`".into());
    }
    let mut kept: Option<(String, String)> = None;
    for p in pieces {
        let p = p.trim();
        let (w, rest) = weight(p).unwrap_or((1.0, p));
        let (_, value, ff, feedback) = split_feedback(rest, format);
        let value = unescape(&value);
        let feedback = inline(&feedback, ff);
        let line = numeric_line(&value)?;
        let about_fb = if feedback.is_empty() {
            String::new()
        } else {
            format!(" (its feedback was: {feedback})")
        };
        if value.trim() == "*" {
            warnings.push(format!("the catch-all answer `*` is not kept{about_fb}"));
        } else if w >= 1.0 - 1e-9 && kept.is_none() {
            kept = Some((line, feedback));
        } else if w >= 1.0 - 1e-9 {
            warnings.push(format!("only one numeric answer is kept; `{line}` (also full credit) is now graded wrong{about_fb}"));
        } else {
            warnings.push(format!(
                "the answer `{line}` earned {} in Moodle; partial credit is not kept, so it is now graded wrong{about_fb}",
                percent(w)
            ));
        }
    }
    if let Some(wrong) = wrong {
        let fb = wrong.trim_start_matches('~');
        let fb = fb.split_once('#').map(|(_, f)| f).unwrap_or(fb);
        let (ff, fb) = with_format(fb.trim(), format);
        let fb = inline(fb.trim(), ff);
        if !fb.is_empty() {
            warnings.push(format!(
                "feedback for wrong answers is not kept (it was: {fb})"
            ));
        }
    }
    let Some((line, feedback)) = kept else {
        return Err("no numeric answer earns full credit; write the right answer without a weight (or with `%100%`)".into());
    };
    if !feedback.is_empty() {
        warnings.push("feedback on the right answer is shown as the question's feedback (the course format has feedback per option only for choice questions)".into());
        add_feedback(general, &[feedback]);
    }
    Ok((Answer::Equals(line), QuestionKind::Numeric))
}

/// `5` / `5:0.5` / `1..5` → the text after `= `.
fn numeric_line(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value == "*" {
        return Ok("*".into());
    }
    let number = |s: &str| -> Result<String, String> {
        let s = s.trim();
        quiz::parse_number(s)
            .map(|_| s.to_string())
            .ok_or_else(|| format!("`{s}` in the numeric answer `{value}` is not a number; write numbers with `.` as the decimal point"))
    };
    if let Some(at) = value.find("..").filter(|&i| i > 0) {
        let (lo, hi) = (number(&value[..at])?, number(&value[at + 2..])?);
        return Ok(format!("{lo}..{hi}"));
    }
    if let Some(at) = value.find(':').filter(|&i| i > 0) {
        let (v, tol) = (number(&value[..at])?, number(&value[at + 1..])?);
        if quiz::parse_number(&tol) == Some(0.0) {
            return Ok(v);
        }
        return Ok(format!("{v} ± {tol}"));
    }
    number(value)
}

/// `cakap courses import-gift FILE --into DIR [--title T]`: convert `file`, write the module
/// into the course folder `into` as `NN-kuis-<slug>.md` ([`module_file_name`]) and report.
/// Returns false (exit 1) when the folder is not a course, the file cannot be read, nothing
/// converts, or the module cannot be written; warnings and refusals alone do not fail it.
pub fn import(
    file: &Path,
    into: &Path,
    title: Option<&str>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> bool {
    let shown = file.display().to_string();
    if !into.join("course.md").is_file() {
        let _ = writeln!(
            err,
            "{}: not a course folder (no course.md); give --into the folder of the course the quiz belongs to",
            into.display()
        );
        return false;
    }
    let Some(text) = read_text(file, &shown, err) else {
        return false;
    };
    let fallback = file
        .file_stem()
        .map(|s| s.to_string_lossy().replace(['-', '_'], " "))
        .unwrap_or_default();
    let conversion = convert(&text, title, &fallback);
    for w in &conversion.warnings {
        let _ = writeln!(err, "{shown}:{}: warning: {}", w.line, w.message);
    }
    for r in &conversion.refused {
        let _ = writeln!(err, "{shown}:{}: refused: {}", r.line, r.message);
    }
    if conversion.converted == 0 {
        let _ = writeln!(
            err,
            "{shown}: no question converted ({} refused); nothing was written",
            conversion.refused.len()
        );
        return false;
    }
    let name = match module_file_name(into, &conversion.title) {
        Ok(n) => n,
        Err(e) => {
            let _ = writeln!(err, "{}: cannot list the folder ({e})", into.display());
            return false;
        }
    };
    let target = into.join(&name);
    if !write_new(&target, &conversion.markdown, err) {
        return false;
    }
    let _ = writeln!(
        out,
        "{shown}: {} question(s) converted into {} (\"{}\"), {} warning(s), {} refused",
        conversion.converted,
        target.display(),
        conversion.title,
        conversion.warnings.len(),
        conversion.refused.len()
    );
    let _ = writeln!(
        out,
        "next: read the warnings, review the file, then run `cakap courses check {}`",
        into.display()
    );
    true
}

/// The GIFT file's text; what stops reading it is written to `err`.
fn read_text(file: &Path, shown: &str, err: &mut dyn Write) -> Option<String> {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            let _ = writeln!(err, "{shown}: cannot read the file ({e})");
            return None;
        }
    };
    match String::from_utf8(bytes) {
        Ok(t) => Some(t),
        Err(e) => {
            let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            let _ = writeln!(err, "{shown}:{line}: the file is not UTF-8 text; save it as UTF-8 (Moodle exports GIFT as UTF-8)");
            None
        }
    }
}

/// Writes the module to `target`, which must not exist yet; what fails is written to `err`.
fn write_new(target: &Path, markdown: &str, err: &mut dyn Write) -> bool {
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(target)
        .and_then(|mut f| f.write_all(markdown.as_bytes()));
    if let Err(e) = written {
        let why = if e.kind() == std::io::ErrorKind::AlreadyExists {
            "already exists and is not overwritten; move it away or pass another --title"
                .to_string()
        } else {
            format!("cannot be written ({e})")
        };
        let _ = writeln!(err, "{}: {why}", target.display());
        return false;
    }
    true
}

/// The file name for a new quiz module in `dir`: `NN-kuis-<slug>.md`, where `NN` is one more
/// than the highest module number in the folder (`01` in a folder with no modules), two digits
/// at least, so the quiz comes after the existing modules.
pub fn module_file_name(dir: &Path, title: &str) -> std::io::Result<String> {
    let mut highest = 0;
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".md") else {
            continue;
        };
        if let Some((num, rest)) = stem.split_once('-') {
            if !rest.is_empty() && num.len() <= 4 && num.chars().all(|c| c.is_ascii_digit()) {
                highest = highest.max(num.parse::<u32>().unwrap_or(0));
            }
        }
    }
    Ok(format!("{:02}-kuis-{}.md", highest + 1, slug(title)))
}

/// ASCII slug of a title for a module file name (`Kuis Akhir SPBE` → `akhir-spbe`; the `kuis-`
/// prefix is added by [`module_file_name`]); `soal` when nothing is left.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for word in title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let w = word.to_ascii_lowercase();
        if out.is_empty() && (w == "kuis" || w == "quiz") {
            continue;
        }
        if out.len() + w.len() + 1 > 40 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&w);
    }
    if out.is_empty() {
        "soal".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(gift: &str) -> (String, QuestionKind, Vec<Note>) {
        let c = convert(gift, Some("Uji"), "x");
        assert!(c.refused.is_empty(), "{:#?}", c.refused);
        assert_eq!(c.converted, 1, "{}", c.markdown);
        let body = c.markdown.split("+++\n").nth(2).unwrap().trim().to_string();
        (body, c.questions[0].kind, c.warnings)
    }

    fn refused(gift: &str) -> Note {
        let c = convert(gift, None, "x");
        assert_eq!(c.converted, 0, "{}", c.markdown);
        assert_eq!(c.refused.len(), 1, "{:#?}", c.refused);
        c.refused[0].clone()
    }

    #[test]
    fn a_single_html_paragraph_is_unwrapped() {
        assert_eq!(unwrap_paragraph("<p>Tepat.</p>"), "Tepat.");
        assert_eq!(unwrap_paragraph("<P> Tepat. </P>"), "Tepat.");
        assert_eq!(
            unwrap_paragraph("<p>Satu</p><p>Dua</p>"),
            "<p>Satu</p><p>Dua</p>"
        );
        assert_eq!(unwrap_paragraph("Tanpa <b>p</b>"), "Tanpa <b>p</b>");
    }

    #[test]
    fn single_choice() {
        let (md, kind, w) = one("Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}");
        assert_eq!(kind, QuestionKind::Single);
        assert!(w.is_empty());
        assert_eq!(
            md,
            "## Who's buried in Grant's tomb?\n\n- [ ] Grant\n- [ ] Jefferson\n- [x] no one"
        );
    }

    #[test]
    fn missing_word_shows_a_blank() {
        let (md, _, _) = one("Grant is {~buried =entombed ~living} in Grant's tomb.");
        assert!(
            md.starts_with("## Grant is ____ in Grant's tomb.\n"),
            "{md}"
        );
        let (md, _, _) = one("{=Two =2} plus two equals four.");
        assert!(md.starts_with("## ____ plus two equals four.\n"), "{md}");
    }

    #[test]
    fn true_false_with_feedback() {
        let (md, kind, _) = one("Grant is buried in Grant's tomb.{FALSE#Wrong, sorry.#Right!}");
        assert_eq!(kind, QuestionKind::TrueFalse);
        assert!(
            md.ends_with("- [ ] Benar -- Wrong, sorry.\n- [x] Salah -- Right!"),
            "{md}"
        );
        let (md, kind, _) = one("The sun rises in the east.{T}");
        assert_eq!(kind, QuestionKind::TrueFalse);
        assert!(md.ends_with("- [x] Benar\n- [ ] Salah"), "{md}");
    }

    #[test]
    fn short_answer_and_numbers() {
        let (md, kind, _) = one("Who's buried in Grant's tomb?{=no one =nobody}");
        assert_eq!(kind, QuestionKind::ShortAnswer);
        assert!(md.ends_with("\n= no one | nobody"), "{md}");
        let (md, kind, _) = one("Berapa?{#5:0.5}");
        assert_eq!(kind, QuestionKind::Numeric);
        assert!(md.ends_with("\n= 5 ± 0.5"), "{md}");
        let (md, _, _) = one("Angka 1 sampai 5?{#1..5}");
        assert!(md.ends_with("\n= 1..5"), "{md}");
        let (md, _, w) = one("Grant lahir?{#=1822:0 =%50%1822:2}");
        assert!(md.ends_with("\n= 1822"), "{md}");
        assert_eq!(w.len(), 1);
        assert!(w[0].message.contains("`1822 ± 2` earned 50%"), "{w:?}");
    }

    #[test]
    fn partial_credit_warns_how_it_now_grades() {
        let (md, kind, w) = one("Q?{~%50%A ~%50%B ~C}");
        assert_eq!(kind, QuestionKind::Multiple);
        assert!(md.ends_with("- [x] A\n- [x] B\n- [ ] C"), "{md}");
        assert!(w[0].message.contains("all-or-nothing"), "{w:?}");
        let (md, kind, w) = one("Q?{~wrong ~%50%half =full}");
        assert_eq!(kind, QuestionKind::Single);
        assert!(md.ends_with("- [ ] wrong\n- [ ] half\n- [x] full"), "{md}");
        assert!(w[0].message.contains("now count as wrong"), "{w:?}");
    }

    #[test]
    fn escapes_and_plain_text() {
        let (md, _, _) = one("1 + 2 \\= ? \\{x\\} a\\:b \\# *bold*{=3}");
        assert!(
            md.starts_with("## 1 + 2 = ? {x} a:b \\# \\*bold\\*\n"),
            "{md}"
        );
        let (md, _, _) = one("[plain]Pilih <b> & x{~a =b}");
        assert!(md.starts_with("## Pilih \\<b\\> \\& x\n"), "{md}");
    }

    #[test]
    fn general_feedback_and_names_are_kept() {
        let (md, _, _) = one("::Nama Soal::Apa?{=a ~b####Umpan **balik**.}");
        assert_eq!(
            md,
            "## Apa?\n\n<!-- GIFT ::Nama Soal:: -->\n\n- [x] a\n- [ ] b\n\n> Umpan \\*\\*balik\\*\\*."
        );
    }

    #[test]
    fn lines_that_look_like_answers_are_protected() {
        let (md, _, _) = one(
            "[markdown]Perhatikan:\\n\\n- [x] bukan jawaban\n= juga bukan\n## bukan judul\n{=ya}",
        );
        assert!(md.contains("&#45; [x] bukan jawaban"), "{md}");
        assert!(md.contains("&#61; juga bukan"), "{md}");
        assert!(md.contains("&#35;# bukan judul"), "{md}");
        let (md, _, _) = one("[markdown]Kode:\\n```\\nx = 1{=ya}");
        assert!(md.contains("```\nx = 1\n```"), "{md}");
    }

    #[test]
    fn unconvertible_questions_are_refused() {
        assert!(refused("Cocokkan {=a -> b =c -> d}")
            .message
            .contains("matching"));
        assert!(refused("Ceritakan pengalaman Anda.{}")
            .message
            .contains("essay"));
        assert!(refused("Hanya deskripsi.").message.contains("description"));
        assert!(refused("Tidak ditutup {=a")
            .message
            .contains("never closed"));
        assert!(refused("Q {~a}").message.contains("at least two options"));
        let n = refused("Q {=a ~A}");
        assert!(n.message.contains("two options read"), "{n}");
        assert!(refused("Q {#abc}").message.contains("not a number"));
        assert!(refused("Q {#5..1}")
            .message
            .contains("starts above its end"));
        assert!(refused("{=a}").message.contains("no text"));
        assert!(refused("Q {=a} dan {=b}").message.contains("more than one"));
    }

    #[test]
    fn categories_name_the_quiz() {
        let c = convert(
            "$CATEGORY: $course$/top/Default for X/Standar Pelayanan\n\nQ?{T}",
            None,
            "f",
        );
        assert_eq!(c.title, "Standar Pelayanan");
        assert!(c.markdown.contains("title = \"Standar Pelayanan\""));
        let c = convert(
            "$CATEGORY: a\n\nQ?{T}\n\n$CATEGORY: b\n\nR?{F}",
            None,
            "Berkas",
        );
        assert_eq!(c.title, "Berkas");
        assert_eq!(c.converted, 2);
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(c.warnings[0].line, 5);
        assert!(
            c.markdown.contains("<!-- GIFT category: b -->"),
            "{}",
            c.markdown
        );
    }

    #[test]
    fn slugs_and_weights() {
        assert_eq!(slug("Kuis Akhir SPBE"), "akhir-spbe");
        assert_eq!(
            slug("Pelayanan Publik — Bagian 2"),
            "pelayanan-publik-bagian-2"
        );
        assert_eq!(slug("???"), "soal");
        assert_eq!(weight("%50%x"), Some((0.5, "x")));
        assert_eq!(weight("%-33.5%x"), Some((-0.335, "x")));
        assert_eq!(weight("%100%x"), Some((1.0, "x")));
        assert_eq!(weight("%abc%x"), None);
        assert_eq!(weight("%50x"), None);
    }
}

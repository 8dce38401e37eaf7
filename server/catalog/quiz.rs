//! Quiz bodies: questions (a `## ` heading each), their answer part, and feedback.
//!
//! The answer part decides the type: a task list (single, multiple, true/false) or a `= …` line
//! (short answer, numeric). Parsing yields Markdown pieces with their line numbers; rendering
//! happens in the folder loader, which knows how to rewrite links.

use serde::{Deserialize, Serialize};

use super::diag::Sink;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    Single,
    Multiple,
    TrueFalse,
    ShortAnswer,
    Numeric,
}

impl QuestionKind {
    pub fn code(self) -> &'static str {
        match self {
            QuestionKind::Single => "single",
            QuestionKind::Multiple => "multiple",
            QuestionKind::TrueFalse => "true_false",
            QuestionKind::ShortAnswer => "short_answer",
            QuestionKind::Numeric => "numeric",
        }
    }

    pub fn parse(s: &str) -> Option<QuestionKind> {
        [
            QuestionKind::Single,
            QuestionKind::Multiple,
            QuestionKind::TrueFalse,
            QuestionKind::ShortAnswer,
            QuestionKind::Numeric,
        ]
        .into_iter()
        .find(|k| k.code() == s)
    }
}

/// A numeric answer: a value with a tolerance (`14`, `14 ± 0.5`) or a range (`10..20`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Numeric {
    Exact { value: f64, tolerance: f64 },
    Range { min: f64, max: f64 },
}

impl Numeric {
    pub fn accepts(&self, x: f64) -> bool {
        // a little slack for decimal fractions that binary floats cannot hold exactly
        const EPS: f64 = 1e-9;
        match *self {
            Numeric::Exact { value, tolerance } => {
                (x - value).abs() <= tolerance + EPS * value.abs().max(1.0)
            }
            Numeric::Range { min, max } => {
                x >= min - EPS * min.abs().max(1.0) && x <= max + EPS * max.abs().max(1.0)
            }
        }
    }
}

/// Markdown with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Md {
    pub text: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceSource {
    pub text: Md,
    pub correct: bool,
    pub feedback: Option<Md>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AnswerSource {
    Choices(Vec<ChoiceSource>),
    Short(Vec<String>),
    Numeric(Numeric),
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuestionSource {
    /// Line of the `## ` heading.
    pub line: usize,
    pub kind: QuestionKind,
    pub prompt: Md,
    pub answer: AnswerSource,
    pub feedback: Option<Md>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuizBody {
    /// Text before the first question (instructions), if any.
    pub intro: Option<Md>,
    pub questions: Vec<QuestionSource>,
}

/// A line of the body, classified.
#[derive(Debug)]
enum Line<'a> {
    Blank,
    Task { checked: bool, text: &'a str },
    Equals(&'a str),
    Quote(&'a str),
    Text(&'a str),
}

fn classify(line: &str) -> Line<'_> {
    let t = line.trim_end();
    if t.trim().is_empty() {
        return Line::Blank;
    }
    let indent = t.len() - t.trim_start().len();
    let s = t.trim_start();
    if indent <= 3 {
        if let Some(rest) = s.strip_prefix(['-', '*', '+']) {
            if let Some(rest) = rest.strip_prefix(' ') {
                let r = rest.trim_start();
                for (mark, checked) in [("[ ]", false), ("[x]", true), ("[X]", true)] {
                    if let Some(text) = r.strip_prefix(mark) {
                        if text.is_empty() || text.starts_with([' ', '\t']) {
                            return Line::Task {
                                checked,
                                text: text.trim(),
                            };
                        }
                    }
                }
            }
        }
        if let Some(rest) = s.strip_prefix('=') {
            if rest.is_empty() || rest.starts_with([' ', '\t']) {
                return Line::Equals(rest.trim());
            }
        }
        if let Some(rest) = s.strip_prefix('>') {
            return Line::Quote(rest.strip_prefix(' ').unwrap_or(rest));
        }
    }
    Line::Text(line)
}

/// `## Heading` (ATX level 2, up to three spaces of indent) → its text.
fn h2(line: &str) -> Option<&str> {
    let t = line.trim_end();
    let indent = t.len() - t.trim_start().len();
    if indent > 3 {
        return None;
    }
    let rest = t.trim_start().strip_prefix("##")?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let text = rest.trim();
    // an optional closing sequence of #s, preceded by a space
    let stripped = text.trim_end_matches('#');
    Some(if stripped.is_empty() {
        ""
    } else if stripped.len() < text.len() && stripped.ends_with([' ', '\t']) {
        stripped.trim_end()
    } else {
        text
    })
}

/// Fence state for ``` and ~~~ blocks, so headings inside code are not questions.
#[derive(Default)]
struct Fence(Option<(char, usize)>);

impl Fence {
    /// Feed a line; true when the line is inside (or opens/closes) a fenced block.
    fn feed(&mut self, line: &str) -> bool {
        let s = line.trim_start();
        let ch = s.chars().next();
        let run = |c: char| s.chars().take_while(|x| *x == c).count();
        match (self.0, ch) {
            (None, Some(c @ ('`' | '~'))) if run(c) >= 3 => {
                self.0 = Some((c, run(c)));
                true
            }
            (Some((c, n)), Some(x))
                if x == c && run(c) >= n && s.trim_end().chars().all(|y| y == c) =>
            {
                self.0 = None;
                true
            }
            (Some(_), _) => true,
            _ => false,
        }
    }
}

/// Parse a quiz body that starts at file line `first_line`. Problems go to `sink`.
pub fn parse(body: &str, first_line: usize, sink: &mut Sink<'_>) -> QuizBody {
    struct Section<'a> {
        line: usize,
        heading: &'a str,
        lines: Vec<(usize, &'a str, bool)>,
    }
    let mut intro: Vec<(usize, &str)> = Vec::new();
    let mut sections: Vec<Section> = Vec::new();
    let mut fence = Fence::default();
    for (i, line) in body.lines().enumerate() {
        let n = first_line + i;
        let fenced = fence.feed(line);
        if !fenced {
            if let Some(heading) = h2(line) {
                sections.push(Section {
                    line: n,
                    heading,
                    lines: Vec::new(),
                });
                continue;
            }
        }
        match sections.last_mut() {
            Some(s) => s.lines.push((n, line, fenced)),
            None => intro.push((n, line)),
        }
    }

    let intro = join_md(&intro);
    let mut questions = Vec::new();
    for s in sections {
        if let Some(q) = parse_question(s.line, s.heading, &s.lines, sink) {
            questions.push(q);
        }
    }
    QuizBody { intro, questions }
}

fn join_md(lines: &[(usize, &str)]) -> Option<Md> {
    let start = lines.iter().position(|(_, l)| !l.trim().is_empty())?;
    let end = lines.iter().rposition(|(_, l)| !l.trim().is_empty())?;
    Some(Md {
        text: lines[start..=end]
            .iter()
            .map(|(_, l)| *l)
            .collect::<Vec<_>>()
            .join("\n"),
        line: lines[start].0,
    })
}

#[derive(PartialEq)]
enum State {
    Prompt,
    Choices,
    Equals,
    Feedback,
}

fn parse_question(
    line: usize,
    heading: &str,
    lines: &[(usize, &str, bool)],
    sink: &mut Sink<'_>,
) -> Option<QuestionSource> {
    let mut state = State::Prompt;
    let mut prompt: Vec<(usize, &str)> = Vec::new();
    let mut choices: Vec<ChoiceSource> = Vec::new();
    let mut equals: Option<(usize, &str)> = None;
    let mut feedback: Vec<(usize, &str)> = Vec::new();
    let mut ok = true;
    let mut blank_before = false;

    for &(n, raw, fenced) in lines {
        let class = if fenced {
            Line::Text(raw)
        } else {
            classify(raw)
        };
        match (&state, class) {
            (State::Prompt, Line::Task { checked, text }) => {
                state = State::Choices;
                choices.push(choice(n, checked, text));
            }
            (State::Prompt, Line::Equals(text)) => {
                state = State::Equals;
                equals = Some((n, text));
            }
            (State::Prompt, _) => prompt.push((n, raw)),

            (State::Choices, Line::Task { checked, text }) => {
                choices.push(choice(n, checked, text))
            }
            (State::Choices | State::Equals, Line::Blank) => {}
            (State::Choices, Line::Text(t)) if !blank_before && t.starts_with([' ', '\t']) => {
                // a continuation line of the option above
                if let Some(last) = choices.last_mut() {
                    last.text.text.push(' ');
                    last.text.text.push_str(t.trim());
                }
            }
            (State::Choices, Line::Equals(_))
            | (State::Equals, Line::Task { .. } | Line::Equals(_)) => {
                sink.error(
                    n,
                    "two answer parts in one question; keep either one task list or one `= answer` line",
                );
                ok = false;
                break;
            }
            (State::Choices | State::Equals, Line::Quote(q)) => {
                state = State::Feedback;
                feedback.push((n, q));
            }
            (State::Choices | State::Equals, Line::Text(t)) => {
                let advice = if t.trim_start().starts_with(['-', '*', '+']) {
                    "a list item without a checkbox among the options; write every option as `- [ ] …` or `- [x] …`"
                } else {
                    "text after the answers; move it above the answer list (prompt) or into a `>` feedback blockquote"
                };
                sink.error(n, advice);
                ok = false;
                break;
            }
            (State::Feedback, Line::Quote(q)) => feedback.push((n, q)),
            (State::Feedback, Line::Blank) => {}
            (State::Feedback, Line::Text(t)) if !blank_before => feedback.push((n, t.trim())),
            (State::Feedback, Line::Task { .. } | Line::Equals(_)) => {
                sink.error(
                    n,
                    "answers after the feedback; put the answer list before the `>` feedback, or start a new question with `## `",
                );
                ok = false;
                break;
            }
            (State::Feedback, Line::Text(_)) => {
                sink.error(
                    n,
                    "text after the feedback; each question starts with a `## ` heading, so start one or move this into the blockquote",
                );
                ok = false;
                break;
            }
        }
        blank_before = raw.trim().is_empty();
    }

    let mut prompt_md = vec![(line, heading)];
    if !prompt.is_empty() {
        prompt_md.push((line, ""));
        prompt_md.extend(prompt.iter().copied());
    }
    let prompt = join_md(&prompt_md);
    if heading.trim().is_empty() && prompt.is_none() {
        sink.error(
            line,
            "the question has an empty prompt; write the question after `## `",
        );
        ok = false;
    }
    let prompt = prompt.unwrap_or(Md {
        text: String::new(),
        line,
    });
    let feedback = join_md(&feedback);

    let (kind, answer) = match state {
        State::Prompt => {
            sink.error(
                line,
                "question has no answers; add a task list (`- [x] right`, `- [ ] wrong`) or a `= answer` line",
            );
            return None;
        }
        State::Choices | State::Feedback if !choices.is_empty() => match choice_kind(&choices) {
            Ok(kind) => (kind, AnswerSource::Choices(choices)),
            Err(msg) => {
                sink.error(line, msg);
                return None;
            }
        },
        _ => {
            let (n, text) = equals?;
            match parse_equals(text) {
                Ok(a @ AnswerSource::Numeric(_)) => (QuestionKind::Numeric, a),
                Ok(a) => (QuestionKind::ShortAnswer, a),
                Err(msg) => {
                    sink.error(n, msg);
                    return None;
                }
            }
        }
    };
    ok.then_some(QuestionSource {
        line,
        kind,
        prompt,
        answer,
        feedback,
    })
}

fn choice(n: usize, checked: bool, text: &str) -> ChoiceSource {
    let (text, feedback) = match text.split_once(" -- ") {
        Some((t, f)) => (t.trim(), Some(f.trim())),
        None => (text, None),
    };
    ChoiceSource {
        text: Md {
            text: text.to_string(),
            line: n,
        },
        correct: checked,
        feedback: feedback.filter(|f| !f.is_empty()).map(|f| Md {
            text: f.to_string(),
            line: n,
        }),
    }
}

fn choice_kind(choices: &[ChoiceSource]) -> Result<QuestionKind, String> {
    if let Some(empty) = choices.iter().find(|c| c.text.text.trim().is_empty()) {
        return Err(format!(
            "the option on line {} has no text; write it after the checkbox",
            empty.text.line
        ));
    }
    if choices.len() < 2 {
        return Err(
            "a choice question needs at least two options; add another `- [ ] …` line".into(),
        );
    }
    for (i, a) in choices.iter().enumerate() {
        if choices[..i]
            .iter()
            .any(|b| b.text.text.trim().eq_ignore_ascii_case(a.text.text.trim()))
        {
            return Err(format!(
                "two options read `{}`; make every option different",
                a.text.text.trim()
            ));
        }
    }
    let checked = choices.iter().filter(|c| c.correct).count();
    if checked == 0 {
        return Err("the task list has no `[x]`; mark the right option(s) with `[x]`".into());
    }
    let words: Vec<String> = choices
        .iter()
        .map(|c| c.text.text.trim().to_lowercase())
        .collect();
    let is_tf = words.len() == 2
        && (words.iter().all(|w| w == "benar" || w == "salah")
            || words.iter().all(|w| w == "true" || w == "false"));
    if is_tf {
        if checked != 1 {
            return Err("a true/false question needs exactly one `[x]`; mark either the true or the false option".into());
        }
        return Ok(QuestionKind::TrueFalse);
    }
    Ok(if checked == 1 {
        QuestionKind::Single
    } else {
        QuestionKind::Multiple
    })
}

/// Parse a number: `.` is the decimal point; a single `,` with no `.` is accepted as one too.
pub fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim().replace(['\u{2212}', '\u{2013}'], "-");
    let s = if !s.contains('.') && s.matches(',').count() == 1 {
        s.replace(',', ".")
    } else {
        s
    };
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|x| x.is_finite())
}

const NUMERIC_ADVICE: &str = "write a number (`= 14`), a number with a tolerance (`= 14 ± 0.5`) or a range (`= 10..20`), with `.` as the decimal point";

/// The text after `=`: numeric, or short answers separated by `|`.
pub fn parse_equals(text: &str) -> Result<AnswerSource, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("the `=` line has no answer; write the answer after `= `".into());
    }
    if let Some((a, b)) = text.split_once("..") {
        let (lo, hi) = (parse_number(a), parse_number(b));
        if lo.is_some() || hi.is_some() || a.trim().is_empty() || b.trim().is_empty() {
            return match (lo, hi) {
                (Some(min), Some(max)) if min <= max => Ok(AnswerSource::Numeric(Numeric::Range { min, max })),
                (Some(_), Some(_)) => Err(format!(
                    "the range `{text}` starts above its end; write the smaller number first, as in `= 10..20`"
                )),
                _ => Err(format!("numeric answer `{text}` does not parse; {NUMERIC_ADVICE}")),
            };
        }
    }
    for sep in ["±", "+/-", "+-"] {
        if let Some((v, t)) = text.split_once(sep) {
            return match (parse_number(v), parse_number(t)) {
                (Some(value), Some(tolerance)) if tolerance >= 0.0 => {
                    Ok(AnswerSource::Numeric(Numeric::Exact { value, tolerance }))
                }
                (Some(_), Some(_)) => Err(format!(
                    "the tolerance in `{text}` is negative; write it as a positive number, as in `= 14 ± 0.5`"
                )),
                _ => Err(format!("numeric answer `{text}` does not parse; {NUMERIC_ADVICE}")),
            };
        }
    }
    if let Some(value) = parse_number(text) {
        return Ok(AnswerSource::Numeric(Numeric::Exact {
            value,
            tolerance: 0.0,
        }));
    }
    let looks_numeric = text.chars().any(|c| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || " .,+-eE".contains(c));
    if looks_numeric {
        return Err(format!(
            "numeric answer `{text}` does not parse; {NUMERIC_ADVICE}"
        ));
    }
    let answers: Vec<String> = text.split('|').map(|a| a.trim().to_string()).collect();
    if answers.iter().any(String::is_empty) {
        return Err(format!(
            "`= {text}` has an empty answer between `|`; remove the extra `|` or write the missing answer"
        ));
    }
    Ok(AnswerSource::Short(answers))
}

/// Short answers match case- and space-insensitively: lowercased, runs of whitespace folded,
/// ends trimmed.
pub fn fold_short_answer(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

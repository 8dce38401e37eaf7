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

/// When a learner sees a quiz's right answers (front matter `review`). Right/wrong marks and the
/// score are shown after every graded attempt whatever the setting; the decision for one attempt
/// is made in one place, `learning::grading::reveal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Review {
    /// Once the learner has passed the quiz or has no attempts left.
    #[default]
    AfterPass,
    /// Only once the learner has no attempts left (never with unlimited attempts).
    AfterLastAttempt,
    /// After every graded attempt.
    Always,
    /// Never: marks and score only, no right answers and no feedback.
    Never,
}

impl Review {
    pub const ALL: [Review; 4] = [
        Review::AfterPass,
        Review::AfterLastAttempt,
        Review::Always,
        Review::Never,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Review::AfterPass => "after_pass",
            Review::AfterLastAttempt => "after_last_attempt",
            Review::Always => "always",
            Review::Never => "never",
        }
    }

    pub fn parse(s: &str) -> Option<Review> {
        Review::ALL.into_iter().find(|r| r.code() == s)
    }

    /// The stored value read back: a missing or unknown value is the default.
    pub fn from_stored(s: Option<&str>) -> Review {
        s.and_then(Review::parse).unwrap_or_default()
    }
}

/// A numeric answer: a value with a tolerance (`14`, `14 ± 0.5`) or a range (`10..20`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Numeric {
    Exact { value: f64, tolerance: f64 },
    Range { min: f64, max: f64 },
}

impl std::fmt::Display for Numeric {
    /// `42`, `42 ± 0.5` or `40..45`, as an answer key shows it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Numeric::Exact {
                value,
                tolerance: 0.0,
            } => write!(f, "{value}"),
            Numeric::Exact { value, tolerance } => write!(f, "{value} ± {tolerance}"),
            Numeric::Range { min, max } => write!(f, "{min} … {max}"),
        }
    }
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
    /// The whole prompt as one Markdown text: the heading as a paragraph, then the details.
    pub prompt: Md,
    /// The text of the `## ` heading (empty when the prompt is all in the lines below it).
    pub heading: String,
    /// The rest of the prompt (paragraphs, images, code up to the answers), starting at its own
    /// file line, so problems in it are reported at the right line.
    pub details: Option<Md>,
    pub answer: AnswerSource,
    pub feedback: Option<Md>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuizBody {
    /// Text before the first question (instructions), if any.
    pub intro: Option<Md>,
    /// The questions that parsed; those with errors are reported and left out.
    pub questions: Vec<QuestionSource>,
    /// How many questions are written (`## ` headings), counting the ones with errors.
    pub written: usize,
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

/// `---`, `***`, `___` (three or more, spaces allowed): a Markdown thematic break.
fn is_thematic_break(line: &str) -> bool {
    let t: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    t.len() >= 3
        && ["-", "*", "_"]
            .iter()
            .any(|m| t.chars().all(|c| c.to_string() == *m))
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
    let written = sections.len();
    let mut questions = Vec::new();
    for s in sections {
        if let Some(q) = parse_question(s.line, s.heading, &s.lines, sink) {
            questions.push(q);
        }
    }
    QuizBody {
        intro,
        questions,
        written,
    }
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

/// The parts of one question as read, line by line, before they are checked.
struct Parts<'l> {
    state: State,
    prompt: Vec<(usize, &'l str)>,
    /// Options as written (line, checked, text with continuation lines joined); split into text
    /// and feedback once complete, so a continuation line extends the feedback it belongs to.
    options: Vec<(usize, bool, String)>,
    equals: Option<(usize, &'l str)>,
    feedback: Vec<(usize, &'l str)>,
    /// A structural error that stopped reading this question; later checks would only add noise.
    broken: bool,
}

/// Reads a question's lines into their parts, stopping at the first structural error.
fn read_parts<'l>(lines: &[(usize, &'l str, bool)], sink: &mut Sink<'_>) -> Parts<'l> {
    let mut parts = Parts {
        state: State::Prompt,
        prompt: Vec::new(),
        options: Vec::new(),
        equals: None,
        feedback: Vec::new(),
        broken: false,
    };
    let mut blank_before = false;
    for &(n, raw, fenced) in lines {
        let class = if fenced {
            Line::Text(raw)
        } else if parts.state != State::Prompt && is_thematic_break(raw) {
            // a `---` separating questions, as authors often write: ignore it
            Line::Blank
        } else {
            classify(raw)
        };
        if let Err((en, id)) = parts.take(n, raw, class, blank_before) {
            sink.error_in(n, en, id);
            parts.broken = true;
            break;
        }
        blank_before = raw.trim().is_empty();
    }
    parts
}

impl<'l> Parts<'l> {
    /// Takes line `n` (`raw`, classified as `class`); a structural error is returned as the
    /// message to report at that line (English, Indonesian).
    fn take(
        &mut self,
        n: usize,
        raw: &'l str,
        class: Line<'l>,
        blank_before: bool,
    ) -> Result<(), (&'static str, &'static str)> {
        match (&self.state, class) {
            (State::Prompt, Line::Task { checked, text }) => {
                self.state = State::Choices;
                self.options.push((n, checked, text.to_string()));
            }
            (State::Prompt, Line::Equals(text)) => {
                self.state = State::Equals;
                self.equals = Some((n, text));
            }
            (State::Prompt, _) => self.prompt.push((n, raw)),

            (State::Choices, Line::Task { checked, text }) => {
                self.options.push((n, checked, text.to_string()))
            }
            (State::Choices | State::Equals, Line::Blank) => {}
            (State::Choices, Line::Text(t)) if !blank_before && t.starts_with([' ', '\t']) => {
                // a continuation line of the option above
                if let Some((_, _, text)) = self.options.last_mut() {
                    text.push(' ');
                    text.push_str(t.trim());
                }
            }
            (State::Choices, Line::Equals(_))
            | (State::Equals, Line::Task { .. } | Line::Equals(_)) => {
                return Err((
                    "two answer parts in one question; keep either one task list or one `= answer` line",
                    "ada dua bagian jawaban dalam satu soal; pakai satu daftar pilihan saja, atau satu baris `= jawaban` saja",
                ));
            }
            (State::Choices | State::Equals, Line::Quote(q)) => {
                self.state = State::Feedback;
                self.feedback.push((n, q));
            }
            (State::Choices | State::Equals, Line::Text(t)) => {
                let advice = if t.trim_start().starts_with(['-', '*', '+']) {
                    ("a list item without a checkbox among the options; write every option as `- [ ] …` or `- [x] …`",
                     "ada butir daftar tanpa kotak centang di antara pilihan; tulis setiap pilihan sebagai `- [ ] …` atau `- [x] …`")
                } else {
                    ("text after the answers; move it above the answer list (prompt) or into a `>` feedback blockquote",
                     "ada teks setelah jawaban; pindahkan ke atas daftar jawaban (bagian pertanyaan) atau ke kutipan umpan balik `>`")
                };
                return Err(advice);
            }
            (State::Feedback, Line::Quote(q)) => self.feedback.push((n, q)),
            // kept, so that `> a` and `> b` apart stay two paragraphs and lines stay exact
            (State::Feedback, Line::Blank) => self.feedback.push((n, "")),
            (State::Feedback, Line::Text(t)) if !blank_before => self.feedback.push((n, t.trim())),
            (State::Feedback, Line::Task { .. } | Line::Equals(_)) => {
                return Err((
                    "answers after the feedback; put the answer list before the `>` feedback, or start a new question with `## `",
                    "ada jawaban setelah umpan balik; letakkan daftar jawaban sebelum umpan balik `>`, atau mulai soal baru dengan `## `",
                ));
            }
            (State::Feedback, Line::Text(_)) => {
                return Err((
                    "text after the feedback; each question starts with a `## ` heading, so start one or move this into the blockquote",
                    "ada teks setelah umpan balik; setiap soal diawali judul `## `, jadi mulai soal baru atau masukkan teks ini ke kutipan",
                ));
            }
        }
        Ok(())
    }
}

fn parse_question(
    line: usize,
    heading: &str,
    lines: &[(usize, &str, bool)],
    sink: &mut Sink<'_>,
) -> Option<QuestionSource> {
    let parts = read_parts(lines, sink);
    let details = join_md(&parts.prompt);
    let prompt = match (&details, heading.is_empty()) {
        (None, true) => None,
        (None, false) => Some(Md {
            text: heading.to_string(),
            line,
        }),
        (Some(d), true) => Some(d.clone()),
        (Some(d), false) => Some(Md {
            text: format!("{heading}\n\n{}", d.text),
            line,
        }),
    };
    let mut ok = !parts.broken;
    if prompt.is_none() {
        sink.error_in(
            line,
            "the question has an empty prompt; write the question after `## `",
            "pertanyaannya kosong; tulis pertanyaan setelah `## `",
        );
        ok = false;
    }
    if parts.broken {
        return None;
    }
    let prompt = prompt.unwrap_or(Md {
        text: String::new(),
        line,
    });
    let feedback = join_md(&parts.feedback);
    let (kind, answer) = answer_of(&parts, line, sink)?;
    ok.then_some(QuestionSource {
        line,
        kind,
        prompt,
        heading: heading.to_string(),
        details,
        answer,
        feedback,
    })
}

/// The question's kind and answer, from its options or its `= answer` line.
fn answer_of(
    parts: &Parts<'_>,
    line: usize,
    sink: &mut Sink<'_>,
) -> Option<(QuestionKind, AnswerSource)> {
    let choices: Vec<ChoiceSource> = parts
        .options
        .iter()
        .map(|(n, checked, text)| choice(*n, *checked, text))
        .collect();
    match parts.state {
        State::Prompt => {
            sink.error_in(
                line,
                "question has no answers; add a task list (`- [x] right`, `- [ ] wrong`) or a `= answer` line",
                "soal ini belum punya jawaban; tambahkan daftar pilihan (`- [x] benar`, `- [ ] salah`) atau baris `= jawaban`",
            );
            None
        }
        State::Choices | State::Feedback if !choices.is_empty() => match choice_kind(&choices) {
            Ok(kind) => Some((kind, AnswerSource::Choices(choices))),
            Err((en, id)) => {
                sink.error_in(line, en, id);
                None
            }
        },
        _ => {
            let (n, text) = parts.equals?;
            match parse_equals(text) {
                Ok(a @ AnswerSource::Numeric(_)) => Some((QuestionKind::Numeric, a)),
                Ok(a) => Some((QuestionKind::ShortAnswer, a)),
                Err((en, id)) => {
                    sink.error_in(n, en, id);
                    None
                }
            }
        }
    }
}

fn choice(n: usize, checked: bool, text: &str) -> ChoiceSource {
    let (text, feedback) = match text.split_once(" -- ") {
        Some((t, f)) => (t.trim(), Some(f.trim())),
        // `- [ ] option --` with the feedback left out
        None => (text.strip_suffix(" --").unwrap_or(text).trim_end(), None),
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

/// English and Indonesian: what is wrong and what to do.
type Said = (String, String);

fn said(en: impl Into<String>, id: impl Into<String>) -> Said {
    (en.into(), id.into())
}

fn choice_kind(choices: &[ChoiceSource]) -> Result<QuestionKind, Said> {
    if let Some(empty) = choices.iter().find(|c| c.text.text.trim().is_empty()) {
        let n = empty.text.line;
        return Err(said(
            format!("the option on line {n} has no text; write it after the checkbox"),
            format!("pilihan di baris {n} tidak berisi teks; tulis setelah kotak centangnya"),
        ));
    }
    if choices.len() < 2 {
        return Err(said(
            "a choice question needs at least two options; add another `- [ ] …` line",
            "soal pilihan perlu paling sedikit dua pilihan; tambahkan baris `- [ ] …` lagi",
        ));
    }
    for (i, a) in choices.iter().enumerate() {
        if choices[..i]
            .iter()
            .any(|b| b.text.text.trim().eq_ignore_ascii_case(a.text.text.trim()))
        {
            let t = a.text.text.trim();
            return Err(said(
                format!("two options read `{t}`; make every option different"),
                format!("dua pilihan sama-sama berbunyi `{t}`; buat setiap pilihan berbeda"),
            ));
        }
    }
    let checked = choices.iter().filter(|c| c.correct).count();
    if checked == 0 {
        return Err(said(
            "the task list has no `[x]`; mark the right option(s) with `[x]`",
            "daftar pilihan belum punya `[x]`; tandai pilihan yang benar dengan `[x]`",
        ));
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
            return Err(said(
                "a true/false question needs exactly one `[x]`; mark either the true or the false option",
                "soal benar/salah perlu tepat satu `[x]`; tandai Benar atau Salah saja",
            ));
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
const NUMERIC_ADVICE_ID: &str = "tulis angka (`= 14`), angka dengan toleransi (`= 14 ± 0.5`), atau rentang (`= 10..20`), dengan `.` sebagai tanda desimal";

fn not_a_number(text: &str) -> Said {
    said(
        format!("numeric answer `{text}` does not parse; {NUMERIC_ADVICE}"),
        format!("jawaban angka `{text}` tidak dapat dibaca; {NUMERIC_ADVICE_ID}"),
    )
}

/// The text after `=`: numeric, or short answers separated by `|`. A refusal says what is
/// wrong in English and in Indonesian.
pub fn parse_equals(text: &str) -> Result<AnswerSource, (String, String)> {
    let text = text.trim();
    if text.is_empty() {
        return Err(said(
            "the `=` line has no answer; write the answer after `= `",
            "baris `=` belum berisi jawaban; tulis jawabannya setelah `= `",
        ));
    }
    if let Some((a, b)) = text.split_once("..") {
        // `10...20` is not `10` to `.20`
        let hi = if b.starts_with('.') {
            None
        } else {
            parse_number(b)
        };
        let lo = parse_number(a);
        if lo.is_some() || hi.is_some() || a.trim().is_empty() || b.trim().is_empty() {
            return match (lo, hi) {
                (Some(min), Some(max)) if min <= max => Ok(AnswerSource::Numeric(Numeric::Range { min, max })),
                (Some(_), Some(_)) => Err(said(
                    format!("the range `{text}` starts above its end; write the smaller number first, as in `= 10..20`"),
                    format!("rentang `{text}` dimulai dari angka yang lebih besar; tulis angka yang lebih kecil dulu, seperti `= 10..20`"),
                )),
                _ => Err(not_a_number(text)),
            };
        }
    }
    for sep in ["±", "+/-", "+-"] {
        if let Some((v, t)) = text.split_once(sep) {
            return match (parse_number(v), parse_number(t)) {
                (Some(value), Some(tolerance)) if tolerance >= 0.0 => {
                    Ok(AnswerSource::Numeric(Numeric::Exact { value, tolerance }))
                }
                (Some(_), Some(_)) => Err(said(
                    format!("the tolerance in `{text}` is negative; write it as a positive number, as in `= 14 ± 0.5`"),
                    format!("toleransi pada `{text}` negatif; tulis sebagai angka positif, seperti `= 14 ± 0.5`"),
                )),
                _ => Err(not_a_number(text)),
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
        return Err(not_a_number(text));
    }
    let answers: Vec<String> = text.split('|').map(|a| a.trim().to_string()).collect();
    if answers.iter().any(String::is_empty) {
        return Err(said(
            format!("`= {text}` has an empty answer between `|`; remove the extra `|` or write the missing answer"),
            format!("`= {text}` berisi jawaban kosong di antara `|`; hapus `|` yang berlebih atau tulis jawaban yang kurang"),
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

#[cfg(test)]
mod rule_tests {
    use super::*;

    #[test]
    fn a_thematic_break_between_questions_is_ignored() {
        let body = "## Satu?\n\n- [x] Ya\n- [ ] Tidak\n\n---\n\n## Dua?\n\n= 2\n\n> Benar.\n\n***\n\n## Tiga?\n\n- [x] Benar\n- [ ] Salah\n";
        let mut diags = Vec::new();
        let quiz = parse(
            body,
            1,
            &mut Sink {
                path: "q.md",
                out: &mut diags,
            },
        );
        assert!(diags.is_empty(), "{diags:#?}");
        assert_eq!(quiz.questions.len(), 3);
        assert!(is_thematic_break(" - - - "));
        assert!(!is_thematic_break("--"));
        assert!(!is_thematic_break("-*-"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::diag::Diagnostic;

    /// Parse `body` as if it started on file line 10; returns the body and the diagnostics as
    /// `path:line: message` strings.
    fn run(body: &str) -> (QuizBody, Vec<String>) {
        let mut diags: Vec<Diagnostic> = Vec::new();
        let parsed = parse(
            body,
            10,
            &mut Sink {
                path: "kuis.md",
                out: &mut diags,
            },
        );
        (parsed, diags.iter().map(|d| d.to_string()).collect())
    }

    /// (issue 25) What an author reads in the Indonesian UI: every finding of the quiz parser
    /// has its Indonesian.
    #[test]
    fn findings_are_said_in_indonesian_too() {
        for (body, says) in [
            ("## Q\n", "soal ini belum punya jawaban"),
            ("## Q\n\n- [ ] a\n- [ ] b\n", "belum punya `[x]`"),
            ("## Q\n\n= 1\nteks\n", "ada teks setelah jawaban"),
            ("## Q\n\n= 1..x0\n", "tidak dapat dibaca"),
            ("## Q\n\n= a || b\n", "jawaban kosong di antara `|`"),
            ("## Q\n\n- [x] a\n- [x] A\n", "dua pilihan sama-sama"),
            ("##   \n\n= 1\n", "pertanyaannya kosong"),
        ] {
            let mut diags: Vec<Diagnostic> = Vec::new();
            parse(
                body,
                10,
                &mut Sink {
                    path: "kuis.md",
                    out: &mut diags,
                },
            );
            let said: Vec<&str> = diags
                .iter()
                .map(|d| d.text(crate::i18n::Lang::Id))
                .collect();
            assert!(said.iter().any(|m| m.contains(says)), "{body:?}: {said:?}");
        }
    }

    fn parse_ok(body: &str) -> QuizBody {
        let (parsed, diags) = run(body);
        assert!(diags.is_empty(), "unexpected diagnostics: {diags:#?}");
        assert_eq!(parsed.written, parsed.questions.len());
        parsed
    }

    fn one(body: &str) -> QuestionSource {
        let mut q = parse_ok(body).questions;
        assert_eq!(q.len(), 1, "{q:#?}");
        q.remove(0)
    }

    /// The diagnostics of a body that must fail, with the questions that still parsed.
    fn errors(body: &str) -> Vec<String> {
        let (_, diags) = run(body);
        assert!(!diags.is_empty(), "expected an error for {body:?}");
        diags
    }

    fn choices(q: &QuestionSource) -> Vec<(&str, bool, Option<&str>)> {
        match &q.answer {
            AnswerSource::Choices(c) => c
                .iter()
                .map(|c| {
                    (
                        c.text.text.as_str(),
                        c.correct,
                        c.feedback.as_ref().map(|f| f.text.as_str()),
                    )
                })
                .collect(),
            other => panic!("not a choice question: {other:?}"),
        }
    }

    fn numeric(q: &QuestionSource) -> Numeric {
        assert_eq!(q.kind, QuestionKind::Numeric);
        match q.answer {
            AnswerSource::Numeric(n) => n,
            ref other => panic!("not numeric: {other:?}"),
        }
    }

    fn exact(value: f64, tolerance: f64) -> Numeric {
        Numeric::Exact { value, tolerance }
    }

    // ---- question types -------------------------------------------------------------------

    #[test]
    fn one_checked_option_is_single_choice() {
        let q = one("## Apa tujuan standar pelayanan?\n\n- [ ] Menambah birokrasi\n- [x] Memberi kepastian\n- [ ] Membatasi pemohon\n");
        assert_eq!(q.kind, QuestionKind::Single);
        assert_eq!(q.line, 10);
        assert_eq!(q.heading, "Apa tujuan standar pelayanan?");
        assert_eq!(q.prompt.text, "Apa tujuan standar pelayanan?");
        assert_eq!(q.prompt.line, 10);
        assert_eq!(q.details, None);
        assert_eq!(
            choices(&q),
            vec![
                ("Menambah birokrasi", false, None),
                ("Memberi kepastian", true, None),
                ("Membatasi pemohon", false, None)
            ]
        );
        let AnswerSource::Choices(c) = &q.answer else {
            unreachable!()
        };
        assert_eq!(
            c.iter().map(|c| c.text.line).collect::<Vec<_>>(),
            vec![12, 13, 14]
        );
        assert_eq!(q.feedback, None);
    }

    #[test]
    fn two_or_more_checked_options_are_multiple_answer() {
        let q = one("## Pilih semua komponen.\n\n- [x] Persyaratan\n- [X] Jangka waktu\n* [x] Biaya\n+ [ ] Nama petugas\n");
        assert_eq!(q.kind, QuestionKind::Multiple);
        assert_eq!(
            choices(&q).iter().map(|c| c.1).collect::<Vec<_>>(),
            vec![true, true, true, false]
        );
    }

    #[test]
    fn benar_salah_and_true_false_are_true_false() {
        for (body, right) in [
            (
                "## Maklumat wajib dipublikasikan.\n\n- [x] Benar\n- [ ] Salah\n",
                0,
            ),
            ("## Pernyataan.\n\n- [ ] benar\n- [x] SALAH\n", 1),
            ("## Statement.\n\n- [ ] True\n- [x] False\n", 1),
            ("## Statement.\n\n- [x] true\n- [ ] false\n", 0),
            (
                "## Dengan umpan balik.\n\n- [x] Benar -- Tepat.\n- [ ] Salah -- Bukan.\n",
                0,
            ),
        ] {
            let q = one(body);
            assert_eq!(q.kind, QuestionKind::TrueFalse, "{body}");
            let c = choices(&q);
            assert_eq!(c.len(), 2);
            assert!(c[right].1 && !c[1 - right].1, "{body}");
        }
        // mixing the languages, or a third option, makes an ordinary choice question
        assert_eq!(
            one("## Campur.\n\n- [x] Benar\n- [ ] False\n").kind,
            QuestionKind::Single
        );
        assert_eq!(
            one("## Tiga.\n\n- [x] Benar\n- [ ] Salah\n- [ ] Tidak tahu\n").kind,
            QuestionKind::Single
        );
    }

    #[test]
    fn equals_with_words_is_short_answer_with_alternatives() {
        let q = one("## Kepanjangan dari ASN adalah ...\n\n= Aparatur Sipil Negara\n");
        assert_eq!(q.kind, QuestionKind::ShortAnswer);
        assert_eq!(
            q.answer,
            AnswerSource::Short(vec!["Aparatur Sipil Negara".into()])
        );
        let q =
            one("## Lembaga pengawas pelayanan publik?\n\n=   Ombudsman |Ombudsman RI| ORI  \n");
        assert_eq!(
            q.answer,
            AnswerSource::Short(vec![
                "Ombudsman".into(),
                "Ombudsman RI".into(),
                "ORI".into()
            ])
        );
        // digits among words are still a short answer
        let q = one("## Nama kanal?\n\n= SP4N-LAPOR! | LAPOR\n");
        assert_eq!(q.kind, QuestionKind::ShortAnswer);
    }

    #[test]
    fn equals_with_a_number_is_numeric() {
        for (line, want) in [
            ("= 14", exact(14.0, 0.0)),
            ("= -3", exact(-3.0, 0.0)),
            ("= 2.78", exact(2.78, 0.0)),
            ("= 2,5", exact(2.5, 0.0)),
            ("= 1e3", exact(1000.0, 0.0)),
            ("= 14 ± 0.5", exact(14.0, 0.5)),
            ("= 14±0.5", exact(14.0, 0.5)),
            ("= 14 +/- 0.5", exact(14.0, 0.5)),
            ("= 14 +- 0.5", exact(14.0, 0.5)),
            ("= 2,5 ± 0,1", exact(2.5, 0.1)),
            (
                "= 10..20",
                Numeric::Range {
                    min: 10.0,
                    max: 20.0,
                },
            ),
            (
                "= 10 .. 20",
                Numeric::Range {
                    min: 10.0,
                    max: 20.0,
                },
            ),
            ("= 0..3", Numeric::Range { min: 0.0, max: 3.0 }),
            (
                "= -5..-1",
                Numeric::Range {
                    min: -5.0,
                    max: -1.0,
                },
            ),
            ("= 7..7", Numeric::Range { min: 7.0, max: 7.0 }),
        ] {
            let q = one(&format!("## Berapa?\n\n{line}\n"));
            assert_eq!(numeric(&q), want, "{line}");
        }
    }

    #[test]
    fn options_carry_their_own_feedback() {
        let q = one("## Q\n\n- [ ] Menambah tahapan -- Bukan; justru menyederhanakan.\n- [x] Kepastian --  Tepat sekali.  \n- [ ] Tanpa umpan balik\n- [ ] Umpan balik kosong --\n- [ ] Pilihan--tanpa spasi\n");
        assert_eq!(
            choices(&q),
            vec![
                (
                    "Menambah tahapan",
                    false,
                    Some("Bukan; justru menyederhanakan.")
                ),
                ("Kepastian", true, Some("Tepat sekali.")),
                ("Tanpa umpan balik", false, None),
                ("Umpan balik kosong", false, None),
                ("Pilihan--tanpa spasi", false, None),
            ]
        );
        let AnswerSource::Choices(c) = &q.answer else {
            unreachable!()
        };
        assert_eq!(c[0].feedback.as_ref().unwrap().line, 12);
    }

    #[test]
    fn option_continuation_lines_join_the_text_or_the_feedback() {
        let q = one("## Q\n\n- [x] Pilihan yang\n  panjang sekali\n- [ ] Pilihan -- Umpan balik yang\n  berlanjut\n");
        assert_eq!(
            choices(&q),
            vec![
                ("Pilihan yang panjang sekali", true, None),
                ("Pilihan", false, Some("Umpan balik yang berlanjut")),
            ]
        );
    }

    #[test]
    fn a_blockquote_after_the_answers_is_the_feedback() {
        let q = one("## Q\n\n- [x] A\n- [ ] B\n\n> Baris satu\n> baris dua\nlanjutan malas\n>\n> Paragraf kedua.\n");
        let f = q.feedback.unwrap();
        assert_eq!(f.line, 15);
        assert_eq!(
            f.text,
            "Baris satu\nbaris dua\nlanjutan malas\n\nParagraf kedua."
        );
        // two blockquotes with a blank line between stay two paragraphs, lines exact
        let q = one("## Q\n\n= 20\n\n> Satu.\n\n> Dua.\n\n");
        let f = q.feedback.unwrap();
        assert_eq!(f.text, "Satu.\n\nDua.");
        assert_eq!(f.line, 14);
        assert_eq!(q.kind, QuestionKind::Numeric);
        // `>` with no space and a nested quote
        let q = one("## Q\n\n= a\n>Rapat\n>> kutipan\n");
        assert_eq!(q.feedback.unwrap().text, "Rapat\n> kutipan");
    }

    #[test]
    fn the_prompt_takes_paragraphs_images_and_code() {
        let body = "## Perhatikan kode berikut.\n\nApa keluarannya?\n\n![Alur](assets/alur.png)\n\n```python\n## bukan soal\n- [x] bukan pilihan\n= bukan jawaban\n> bukan umpan balik\n```\n\n~~~\n## juga bukan soal\n~~~\n\n    ## kode terindentasi\n\n### Subjudul\n\n- butir daftar biasa\n\n> kutipan dalam soal\n\n- [x] 1\n- [ ] 2\n";
        let parsed = parse_ok(body);
        assert_eq!(parsed.questions.len(), 1, "{parsed:#?}");
        let q = &parsed.questions[0];
        assert_eq!(q.kind, QuestionKind::Single);
        assert_eq!(q.heading, "Perhatikan kode berikut.");
        let d = q.details.as_ref().unwrap();
        assert_eq!(d.line, 12, "details start at their own line");
        assert!(
            d.text.starts_with("Apa keluarannya?\n\n![Alur]"),
            "{}",
            d.text
        );
        assert!(d.text.contains("```python\n## bukan soal\n- [x] bukan pilihan\n= bukan jawaban\n> bukan umpan balik\n```"));
        assert!(d.text.contains("~~~\n## juga bukan soal\n~~~"));
        assert!(d.text.contains("    ## kode terindentasi"));
        assert!(d.text.ends_with("> kutipan dalam soal"), "{}", d.text);
        assert_eq!(
            q.prompt.text,
            format!("Perhatikan kode berikut.\n\n{}", d.text)
        );
        assert_eq!(choices(q).len(), 2);
    }

    #[test]
    fn a_longer_fence_is_closed_only_by_a_fence_as_long() {
        let parsed = parse_ok("## Q\n\n````\n```\n## masih kode\n```\n````\n\n- [x] a\n- [ ] b\n");
        assert_eq!(parsed.questions.len(), 1);
    }

    #[test]
    fn prompt_in_the_lines_below_an_empty_heading_is_accepted() {
        let q = one("##\nTeks soal di bawah judul kosong.\n\n= 5\n");
        assert_eq!(q.heading, "");
        assert_eq!(q.prompt.text, "Teks soal di bawah judul kosong.");
        assert_eq!(q.details.unwrap().line, 11);
    }

    #[test]
    fn headings_follow_commonmark() {
        let parsed = parse_ok(
            "## Judul dengan penutup ##\n\n= a\n\n   ## Apa itu C#?\n\n= b\n\n##\tTab\n\n= c\n",
        );
        let headings: Vec<&str> = parsed
            .questions
            .iter()
            .map(|q| q.heading.as_str())
            .collect();
        assert_eq!(headings, vec!["Judul dengan penutup", "Apa itu C#?", "Tab"]);
        // `###` and `##x` are not questions
        let parsed = parse_ok("## Q\n\n### Sub\n##bukan\n\n= a\n");
        assert_eq!(parsed.questions.len(), 1);
        assert!(parsed.questions[0]
            .details
            .as_ref()
            .unwrap()
            .text
            .contains("##bukan"));
    }

    #[test]
    fn text_before_the_first_question_is_the_intro() {
        let parsed = parse_ok("\nKerjakan dengan teliti.\n\n# Petunjuk\n\n- butir\n- [x] ini bagian pengantar\n\n## Q\n\n= 1\n");
        let intro = parsed.intro.unwrap();
        assert_eq!(intro.line, 11);
        assert_eq!(
            intro.text,
            "Kerjakan dengan teliti.\n\n# Petunjuk\n\n- butir\n- [x] ini bagian pengantar"
        );
        assert_eq!(parsed.questions.len(), 1);
        assert_eq!(parsed.questions[0].line, 18);
        assert_eq!(parse_ok("## Q\n\n= 1\n").intro, None);
        assert_eq!(parse_ok("\n\n## Q\n\n= 1\n").intro, None);
    }

    #[test]
    fn crlf_and_bom_normalized_by_the_caller_parse_the_same() {
        let lf = "Petunjuk.\n\n## Q1\n\nTeks.\n\n- [x] A -- ya\n- [ ] B\n\n> Umpan\n> balik\n\n## Q2\n\n= 10..20\n";
        let crlf = format!("\u{feff}{}", lf.replace('\n', "\r\n"));
        let normalized = crate::catalog::frontmatter::normalize(&crlf);
        assert_eq!(normalized, lf);
        assert_eq!(parse_ok(&normalized), parse_ok(lf));
    }

    #[test]
    fn several_questions_keep_their_lines_and_count() {
        let parsed = parse_ok("## A\n\n= 1\n\n## B\n\n- [x] Benar\n- [ ] Salah\n## C\n= x\n");
        assert_eq!(
            parsed.questions.iter().map(|q| q.line).collect::<Vec<_>>(),
            vec![10, 14, 18]
        );
        assert_eq!(parsed.written, 3);
        assert_eq!(
            parsed.questions.iter().map(|q| q.kind).collect::<Vec<_>>(),
            vec![
                QuestionKind::Numeric,
                QuestionKind::TrueFalse,
                QuestionKind::ShortAnswer
            ]
        );
    }

    // ---- errors ---------------------------------------------------------------------------

    fn single_error(body: &str, line: usize, starts: &str) {
        let diags = errors(body);
        assert_eq!(diags.len(), 1, "{body:?}: {diags:#?}");
        let want = format!("kuis.md:{line}: {starts}");
        assert!(diags[0].starts_with(&want), "{body:?}: {diags:#?}");
    }

    #[test]
    fn a_question_with_no_answer_part_is_an_error() {
        single_error(
            "## Q tanpa jawaban\n\nHanya teks.\n",
            10,
            "question has no answers",
        );
        single_error("## Q\n", 10, "question has no answers");
        // a plain list (no checkboxes) is prompt, not an answer part
        single_error("## Q\n\n- satu\n- dua\n", 10, "question has no answers");
        let (parsed, _) = run("## Q\n");
        assert_eq!((parsed.questions.len(), parsed.written), (0, 1));
    }

    #[test]
    fn a_task_list_with_no_x_is_an_error() {
        single_error(
            "## Q\n\n- [ ] a\n- [ ] b\n",
            10,
            "the task list has no `[x]`",
        );
        single_error(
            "## Q\n\n- [ ] Benar\n- [ ] Salah\n",
            10,
            "the task list has no `[x]`",
        );
    }

    #[test]
    fn two_answer_parts_are_an_error_at_the_second() {
        single_error(
            "## Q\n\n- [x] a\n- [ ] b\n\n= 20\n",
            15,
            "two answer parts in one question",
        );
        single_error(
            "## Q\n\n= 20\n- [x] a\n",
            13,
            "two answer parts in one question",
        );
        single_error(
            "## Q\n\n= 20\n\n= 21\n",
            14,
            "two answer parts in one question",
        );
        // the second part's own problems are not reported on top
        single_error(
            "## Q\n\n- [ ] a\n= 20\n",
            13,
            "two answer parts in one question",
        );
    }

    #[test]
    fn an_empty_prompt_is_an_error() {
        single_error(
            "##\n\n- [x] a\n- [ ] b\n",
            10,
            "the question has an empty prompt",
        );
        single_error("## ##\n\n= 1\n", 10, "the question has an empty prompt");
        single_error("##   \n\n= 1\n", 10, "the question has an empty prompt");
        // with no answers either, both are reported
        let diags = errors("##\n");
        assert_eq!(diags.len(), 2, "{diags:#?}");
    }

    #[test]
    fn a_numeric_answer_that_does_not_parse_is_an_error_at_its_line() {
        for bad in [
            "14 ± x",
            "14 ±",
            "± 2",
            "14 +/- lima",
            "10..x",
            "10..",
            "..20",
            "10...20",
            "1..2..3",
            "1.2.3",
            "1,2,3",
            "1 000",
            "12e",
        ] {
            single_error(
                &format!("## Berapa?\n\n= {bad}\n"),
                12,
                &format!("numeric answer `{bad}` does not parse"),
            );
        }
    }

    #[test]
    fn a_reversed_range_or_negative_tolerance_is_an_error() {
        single_error(
            "## Q\n\n= 20..10\n",
            12,
            "the range `20..10` starts above its end",
        );
        single_error(
            "## Q\n\n= -1..-5\n",
            12,
            "the range `-1..-5` starts above its end",
        );
        single_error(
            "## Q\n\n= 14 ± -1\n",
            12,
            "the tolerance in `14 ± -1` is negative",
        );
    }

    #[test]
    fn bad_equals_lines_are_errors() {
        single_error("## Q\n\n=\n", 12, "the `=` line has no answer");
        single_error("## Q\n\n=   \n", 12, "the `=` line has no answer");
        single_error("## Q\n\n= a || b\n", 12, "`= a || b` has an empty answer");
        single_error("## Q\n\n= a |\n", 12, "`= a |` has an empty answer");
    }

    #[test]
    fn bad_option_lists_are_errors() {
        single_error(
            "## Q\n\n- [x] satu-satunya\n",
            10,
            "a choice question needs at least two options",
        );
        single_error(
            "## Q\n\n- [x] Sama\n- [ ] sama\n",
            10,
            "two options read `sama`",
        );
        single_error(
            "## Q\n\n- [x]\n- [ ] b\n",
            10,
            "the option on line 12 has no text",
        );
        single_error(
            "## Q\n\n- [x] Benar\n- [x] Salah\n",
            10,
            "a true/false question needs exactly one `[x]`",
        );
        single_error(
            "## Q\n\n- [x] a\n- b\n",
            13,
            "a list item without a checkbox among the options",
        );
    }

    #[test]
    fn text_after_the_answers_is_an_error() {
        single_error(
            "## Q\n\n- [x] a\n- [ ] b\n\nLupa judul.\n",
            15,
            "text after the answers",
        );
        single_error("## Q\n\n= 1\nteks\n", 13, "text after the answers");
        single_error(
            "## Q\n\n- [x] a\n- [ ] b\n\n  menjorok setelah baris kosong\n",
            15,
            "text after the answers",
        );
        single_error(
            "## Q\n\n- [x] a\n- [ ] b\n\n```\nkode\n```\n",
            15,
            "text after the answers",
        );
    }

    #[test]
    fn answers_or_text_after_the_feedback_are_errors() {
        single_error(
            "## Q\n\n- [x] a\n- [ ] b\n\n> Umpan balik.\n\n- [ ] c\n",
            17,
            "answers after the feedback",
        );
        single_error("## Q\n\n= 1\n> f\n= 2\n", 14, "answers after the feedback");
        single_error(
            "## Q\n\n= 1\n\n> f\n\nTeks lepas.\n",
            16,
            "text after the feedback",
        );
    }

    #[test]
    fn every_broken_question_is_reported_and_the_rest_still_parse() {
        let (parsed, diags) = run("Pengantar.\n\n## Baik\n\n= 1\n\n## Tanpa jawaban\n\n## Tanpa x\n\n- [ ] a\n- [ ] b\n\n##\n\n= 2\n\n## Angka\n\n= 1.2.3\n\n## Baik juga\n\n- [x] Benar\n- [ ] Salah\n");
        let prefixes: Vec<&str> = diags
            .iter()
            .map(|d| d.split(": ").next().unwrap())
            .collect();
        assert_eq!(
            prefixes,
            vec!["kuis.md:16", "kuis.md:18", "kuis.md:23", "kuis.md:29"],
            "{diags:#?}"
        );
        assert_eq!(parsed.written, 6);
        assert_eq!(
            parsed
                .questions
                .iter()
                .map(|q| q.heading.as_str())
                .collect::<Vec<_>>(),
            vec!["Baik", "Baik juga"]
        );
    }

    // ---- numbers and answers --------------------------------------------------------------

    #[test]
    fn numeric_accepts_bounds_inclusively() {
        let n = exact(14.0, 0.5);
        for x in [13.5, 13.75, 14.0, 14.5] {
            assert!(n.accepts(x), "{x}");
        }
        for x in [13.49, 14.51, -14.0] {
            assert!(!n.accepts(x), "{x}");
        }
        let n = exact(14.0, 0.0);
        assert!(n.accepts(14.0));
        assert!(!n.accepts(14.001) && !n.accepts(13.999));
        // decimal fractions that binary floats cannot hold exactly
        assert!(exact(0.3, 0.0).accepts(0.1 + 0.2));
        assert!(exact(2.78, 0.05).accepts(2.83) && exact(2.78, 0.05).accepts(2.73));
        assert!(!exact(2.78, 0.05).accepts(2.84));
        assert!(exact(0.0, 0.0).accepts(0.0) && !exact(0.0, 0.0).accepts(1e-6));

        let r = Numeric::Range {
            min: 10.0,
            max: 20.0,
        };
        for x in [10.0, 10.5, 15.0, 20.0] {
            assert!(r.accepts(x), "{x}");
        }
        for x in [9.999, 20.001, -15.0] {
            assert!(!r.accepts(x), "{x}");
        }
        let r = Numeric::Range {
            min: -5.0,
            max: -1.0,
        };
        assert!(r.accepts(-5.0) && r.accepts(-1.0) && !r.accepts(0.0) && !r.accepts(-5.01));
    }

    #[test]
    fn numbers_parse_with_a_decimal_point_or_a_single_comma() {
        assert_eq!(parse_number("14"), Some(14.0));
        assert_eq!(parse_number(" -2.5 "), Some(-2.5));
        assert_eq!(parse_number("+3"), Some(3.0));
        assert_eq!(parse_number("2,5"), Some(2.5));
        assert_eq!(parse_number("\u{2212}4"), Some(-4.0));
        for bad in [
            "", "x", "1.2.3", "1,2,3", "1,2.3", "inf", "NaN", "1e999", "1 000", ".",
        ] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn short_answers_fold_case_and_spaces() {
        assert_eq!(
            fold_short_answer("  Aparatur   Sipil\tNegara \n"),
            "aparatur sipil negara"
        );
        assert_eq!(fold_short_answer("SP4N-LAPOR!"), "sp4n-lapor!");
        assert_eq!(
            fold_short_answer("BerAKHLAK"),
            fold_short_answer("berakhlak")
        );
        assert_eq!(fold_short_answer(""), "");
        assert_ne!(
            fold_short_answer("Ber AKHLAK"),
            fold_short_answer("BerAKHLAK")
        );
    }

    #[test]
    fn kind_codes_round_trip() {
        for k in [
            QuestionKind::Single,
            QuestionKind::Multiple,
            QuestionKind::TrueFalse,
            QuestionKind::ShortAnswer,
            QuestionKind::Numeric,
        ] {
            assert_eq!(QuestionKind::parse(k.code()), Some(k));
        }
        assert_eq!(QuestionKind::parse("essay"), None);
    }

    // ---- robustness -----------------------------------------------------------------------

    /// Random text built from the format's own tokens (and some hostile ones): parsing never
    /// panics, reports lines inside the text, and an error-free body keeps every question.
    #[test]
    fn random_bodies_never_panic() {
        use rand::rngs::StdRng;
        use rand::seq::IndexedRandom;
        use rand::{Rng, SeedableRng};

        const TOKENS: &[&str] = &[
            "## ",
            "##",
            "###",
            "- [x] ",
            "- [ ] ",
            "* [X]",
            "= ",
            "=",
            "> ",
            ">",
            "```",
            "~~~",
            "    ",
            "+++",
            "\n",
            "\n",
            "\n",
            "\r\n",
            "\r",
            " ",
            "\t",
            "±",
            "+/-",
            "..",
            "|",
            " -- ",
            "--",
            "14",
            "2,5",
            "-1",
            "1e3",
            "a",
            "Benar",
            "Salah",
            "True",
            "é",
            "😀",
            "\u{feff}",
            "#",
            "-",
            "[",
            "]",
            "x",
            "title = \"t\"",
            "kind = \"quiz\"",
            "\"",
        ];
        let mut rng = StdRng::seed_from_u64(0xca4a9);
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..rng.random_range(0..60) {
                if rng.random_bool(0.1) {
                    text.push(rng.random::<char>());
                } else {
                    text.push_str(TOKENS.choose(&mut rng).unwrap());
                }
            }
            for input in [text.clone(), crate::catalog::frontmatter::normalize(&text)] {
                let lines = input.lines().count().max(1);
                let (parsed, _) = run(&input);
                let mut diags = Vec::new();
                parse(
                    &input,
                    10,
                    &mut Sink {
                        path: "k.md",
                        out: &mut diags,
                    },
                );
                for d in &diags {
                    assert!(
                        (10..10 + lines).contains(&d.line),
                        "{d} outside the text {input:?}"
                    );
                }
                if diags.is_empty() {
                    assert_eq!(parsed.questions.len(), parsed.written, "{input:?}");
                }
                assert!(parsed.questions.len() <= parsed.written);
                if let Ok(s) = crate::catalog::frontmatter::split(&input) {
                    assert!(input.ends_with(s.body), "{input:?}");
                    assert!(s.body_line >= 3);
                }
                for line in input.lines() {
                    let _ = parse_equals(line);
                    let _ = parse_number(line);
                }
            }
        }
    }
}

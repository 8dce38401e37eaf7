//! The generated learning history, written in batched multi-row INSERTs: for each person some
//! completed courses (enrolment, lessons read, a passed attempt per quiz, the completion, its
//! competency evidence and certificate), the milestones those earn, and, for a third of the
//! people, one course in progress.

use std::collections::HashMap;

use chrono::{Duration, Months, NaiveDateTime, Utc};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

use super::sql::{Batch, V};
use super::{next_id, CertificateNumbers, Course, SeedError, Someone, Summary};
use crate::certificates::model::{Certificate, CompetencyLevel};
use crate::certificates::{code, credential, Issuer};
use crate::competency::milestones::{self, Event, What};
use crate::db::schema::competencies;
use crate::db::DbConnection;

/// What to write: `completions` completed courses spread over `people` (each picks from `catalog`).
pub(super) struct Plan<'a> {
    pub catalog: &'a [Course],
    pub people: &'a [Someone],
    pub completions: usize,
}

/// Write the history of `plan`, counting what was written into `s`.
pub(super) fn write(
    conn: &mut DbConnection,
    issuer: &Issuer,
    plan: Plan<'_>,
    rng: &mut StdRng,
    s: &mut Summary,
    progress: &mut dyn FnMut(&str),
) -> Result<(), SeedError> {
    let now = Utc::now().naive_utc();
    let mut w = Writer::start(conn, issuer)?;
    let catalog = plan.catalog;
    let n = plan.people.len().max(1);
    let mut left = plan.completions;
    let mut order: Vec<usize> = (0..catalog.len()).collect();
    let mut done_total = 0usize;
    let mut next_report = 100_000;
    for (k, person) in plan.people.iter().enumerate() {
        let count = courses_for(left, n - k, catalog.len(), rng);
        left -= count;
        order.shuffle(rng);
        let mut dates: Vec<NaiveDateTime> = (0..count)
            .map(|_| now - Duration::minutes(rng.random_range(60..730 * 24 * 60)))
            .collect();
        dates.sort();
        let mut events = Vec::new();
        for (j, &ci) in order.iter().take(count).enumerate() {
            let c = &catalog[ci];
            let done = dates[j];
            let enrolled = done - Duration::hours(rng.random_range(2..24 * 20));
            w.completed(person, c, enrolled, done, &mut events, s)?;
            done_total += 1;
        }
        w.milestones(person, &events);
        // one course in progress for a third of the people: enrolled, first lesson read
        if k % 3 == 0 && count < catalog.len() {
            let enrolled = now - Duration::hours(rng.random_range(1..24 * 60));
            w.in_progress(person, &catalog[order[count]], enrolled, s);
        }
        if w.b.full() {
            w.b.flush(conn)?;
        }
        if done_total >= next_report {
            progress(&format!("  {done_total} completions written"));
            next_report += 100_000;
        }
    }
    w.b.flush(conn)?;
    w.seq.save(conn)?;
    Ok(())
}

/// How many courses the next person completed: what is left spread evenly over who is left,
/// ±50 %; the last person takes the rest (as far as the catalogue goes).
fn courses_for(left: usize, people_left: usize, courses: usize, rng: &mut StdRng) -> usize {
    let fair = left.div_ceil(people_left);
    let count = if fair == 0 {
        0
    } else {
        rng.random_range(fair / 2..=fair + fair / 2)
    };
    if people_left == 1 {
        left.min(courses)
    } else {
        count.min(left).min(courses)
    }
}

/// The columns written to `enrollments`.
const ENROLLMENT_COLUMNS: &[&str] = &[
    "id",
    "user_id",
    "course_id",
    "version_id",
    "source",
    "assigned_by",
    "due_at",
    "enrolled_at",
    "last_module_id",
    "last_seen_at",
    "completed_at",
    "cycle",
];

/// The columns written to `lesson_progress`.
const LESSON_COLUMNS: &[&str] = &["enrollment_id", "module_id", "done_at", "recorded_at"];

/// The columns written to `quiz_attempts`.
const ATTEMPT_COLUMNS: &[&str] = &[
    "enrollment_id",
    "module_id",
    "number",
    "paper",
    "started_at",
    "deadline_at",
    "submitted_at",
    "answers",
    "results",
    "score",
    "passed",
    "late",
];

/// The columns written to `completions`.
const COMPLETION_COLUMNS: &[&str] = &[
    "id",
    "enrollment_id",
    "user_id",
    "course_id",
    "version_id",
    "completed_at",
    "jp",
    "competencies",
    "score",
];

/// The columns written to `competency_evidence`.
const EVIDENCE_COLUMNS: &[&str] = &[
    "user_id",
    "code",
    "level",
    "source_kind",
    "source_id",
    "title",
    "earned_at",
];

/// The columns written to `certificates`.
const CERTIFICATE_COLUMNS: &[&str] = &[
    "code",
    "number",
    "user_id",
    "completion_id",
    "course_id",
    "agency_id",
    "holder_name",
    "holder_nip",
    "agency",
    "course_slug",
    "course_title",
    "course_version",
    "jp",
    "competencies",
    "completed_at",
    "issued_at",
    "expires_at",
    "issuer",
    "signatory_name",
    "signatory_title",
    "kid",
    "jwt",
    "time_zone",
];

/// The columns written to `milestones`.
const MILESTONE_COLUMNS: &[&str] = &[
    "user_id",
    "key",
    "kind",
    "year",
    "code",
    "level",
    "earned_at",
    "recorded_at",
];

/// One batch per table, flushed together (parents first).
struct Batches {
    enrollments: Batch,
    lessons: Batch,
    attempts: Batch,
    completions: Batch,
    evidence: Batch,
    certificates: Batch,
    milestones: Batch,
}

impl Batches {
    fn new() -> Batches {
        Batches {
            enrollments: Batch::new("enrollments", ENROLLMENT_COLUMNS),
            lessons: Batch::new("lesson_progress", LESSON_COLUMNS),
            attempts: Batch::new("quiz_attempts", ATTEMPT_COLUMNS),
            completions: Batch::new("completions", COMPLETION_COLUMNS),
            evidence: Batch::new("competency_evidence", EVIDENCE_COLUMNS),
            certificates: Batch::new("certificates", CERTIFICATE_COLUMNS),
            milestones: Batch::new("milestones", MILESTONE_COLUMNS),
        }
    }

    /// Enough pending to write.
    fn full(&self) -> bool {
        self.enrollments.pending_rows() >= 1_000 || self.certificates.pending_rows() >= 500
    }

    /// Write the pending rows of every table, parents first, in one transaction.
    fn flush(&mut self, conn: &mut DbConnection) -> Result<(), SeedError> {
        crate::db::transaction(conn, |conn| {
            for b in [
                &mut self.enrollments,
                &mut self.lessons,
                &mut self.attempts,
                &mut self.completions,
                &mut self.evidence,
                &mut self.certificates,
                &mut self.milestones,
            ] {
                b.flush(conn)?;
            }
            Ok::<_, SeedError>(())
        })
    }
}

/// The rows being written and the ids and numbers they take next.
struct Writer<'a> {
    issuer: &'a Issuer,
    /// Competency names by code (certificates carry them).
    names: HashMap<String, String>,
    seq: CertificateNumbers,
    enroll_id: i64,
    completion_id: i64,
    b: Batches,
}

impl<'a> Writer<'a> {
    /// Continue after what the database holds.
    fn start(conn: &mut DbConnection, issuer: &'a Issuer) -> Result<Writer<'a>, SeedError> {
        Ok(Writer {
            issuer,
            names: competencies::table
                .select((competencies::code, competencies::name))
                .load::<(String, String)>(conn)?
                .into_iter()
                .collect(),
            seq: CertificateNumbers::load(conn)?,
            enroll_id: next_id(conn, "enrollments")?,
            completion_id: next_id(conn, "completions")?,
            b: Batches::new(),
        })
    }

    /// A course `person` enrolled in at `enrolled` and completed at `done`: every lesson read,
    /// every quiz passed at the first attempt, the completion, its evidence, its certificate.
    /// The completion's events go to `events` (for the milestones).
    fn completed(
        &mut self,
        person: &Someone,
        c: &Course,
        enrolled: NaiveDateTime,
        done: NaiveDateTime,
        events: &mut Vec<Event>,
        s: &mut Summary,
    ) -> Result<(), SeedError> {
        let (enroll_id, completion_id) = (self.enroll_id, self.completion_id);
        let last_module = c
            .quizzes
            .last()
            .map(|q| q.module_id)
            .or(c.lessons.last().copied());
        enrollment_row(
            &mut self.b.enrollments,
            enroll_id,
            person.id,
            c,
            enrolled,
            last_module,
            Some(done),
        );
        let best = self.lesson_and_quiz_rows(enroll_id, c, enrolled, done);
        let comps_json = serde_json::to_string(&c.competencies).unwrap_or_else(|_| "[]".into());
        self.b.completions.row(&[
            V::I(completion_id),
            V::I(enroll_id),
            V::I(person.id),
            V::I(c.id),
            V::I(c.version_id),
            V::At(done),
            V::I(c.jp.into()),
            V::S(comps_json),
            best.map(|b| V::I(b.into())).unwrap_or(V::Null),
        ]);
        events.push(Event {
            at: done,
            what: What::Course {
                course_id: c.id,
                jp: c.jp.into(),
            },
        });
        self.evidence_rows(person, c, completion_id, done, events);
        if c.certificate {
            self.certificate(person, c, done)?;
            s.certificates += 1;
        }
        self.enroll_id += 1;
        self.completion_id += 1;
        s.enrollments += 1;
        s.lessons_done += c.lessons.len();
        s.attempts += c.quizzes.len();
        s.completions += 1;
        s.evidence += c.competencies.len();
        Ok(())
    }

    /// Every lesson read, spread over the time from `enrolled` to `done`, and every quiz passed
    /// at the first attempt just before `done`; returns the best quiz score.
    fn lesson_and_quiz_rows(
        &mut self,
        enroll_id: i64,
        c: &Course,
        enrolled: NaiveDateTime,
        done: NaiveDateTime,
    ) -> Option<i32> {
        let span = (done - enrolled).num_minutes().max(1);
        for (li, m) in c.lessons.iter().enumerate() {
            let at =
                enrolled + Duration::minutes(span * (li as i64 + 1) / (c.lessons.len() as i64 + 2));
            self.b
                .lessons
                .row(&[V::I(enroll_id), V::I(*m), V::At(at), V::At(at)]);
        }
        let mut best = None;
        for q in &c.quizzes {
            self.b.attempts.row(&[
                V::I(enroll_id),
                V::I(q.module_id),
                V::I(1),
                V::T(&q.paper),
                V::At(done - Duration::minutes(25)),
                V::Null,
                V::At(done),
                V::T(&q.answers),
                V::T(&q.results),
                V::I(q.score.into()),
                V::B(true),
                V::B(false),
            ]);
            best = best.max(Some(q.score));
        }
        best
    }

    /// The competency evidence of the completion, each level also an event for the milestones.
    fn evidence_rows(
        &mut self,
        person: &Someone,
        c: &Course,
        completion_id: i64,
        done: NaiveDateTime,
        events: &mut Vec<Event>,
    ) {
        for (code, level) in &c.competencies {
            self.b.evidence.row(&[
                V::I(person.id),
                V::T(code),
                V::I((*level).into()),
                V::T("course"),
                V::I(completion_id),
                V::T(&c.title),
                V::At(done),
            ]);
            events.push(Event {
                at: done,
                what: What::Level {
                    code: code.clone(),
                    level: *level,
                    source: crate::competency::levels::Source::Evidence,
                },
            });
        }
    }

    /// The signed certificate of the completion being written.
    fn certificate(
        &mut self,
        person: &Someone,
        c: &Course,
        done: NaiveDateTime,
    ) -> Result<(), SeedError> {
        let issuer = self.issuer;
        let year = crate::clock::platform_default().year_of(done);
        let cert = Certificate {
            id: 0,
            code: code::generate(),
            number: code::number(&issuer.config.prefix, year, self.seq.next(year)),
            user_id: person.id,
            completion_id: self.completion_id,
            course_id: c.id,
            holder_name: person.name.clone(),
            holder_nip: Some(person.nip.clone()),
            agency: Some(person.agency.clone()),
            course_slug: c.slug.clone(),
            course_title: c.title.clone(),
            course_version: c.hash.chars().take(12).collect(),
            jp: c.jp,
            competencies: c
                .competencies
                .iter()
                .map(|(code, level)| CompetencyLevel {
                    code: code.clone(),
                    name: self
                        .names
                        .get(code)
                        .cloned()
                        .unwrap_or_else(|| code.clone()),
                    level: *level,
                })
                .collect(),
            completed_at: done,
            issued_at: done,
            expires_at: c
                .valid_months
                .filter(|m| *m > 0)
                .and_then(|m| done.checked_add_months(Months::new(m as u32))),
            issuer: issuer.config.issuer.clone(),
            signatory_name: issuer.config.signatory_name.clone(),
            signatory_title: issuer.config.signatory_title.clone(),
            kid: issuer.signer.kid().to_string(),
            jwt: String::new(),
            revoked_at: None,
            revoked_by: None,
            revoked_reason: None,
            reminded_at: None,
            partner: None,
            zone: crate::clock::platform_default(),
        };
        let jwt = credential::sign(&cert, &issuer.base_url, &issuer.signer)?;
        self.b.certificates.row(&[
            V::T(&cert.code),
            V::T(&cert.number),
            V::I(cert.user_id),
            V::I(self.completion_id),
            V::I(c.id),
            V::I(person.agency_id),
            V::T(&cert.holder_name),
            V::T(&person.nip),
            V::T(&person.agency),
            V::T(&cert.course_slug),
            V::T(&cert.course_title),
            V::T(&cert.course_version),
            V::I(cert.jp.into()),
            V::S(serde_json::to_string(&cert.competencies).unwrap_or_else(|_| "[]".into())),
            V::At(done),
            V::At(done),
            cert.expires_at.map(V::At).unwrap_or(V::Null),
            V::T(&cert.issuer),
            cert.signatory_name.as_deref().map(V::T).unwrap_or(V::Null),
            cert.signatory_title.as_deref().map(V::T).unwrap_or(V::Null),
            V::T(&cert.kid),
            V::S(jwt),
            // the zone its dates are read in, pinned as issuance pins it
            V::T(cert.zone.name()),
        ]);
        Ok(())
    }

    /// The milestones `events` earn `person`. Generated people have only course evidence,
    /// which counts the same on either gap basis.
    fn milestones(&mut self, person: &Someone, events: &[Event]) {
        for m in milestones::earned(
            events,
            crate::competency::profile::Basis::Assessed,
            crate::clock::platform_default(),
        ) {
            self.b.milestones.row(&[
                V::I(person.id),
                V::T(&m.key),
                V::T(&m.kind),
                m.year.map(|y| V::I(y.into())).unwrap_or(V::Null),
                m.code.as_deref().map(V::T).unwrap_or(V::Null),
                m.level.map(|l| V::I(l.into())).unwrap_or(V::Null),
                V::At(m.earned_at),
                V::At(m.earned_at),
            ]);
        }
    }

    /// A course `person` enrolled in at `enrolled` and has read the first lesson of.
    fn in_progress(
        &mut self,
        person: &Someone,
        c: &Course,
        enrolled: NaiveDateTime,
        s: &mut Summary,
    ) {
        let first = c.lessons.first().copied();
        enrollment_row(
            &mut self.b.enrollments,
            self.enroll_id,
            person.id,
            c,
            enrolled,
            first,
            None,
        );
        if let Some(m) = first {
            self.b.lessons.row(&[
                V::I(self.enroll_id),
                V::I(m),
                V::At(enrolled),
                V::At(enrolled),
            ]);
            s.lessons_done += 1;
        }
        self.enroll_id += 1;
        s.enrollments += 1;
    }
}

/// A self-enrollment row: last seen at completion (or at enrolment, while in progress).
fn enrollment_row(
    eb: &mut Batch,
    id: i64,
    user_id: i64,
    c: &Course,
    enrolled: NaiveDateTime,
    last_module: Option<i64>,
    completed: Option<NaiveDateTime>,
) {
    eb.row(&[
        V::I(id),
        V::I(user_id),
        V::I(c.id),
        V::I(c.version_id),
        V::T("self"),
        V::Null,
        V::Null,
        V::At(enrolled),
        last_module.map(V::I).unwrap_or(V::Null),
        V::At(completed.unwrap_or(enrolled)),
        completed.map(V::At).unwrap_or(V::Null),
        V::I(1),
    ]);
}

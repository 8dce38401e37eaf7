//! The one schema for both backends, written by hand (diesel print-schema differs per backend).
//! `tests/app/schema.rs` proves that both migration folders produce exactly these tables and columns.

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        created_at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        subject -> Text,
        detail -> Text,
    }
}

diesel::table! {
    competencies (code) {
        code -> Text,
        name -> Text,
        kind -> Text,
        description -> Text,
        levels -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    courses (id) {
        id -> BigInt,
        slug -> Text,
        current_version_id -> Nullable<BigInt>,
        archived -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        provider_id -> Nullable<BigInt>,
        fee -> BigInt,
    }
}

diesel::table! {
    course_versions (id) {
        id -> BigInt,
        course_id -> BigInt,
        hash -> Text,
        title -> Text,
        summary -> Text,
        description_html -> Text,
        jp -> Integer,
        language -> Text,
        tags -> Text,
        prerequisites -> Text,
        pass_mark -> Integer,
        certificate -> Bool,
        certificate_valid_months -> Nullable<Integer>,
        authors -> Text,
        total_minutes -> Integer,
        published_at -> Timestamp,
        status -> Text,
        created_by -> Nullable<BigInt>,
        origin -> Text,
        saved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    course_competencies (version_id, code) {
        version_id -> BigInt,
        code -> Text,
        level -> Integer,
    }
}

diesel::table! {
    modules (id) {
        id -> BigInt,
        version_id -> BigInt,
        position -> Integer,
        number -> Integer,
        slug -> Text,
        kind -> Text,
        title -> Text,
        minutes -> Nullable<Integer>,
        html -> Text,
        headings -> Text,
        pass_mark -> Nullable<Integer>,
        attempts -> Nullable<Integer>,
        time_limit_minutes -> Nullable<Integer>,
        shuffle -> Nullable<Bool>,
        draw -> Nullable<Integer>,
        review -> Nullable<Text>,
    }
}

diesel::table! {
    questions (id) {
        id -> BigInt,
        module_id -> BigInt,
        position -> Integer,
        kind -> Text,
        prompt_html -> Text,
        options -> Text,
    }
}

diesel::table! {
    question_keys (question_id) {
        question_id -> BigInt,
        answer -> Text,
        feedback_html -> Nullable<Text>,
        option_feedback -> Text,
    }
}

diesel::table! {
    assets (hash) {
        hash -> Text,
        content_type -> Text,
        size -> BigInt,
        bytes -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    version_assets (version_id, path) {
        version_id -> BigInt,
        path -> Text,
        hash -> Text,
    }
}

diesel::joinable!(course_versions -> courses (course_id));
diesel::joinable!(course_competencies -> course_versions (version_id));
diesel::joinable!(modules -> course_versions (version_id));
diesel::joinable!(questions -> modules (module_id));
diesel::joinable!(question_keys -> questions (question_id));
diesel::joinable!(version_assets -> assets (hash));

diesel::table! {
    agencies (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        kind -> Text,
        created_at -> Timestamp,
        gap_basis -> Text,
        jp_target -> Nullable<Integer>,
        time_zone -> Nullable<Text>,
    }
}

diesel::table! {
    units (id) {
        id -> BigInt,
        agency_id -> BigInt,
        parent_id -> Nullable<BigInt>,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    positions (id) {
        id -> BigInt,
        agency_id -> BigInt,
        name -> Text,
        kind -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        nip -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        email_verified_at -> Nullable<Timestamp>,
        agency_id -> Nullable<BigInt>,
        unit_id -> Nullable<BigInt>,
        position_id -> Nullable<BigInt>,
        supervisor_id -> Nullable<BigInt>,
        is_author -> Bool,
        is_agency_admin -> Bool,
        is_platform_admin -> Bool,
        disabled -> Bool,
        session_version -> Integer,
        language -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        partner_id -> Nullable<BigInt>,
        show_in_standing -> Bool,
    }
}

diesel::table! {
    user_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        purpose -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    rate_limits (key) {
        key -> Text,
        window_start -> Timestamp,
        count -> Integer,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        to_address -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::joinable!(units -> agencies (agency_id));
diesel::joinable!(positions -> agencies (agency_id));
diesel::joinable!(user_tokens -> users (user_id));

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> BigInt,
        user_version -> Integer,
        device -> Text,
        address -> Text,
        bearer -> Bool,
        created_at -> Timestamp,
        last_used_at -> Timestamp,
        expires_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(sessions -> users (user_id));

diesel::table! {
    enrollments (id) {
        id -> BigInt,
        user_id -> BigInt,
        course_id -> BigInt,
        version_id -> BigInt,
        source -> Text,
        assigned_by -> Nullable<BigInt>,
        due_at -> Nullable<Timestamp>,
        enrolled_at -> Timestamp,
        last_module_id -> Nullable<BigInt>,
        last_seen_at -> Nullable<Timestamp>,
        completed_at -> Nullable<Timestamp>,
        cycle -> Integer,
        fee -> BigInt,
    }
}

diesel::table! {
    lesson_progress (enrollment_id, module_id) {
        enrollment_id -> BigInt,
        module_id -> BigInt,
        done_at -> Timestamp,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    quiz_attempts (id) {
        id -> BigInt,
        enrollment_id -> BigInt,
        module_id -> BigInt,
        number -> Integer,
        paper -> Text,
        started_at -> Timestamp,
        deadline_at -> Nullable<Timestamp>,
        submitted_at -> Nullable<Timestamp>,
        answers -> Nullable<Text>,
        results -> Nullable<Text>,
        score -> Nullable<Integer>,
        passed -> Nullable<Bool>,
        late -> Bool,
    }
}

diesel::table! {
    completions (id) {
        id -> BigInt,
        enrollment_id -> BigInt,
        user_id -> BigInt,
        course_id -> BigInt,
        version_id -> BigInt,
        completed_at -> Timestamp,
        jp -> Integer,
        competencies -> Text,
        score -> Nullable<Integer>,
    }
}

diesel::joinable!(lesson_progress -> enrollments (enrollment_id));
diesel::joinable!(quiz_attempts -> enrollments (enrollment_id));
diesel::joinable!(completions -> enrollments (enrollment_id));

diesel::table! {
    certificate_keys (kid) {
        kid -> Text,
        public_x -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    certificate_sequences (year) {
        year -> Integer,
        last_number -> BigInt,
    }
}

diesel::table! {
    certificates (id) {
        id -> BigInt,
        code -> Text,
        number -> Text,
        user_id -> BigInt,
        completion_id -> BigInt,
        course_id -> BigInt,
        agency_id -> Nullable<BigInt>,
        holder_name -> Text,
        holder_nip -> Nullable<Text>,
        agency -> Nullable<Text>,
        course_slug -> Text,
        course_title -> Text,
        course_version -> Text,
        jp -> Integer,
        competencies -> Text,
        completed_at -> Timestamp,
        issued_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        issuer -> Text,
        signatory_name -> Nullable<Text>,
        signatory_title -> Nullable<Text>,
        kid -> Text,
        jwt -> Text,
        revoked_at -> Nullable<Timestamp>,
        revoked_by -> Nullable<BigInt>,
        revoked_reason -> Nullable<Text>,
        reminded_at -> Nullable<Timestamp>,
        partner -> Nullable<Text>,
        partner_signatory_name -> Nullable<Text>,
        partner_signatory_title -> Nullable<Text>,
        time_zone -> Nullable<Text>,
    }
}

diesel::table! {
    competency_evidence (id) {
        id -> BigInt,
        user_id -> BigInt,
        code -> Text,
        level -> Integer,
        source_kind -> Text,
        source_id -> BigInt,
        title -> Text,
        earned_at -> Timestamp,
    }
}

diesel::table! {
    assessed_levels (id) {
        id -> BigInt,
        user_id -> BigInt,
        code -> Text,
        level -> Integer,
        assessed_at -> Timestamp,
        source -> Text,
        entered_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    position_targets (position_id, code) {
        position_id -> BigInt,
        code -> Text,
        level -> Integer,
    }
}

diesel::table! {
    activities (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        title -> Text,
        organizer -> Text,
        started_at -> Timestamp,
        ended_at -> Timestamp,
        jp -> Integer,
        competency_code -> Nullable<Text>,
        competency_level -> Nullable<Integer>,
        status -> Text,
        reviewer_id -> Nullable<BigInt>,
        reviewed_at -> Nullable<Timestamp>,
        review_note -> Nullable<Text>,
        created_at -> Timestamp,
        cost -> Nullable<BigInt>,
        certificate_number -> Nullable<Text>,
    }
}

diesel::table! {
    activity_files (activity_id) {
        activity_id -> BigInt,
        name -> Text,
        content_type -> Text,
        size -> Integer,
        sha256 -> Text,
        bytes -> Binary,
    }
}

diesel::table! {
    development_plans (id) {
        id -> BigInt,
        user_id -> BigInt,
        year -> Integer,
        target_jp -> Integer,
        note -> Text,
        updated_by -> Nullable<BigInt>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    plan_items (id) {
        id -> BigInt,
        plan_id -> BigInt,
        course_id -> Nullable<BigInt>,
        activity_kind -> Nullable<Text>,
        title -> Text,
        planned_jp -> Integer,
        created_at -> Timestamp,
        planned_cost -> BigInt,
    }
}

diesel::table! {
    agency_jp_settings (agency_id) {
        agency_id -> BigInt,
        jpm_optimal -> Integer,
        jpm_meets -> Integer,
        conversion -> Text,
        updated_by -> Nullable<BigInt>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    reminders_sent (kind, key) {
        kind -> Text,
        key -> Text,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    course_reactions (id) {
        id -> BigInt,
        completion_id -> BigInt,
        user_id -> BigInt,
        course_id -> BigInt,
        rating -> Integer,
        comment -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    impact_reviews (id) {
        id -> BigInt,
        completion_id -> BigInt,
        learner_id -> BigInt,
        supervisor_id -> BigInt,
        course_id -> BigInt,
        asked_at -> Timestamp,
        rating -> Nullable<Integer>,
        comment -> Text,
        answered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> BigInt,
        key -> Text,
        request -> Text,
        response -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    course_owners (course_id, user_id) {
        course_id -> BigInt,
        user_id -> BigInt,
        added_at -> Timestamp,
    }
}

diesel::table! {
    version_sources (version_id, path) {
        version_id -> BigInt,
        path -> Text,
        content -> Text,
    }
}

diesel::table! {
    partners (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        kind -> Text,
        signatory_name -> Nullable<Text>,
        signatory_title -> Nullable<Text>,
        website -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    milestones (id) {
        id -> BigInt,
        user_id -> BigInt,
        key -> Text,
        kind -> Text,
        year -> Nullable<Integer>,
        code -> Nullable<Text>,
        level -> Nullable<Integer>,
        earned_at -> Timestamp,
        recorded_at -> Timestamp,
    }
}
diesel::table! {
    letter_sequences (year) {
        year -> Integer,
        last_number -> BigInt,
    }
}
diesel::table! {
    recognition_letters (id) {
        id -> BigInt,
        code -> Text,
        number -> Text,
        user_id -> BigInt,
        agency_id -> BigInt,
        holder_name -> Text,
        holder_nip -> Nullable<Text>,
        agency -> Text,
        title -> Text,
        reason -> Text,
        year -> Integer,
        issued_at -> Timestamp,
        issued_by -> Nullable<BigInt>,
        signatory_name -> Text,
        signatory_title -> Text,
        kid -> Text,
        jwt -> Text,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Text>,
        time_zone -> Nullable<Text>,
    }
}

diesel::table! {
    placement_requests (id) {
        id -> BigInt,
        user_id -> BigInt,
        agency_id -> BigInt,
        unit_id -> Nullable<BigInt>,
        position_id -> Nullable<BigInt>,
        supervisor_email -> Nullable<Text>,
        note -> Text,
        status -> Text,
        created_at -> Timestamp,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        decision_note -> Nullable<Text>,
    }
}

/// Every table, once: it may be joined with every other, and the schema test compares its
/// declared columns with the live databases. Add every new table here.
macro_rules! tables {
    ($($table:ident),* $(,)?) => {
        diesel::allow_tables_to_appear_in_same_query!($($table),*);

        /// The column names each table declares above, read back from the SQL diesel generates,
        /// so the schema test can compare them with the live databases.
        pub fn declared_columns() -> Vec<(String, Vec<String>)> {
            vec![$(
                (
                    stringify!($table).to_string(),
                    columns_of(&diesel::debug_query::<diesel::sqlite::Sqlite, _>(
                        &diesel::QueryDsl::select($table::table, $table::all_columns),
                    ).to_string()),
                ),
            )*]
        }
    };
}

tables!(
    settings,
    placement_requests,
    audit_log,
    competencies,
    courses,
    course_versions,
    course_competencies,
    modules,
    questions,
    question_keys,
    assets,
    version_assets,
    agencies,
    units,
    positions,
    users,
    user_tokens,
    sessions,
    rate_limits,
    outbox,
    enrollments,
    lesson_progress,
    quiz_attempts,
    completions,
    certificate_keys,
    certificate_sequences,
    certificates,
    competency_evidence,
    assessed_levels,
    position_targets,
    activities,
    activity_files,
    development_plans,
    plan_items,
    agency_jp_settings,
    reminders_sent,
    course_reactions,
    impact_reviews,
    idempotency_keys,
    course_owners,
    version_sources,
    partners,
    milestones,
    letter_sequences,
    recognition_letters,
    agency_budgets,
);

/// `SELECT `t`.`a`, `t`.`b` FROM `t` -- binds: []` → ["a", "b"]
fn columns_of(sql: &str) -> Vec<String> {
    let select = sql
        .trim_start_matches("SELECT ")
        .split(" FROM ")
        .next()
        .unwrap_or("");
    select
        .split(", ")
        .filter_map(|c| c.rsplit('.').next())
        .map(|c| c.trim_matches('`').trim_matches('"').to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn declared_columns_are_read_from_the_table_macros() {
        let tables = super::declared_columns();
        let settings = tables.iter().find(|(t, _)| t == "settings").unwrap();
        assert_eq!(settings.1, ["key", "value", "updated_at"]);
    }
}

// ---------- the training budget (2026-12-04-000003_budget) ----------

diesel::table! {
    /// An agency's competency-development budget for a calendar year, in whole rupiah.
    agency_budgets (agency_id, year) {
        agency_id -> BigInt,
        year -> Integer,
        amount -> BigInt,
        updated_by -> Nullable<BigInt>,
        updated_at -> Timestamp,
    }
}

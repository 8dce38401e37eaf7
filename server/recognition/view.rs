//! What recognition looks like on pages: a day in words. Milestones in words are
//! [`crate::competency::view::milestone_label`]; letters as page data are in
//! [`crate::certificates::view`].

use crate::i18n::Lang;

pub(crate) fn day(t: chrono::NaiveDateTime, lang: Lang) -> String {
    crate::text::date(t.date(), lang)
}

//! The event kinds Pusher documents, read from their one definition (`pwh_kinds::KINDS`, which
//! pwh-core's typed view is generated from too), and typo suggestions.

use pwh_kinds::{FieldSpec, KindSpec, KINDS};

/// The names of the known kinds, in order.
pub(crate) fn names() -> impl Iterator<Item = &'static str> + Clone {
    KINDS.iter().map(|kind| kind.name)
}

/// The fields of `kind` besides `name`, if the kind is known.
pub(crate) fn fields(kind: &str) -> Option<&'static [FieldSpec]> {
    KindSpec::find(kind).map(|kind| kind.fields)
}

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub(crate) fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (distance(word, c), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row.first().copied().unwrap_or(0);
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(0);
            let left = row.get(j).copied().unwrap_or(0);
            let value = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(left)
            };
            diagonal = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = value;
            }
        }
    }
    row.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The macro checks handlers against the view pwh-core reads events with: both are
    /// generated from the one definition, and agree kind by kind, field by field.
    #[test]
    fn agrees_with_pwh_core() {
        assert_eq!(
            names().collect::<Vec<_>>(),
            pwh_core::handler::KNOWN_KINDS
                .iter()
                .map(|(k, _)| *k)
                .collect::<Vec<_>>()
        );
        for (kind, core_fields) in pwh_core::handler::KNOWN_KINDS {
            let fields = fields(kind).unwrap();
            let ours: Vec<_> = fields
                .iter()
                .map(|f| (f.name, !f.presence.is_optional()))
                .collect();
            assert_eq!(ours, core_fields.to_vec(), "{kind}");
        }
    }

    #[test]
    fn suggests_close_kinds_only() {
        let kinds = names();
        assert_eq!(
            suggest("channel_vacatd", kinds.clone()),
            Some("channel_vacated")
        );
        assert_eq!(suggest("member_add", kinds.clone()), Some("member_added"));
        assert_eq!(suggest("totally_else", kinds), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}

//! The event kinds Pusher documents, with their fields: a copy of `pwh_core::handler::KNOWN_KINDS`
//! (pwh-core depends on this crate, so it cannot be read from there), compared with it in
//! full by a test.

/// Each known kind, the fields it has besides `name`, and whether each one is always there.
pub(crate) const KNOWN_KINDS: &[(&str, &[(&str, bool)])] = &[
    ("channel_occupied", &[("channel", true)]),
    ("channel_vacated", &[("channel", true)]),
    ("member_added", &[("channel", true), ("user_id", true)]),
    ("member_removed", &[("channel", true), ("user_id", true)]),
    (
        "client_event",
        &[
            ("channel", true),
            ("event", true),
            ("data", true),
            ("socket_id", true),
            ("user_id", false),
        ],
    ),
    ("cache_miss", &[("channel", true)]),
    (
        "subscription_count",
        &[("channel", true), ("subscription_count", true)],
    ),
];

/// The fields of `kind` and whether each is always there, if the kind is known.
pub(crate) fn fields(kind: &str) -> Option<&'static [(&'static str, bool)]> {
    KNOWN_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, fields)| *fields)
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

    #[test]
    fn mirrors_the_table_of_pwh_core() {
        assert_eq!(KNOWN_KINDS, pwh_core::handler::KNOWN_KINDS);
    }

    #[test]
    fn suggests_close_kinds_only() {
        let kinds = KNOWN_KINDS.iter().map(|(k, _)| *k);
        assert_eq!(
            suggest("channel_vacatd", kinds.clone()),
            Some("channel_vacated")
        );
        assert_eq!(suggest("member_add", kinds.clone()), Some("member_added"));
        assert_eq!(suggest("totally_else", kinds), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}

//! The help about the kinds (`pwh send --help`), written from the one definition of the kinds
//! (`pwh_kinds::KINDS`): which flags each kind needs, and which kinds each flag is for.

use std::fmt::Write as _;

use pwh_kinds::KINDS;

use crate::flags::flag_of;

/// The list of the kinds with the flags each needs (optional ones in brackets).
pub(crate) fn kinds() -> String {
    let width = KINDS.iter().map(|k| k.name.len()).max().unwrap_or(0);
    let mut out = String::from(
        "KIND is one of the kinds Pusher documents, with the flags it needs ([optional]):\n",
    );
    for kind in KINDS {
        let mut flags = Vec::new();
        for field in kind.fields {
            let flag = flag_of(field.name).map_or(field.name, |f| f.flag);
            flags.push(if field.presence.is_optional() {
                format!("[{flag}]")
            } else {
                flag.to_owned()
            });
        }
        let _ = writeln!(out, "  {:width$}  {}", kind.name, flags.join(" "));
    }
    out.push_str("or any other name (sent with the fields given).");
    out
}

/// The help of the flag of `field`: `what`, then the kinds that need it and those for which it
/// is optional, then its default.
pub(crate) fn flag(field: &str, what: &str) -> String {
    let with = |optional: bool| {
        KINDS
            .iter()
            .filter(|k| {
                k.field(field)
                    .is_some_and(|f| f.presence.is_optional() == optional)
            })
            .map(|k| k.name)
            .collect::<Vec<_>>()
    };
    let (needed, optional) = (with(false), with(true));
    let mut kinds = if needed.len() == KINDS.len() {
        "every known kind".to_owned()
    } else {
        needed.join(", ")
    };
    if !optional.is_empty() {
        if !kinds.is_empty() {
            kinds.push_str("; ");
        }
        let _ = write!(kinds, "optional: {}", optional.join(", "));
    }
    // Only fields a kind usually has have a default (see `flags`).
    let default = flag_of(field)
        .and_then(|f| f.default)
        .map(|d| format!(" [default: {d}]"))
        .unwrap_or_default();
    format!("{what} ({kinds}){default}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_listed_with_its_flags() {
        let help = kinds();
        for kind in KINDS {
            assert!(help.contains(kind.name), "{help}");
        }
        assert!(
            help.contains("member_added        --channel --user-id\n"),
            "{help}"
        );
        assert!(
            help.contains("--channel --event [--data] [--socket-id] [--user-id]\n"),
            "{help}"
        );
    }

    #[test]
    fn each_flag_names_its_kinds() {
        assert_eq!(
            flag("channel", "The channel"),
            "The channel (every known kind)"
        );
        assert_eq!(
            flag("user_id", "The user"),
            "The user (member_added, member_removed; optional: client_event)"
        );
        assert_eq!(
            flag("socket_id", "The sender's socket id"),
            "The sender's socket id (optional: client_event) [default: 123.456]"
        );
        assert_eq!(
            flag("subscription_count", "The subscription count"),
            "The subscription count (subscription_count)"
        );
    }
}

//! The other forms a JSON body takes when something parses and re-serialises it: compact,
//! pretty-printed, keys sorted. `verify` signs each to tell a re-serialised body.

use serde_json::Value;

/// The re-serialised forms of `body` that differ from it, each with its description; none when
/// the body is not JSON.
pub(crate) fn reserialised(body: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let compact = minify(body);
    let pretty_kept = pretty(&compact);
    let mut forms = vec![
        ("compact (white space removed, key order kept)", compact),
        ("pretty-printed (key order kept)", pretty_kept),
        (
            "re-serialised with its keys sorted",
            value.to_string().into_bytes(),
        ),
        (
            "pretty-printed with its keys sorted",
            serde_json::to_vec_pretty(&value).unwrap_or_default(),
        ),
    ];
    let mut seen: Vec<Vec<u8>> = vec![body.to_vec()];
    forms.retain(|(_, form)| {
        if seen.contains(form) {
            return false;
        }
        seen.push(form.clone());
        true
    });
    forms
}

/// `json` without the white space between its tokens (strings untouched).
fn minify(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len());
    let mut strings = Strings::default();
    for &c in json {
        if strings.inside(c) || !c.is_ascii_whitespace() {
            out.push(c);
        }
    }
    out
}

/// Compact `json` laid out with two-space indentation and `": "`, as `JSON.stringify(v, null, 2)`
/// and serde_json's pretty printer do.
fn pretty(compact: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(compact.len() * 2);
    let mut strings = Strings::default();
    let mut depth = 0usize;
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', depth * 2));
    };
    let mut bytes = compact.iter().copied().peekable();
    while let Some(c) = bytes.next() {
        if strings.inside(c) {
            out.push(c);
            continue;
        }
        match c {
            b'{' | b'[' => {
                out.push(c);
                let close = if c == b'{' { b'}' } else { b']' };
                if bytes.next_if_eq(&close).is_some() {
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            b',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            _ => out.push(c),
        }
    }
    out
}

/// Tracks whether a scan is inside a JSON string.
#[derive(Default)]
struct Strings {
    inside: bool,
    escaped: bool,
}

impl Strings {
    /// Whether `c` belongs to a string (its quotes included).
    fn inside(&mut self, c: u8) -> bool {
        if self.inside {
            match (self.escaped, c) {
                (true, _) => self.escaped = false,
                (false, b'\\') => self.escaped = true,
                (false, b'"') => self.inside = false,
                _ => {}
            }
            true
        } else if c == b'"' {
            self.inside = true;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRETTY: &str = "{\n  \"time_ms\": 1,\n  \"events\": [\n    {\n      \"name\": \"a b\",\n      \"data\": \"{\\\" x\\\": [] }\",\n      \"e\": {},\n      \"l\": []\n    }\n  ]\n}";
    const COMPACT: &str =
        r#"{"time_ms":1,"events":[{"name":"a b","data":"{\" x\": [] }","e":{},"l":[]}]}"#;

    #[test]
    fn minify_keeps_strings_and_key_order() {
        assert_eq!(minify(PRETTY.as_bytes()), COMPACT.as_bytes());
    }

    #[test]
    fn pretty_is_serde_jsons_layout_in_the_original_order() {
        assert_eq!(
            String::from_utf8(pretty(COMPACT.as_bytes())).unwrap(),
            PRETTY
        );
        let sorted: Value = serde_json::from_str(r#"{"a":[1,{"b":{}}],"c":"d"}"#).unwrap();
        assert_eq!(
            pretty(sorted.to_string().as_bytes()),
            serde_json::to_vec_pretty(&sorted).unwrap()
        );
    }

    #[test]
    fn the_forms_differ_from_the_body_and_from_each_other() {
        let forms = reserialised(PRETTY.as_bytes());
        let names: Vec<_> = forms.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            names,
            [
                "compact (white space removed, key order kept)",
                "re-serialised with its keys sorted",
                "pretty-printed with its keys sorted",
            ]
        );
        assert_eq!(forms[0].1, COMPACT.as_bytes());
        let from_compact = reserialised(COMPACT.as_bytes());
        assert_eq!(
            from_compact[0],
            (
                "pretty-printed (key order kept)",
                PRETTY.as_bytes().to_vec()
            )
        );
        assert!(reserialised(b"not json").is_empty());
    }
}

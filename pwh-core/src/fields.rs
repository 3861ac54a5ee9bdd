//! The fields of one event: a few inline, more on the heap.

use std::borrow::Cow;
use std::sync::OnceLock;

use serde_json::value::RawValue;

/// One field besides `name`: its key and its raw JSON. A string's text is read from the raw
/// JSON when asked for (borrowed; unescaped once, on first use, when it has escapes), so
/// fields nobody reads cost nothing past the parse.
pub(crate) struct Field<'a> {
    pub(crate) key: Cow<'a, str>,
    raw: Cow<'a, RawValue>,
    unescaped: OnceLock<Box<str>>,
}

impl<'a> Field<'a> {
    pub(crate) fn new(key: Cow<'a, str>, raw: &'a RawValue) -> Self {
        Self {
            key,
            raw: Cow::Borrowed(raw),
            unescaped: OnceLock::new(),
        }
    }

    /// The string, if the field is one.
    pub(crate) fn text(&self) -> Option<&str> {
        let json = self.raw.get();
        let inner = json.strip_prefix('"')?.strip_suffix('"')?;
        if !has_backslash(inner.as_bytes()) {
            return Some(inner);
        }
        // The parse checked the JSON, escapes included: decoding it again cannot fail.
        Some(self.unescaped.get_or_init(|| {
            serde_json::from_str::<String>(json)
                .unwrap_or_default()
                .into_boxed_str()
        }))
    }

    /// The raw JSON.
    pub(crate) fn raw(&self) -> &RawValue {
        &self.raw
    }

    /// Whether the field is `null`.
    pub(crate) fn is_null(&self) -> bool {
        self.raw.get() == "null"
    }

    pub(crate) fn into_owned(self) -> Field<'static> {
        Field {
            key: Cow::Owned(self.key.into_owned()),
            raw: Cow::Owned(self.raw.into_owned()),
            unescaped: self.unescaped,
        }
    }
}

/// Whether `bytes` holds a backslash, eight bytes at a time: every string field a handler reads is
/// checked for escapes, and byte by byte that cost ~80 instructions for a channel name.
pub(crate) fn has_backslash(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    const BACKSLASHES: u64 = u64::from_ne_bytes([b'\\'; 8]);
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let word: [u8; 8] = word.try_into().expect("chunks_exact(8) yields 8 bytes");
        // A zero byte in `x` is a backslash in `word`: the classic "has a zero byte" test.
        let x = u64::from_ne_bytes(word) ^ BACKSLASHES;
        if x.wrapping_sub(ONES) & !x & HIGH != 0 {
            return true;
        }
    }
    words.remainder().contains(&b'\\')
}

impl Clone for Field<'_> {
    fn clone(&self) -> Self {
        Self {
            key: self.key.clone(),
            raw: self.raw.clone(),
            unescaped: self.unescaped.clone(),
        }
    }
}

/// How many fields are kept inline: Pusher's events have at most five besides `name` (a
/// `client_event`), so parsing a batch allocates once for all its events, not once per event.
const INLINE: usize = 5;

/// An event's fields besides `name`, in body order.
///
/// Up to [`INLINE`] fields live in the event itself, more move to a `Vec`. Why not a plain
/// `Vec` per event: measured with `benches/callgrind.sh`, one allocation and one free per event
/// cost 4,800 instructions in a 20-event webhook, 7.8 % of everything pwh does for it besides
/// SHA-256. (A `SmallVec` would make `Event<'a>` invariant in `'a`; this keeps it covariant.)
#[derive(Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "inline is the point: the large variant is the common one"
)]
pub(crate) enum Fields<'a> {
    /// `items[..len]` are `Some`, the rest `None`.
    Inline {
        len: usize,
        items: [Option<Field<'a>>; INLINE],
    },
    Heap(Vec<Field<'a>>),
}

impl<'a> Fields<'a> {
    pub(crate) const fn new() -> Self {
        Self::Inline {
            len: 0,
            items: [None, None, None, None, None],
        }
    }

    pub(crate) fn push(&mut self, field: Field<'a>) {
        match self {
            Self::Inline { len, items } => match items.get_mut(*len) {
                Some(slot) => {
                    *slot = Some(field);
                    *len += 1;
                }
                None => {
                    let mut heap = Vec::with_capacity(2 * INLINE);
                    heap.extend(items.iter_mut().filter_map(Option::take));
                    heap.push(field);
                    *self = Self::Heap(heap);
                }
            },
            Self::Heap(heap) => heap.push(field),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Inline { len, .. } => *len,
            Self::Heap(heap) => heap.len(),
        }
    }

    pub(crate) fn iter(&self) -> Iter<'_, 'a> {
        match self {
            Self::Inline { len, items } => Iter {
                inline: items.get(..*len).unwrap_or_default().iter(),
                heap: [].iter(),
            },
            Self::Heap(heap) => Iter {
                inline: [].iter(),
                heap: heap.iter(),
            },
        }
    }

    pub(crate) fn into_vec(self) -> Vec<Field<'a>> {
        match self {
            Self::Inline { items, .. } => items.into_iter().flatten().collect(),
            Self::Heap(heap) => heap,
        }
    }
}

impl<'a> FromIterator<Field<'a>> for Fields<'a> {
    fn from_iter<I: IntoIterator<Item = Field<'a>>>(iter: I) -> Self {
        let mut fields = Self::new();
        for field in iter {
            fields.push(field);
        }
        fields
    }
}

/// The fields in order.
pub(crate) struct Iter<'f, 'a> {
    inline: std::slice::Iter<'f, Option<Field<'a>>>,
    heap: std::slice::Iter<'f, Field<'a>>,
}

impl<'f, 'a> Iterator for Iter<'f, 'a> {
    type Item = &'f Field<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.inline.next() {
            Some(field) => field.as_ref(),
            None => self.heap.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.inline.len() + self.heap.len();
        (len, Some(len))
    }
}

impl ExactSizeIterator for Iter<'_, '_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::Webhook;

    /// The fields of an event with `count` fields besides `name`.
    fn fields(count: usize) -> Vec<(String, String)> {
        (0..count)
            .map(|i| (format!("f{i}"), i.to_string()))
            .collect()
    }

    #[test]
    fn keeps_order_inline_and_past_it() {
        for count in [0, 1, INLINE - 1, INLINE, INLINE + 1, 3 * INLINE] {
            let mut body = String::from(r#"{"time_ms":1,"events":[{"name":"x""#);
            for (key, value) in fields(count) {
                body.push_str(&format!(r#","{key}":{value}"#));
            }
            body.push_str("}]}");
            let hook = Webhook::parse(body.as_bytes()).unwrap();
            let read: Vec<(String, String)> = hook.events()[0]
                .fields()
                .map(|(k, v)| (k.to_owned(), v.get().to_owned()))
                .collect();
            assert_eq!(read, fields(count), "{count}");
            let clone = hook.events()[0].clone();
            assert_eq!(clone, hook.events()[0]);
        }
    }
}

//! URLs stored by their parts: a catalog's photo URLs share a few hosts,
//! paths and query strings, kept once each, around a part of their own.

use std::fmt;

use crate::text::{TextArena, TextRef, TextTooLarge, Word};

/// A URL in a [`TextArena`]: its interned head (everything up to and
/// including the last `/` before any query), its own part (stored), and its
/// interned tail (the query and fragment, from the first `?` or `#`).
/// 16 bytes, against a URL's hundred or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UrlRef {
    head: Word,
    tail: Word,
    own: TextRef,
}

impl UrlRef {
    /// Stores `url`, sharing each part that equals the same part of one of
    /// `like` (the photo's URL for its thumbnail, the previous row's URLs)
    /// and interning the head and tail otherwise.
    pub(crate) fn store(arena: &mut TextArena, url: &str, like: &[UrlRef]) -> Result<UrlRef, TextTooLarge> {
        let (head, own, tail) = parts(url);
        let head = match like.iter().find(|other| arena.word_text(other.head) == head) {
            Some(other) => other.head,
            None => arena.word(head)?,
        };
        let tail = match like.iter().find(|other| arena.word_text(other.tail) == tail) {
            Some(other) => other.tail,
            None => arena.word(tail)?,
        };
        let own = match like.iter().find(|other| arena.get(other.own) == own) {
            Some(other) => other.own,
            None => arena.push(own)?,
        };
        Ok(UrlRef { head, tail, own })
    }

    /// The URL as given to [`UrlRef::store`].
    pub(crate) fn text(self, arena: &TextArena) -> String {
        self.pieces(arena).concat()
    }

    /// The URL's text, serialized as a JSON string without being assembled first.
    pub(crate) fn shown(self, arena: &TextArena) -> ShownUrl<'_> {
        ShownUrl(self.pieces(arena))
    }

    fn pieces(self, arena: &TextArena) -> [&str; 3] {
        [
            arena.word_text(self.head),
            arena.get(self.own),
            arena.word_text(self.tail),
        ]
    }
}

/// A stored URL's three pieces, serialized as one string.
pub(crate) struct ShownUrl<'a>([&'a str; 3]);

impl fmt::Display for ShownUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|piece| f.write_str(piece))
    }
}

impl serde::Serialize for ShownUrl<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `url` cut into head, own part and tail (see [`UrlRef`]); cut at ASCII
/// characters, so each part is a whole string.
fn parts(url: &str) -> (&str, &str, &str) {
    let bytes = url.as_bytes();
    let path_end = memchr::memchr2(b'?', b'#', bytes).unwrap_or(bytes.len());
    let head_end = memchr::memrchr(b'/', &bytes[..path_end]).map_or(0, |slash| slash + 1);
    (&url[..head_end], &url[head_end..path_end], &url[path_end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_url_comes_back_as_given() {
        let mut arena = TextArena::default();
        let urls = [
            "https://images.unsplash.com/photo-1?ixlib=rb-1.2.1&w=668&q=80",
            "https://images.unsplash.com/photo-1?ixlib=rb-1.2.1&w=300&q=80",
            "https://images.unsplash.com/photo-2?ixlib=rb-1.2.1&w=668&q=80",
            "https://x.example/a/b/c#frag?not-a-query",
            "https://x.example/a/b/",
            "no-slash-or-query",
            "?only-a-query",
            "/",
            "https://é.example/ü?ß=1",
        ];
        let mut previous = Vec::new();
        let stored: Vec<UrlRef> = urls
            .iter()
            .map(|url| {
                let stored = UrlRef::store(&mut arena, url, &previous).unwrap();
                previous = vec![stored];
                stored
            })
            .collect();
        arena.freeze();
        for (url, stored) in urls.iter().zip(&stored) {
            assert_eq!(&stored.text(&arena), url);
            assert_eq!(
                serde_json::to_string(&stored.shown(&arena)).unwrap(),
                serde_json::to_string(url).unwrap()
            );
        }
        assert_eq!(stored[0].own, stored[1].own, "a thumbnail shares its photo's own part");
        assert_eq!(stored[0].head, stored[2].head, "hosts are stored once");
        assert_eq!(stored[0].tail, stored[2].tail, "queries are stored once");
    }

    #[test]
    fn only_equal_parts_are_shared() {
        let mut arena = TextArena::default();
        let url = UrlRef::store(&mut arena, "https://h/photo-1?w=1", &[]).unwrap();
        let other = UrlRef::store(&mut arena, "https://h/photo-2?w=1", &[url]).unwrap();
        assert_ne!(url.own, other.own);
        let again = UrlRef::store(&mut arena, "https://h/photo-3?w=1", &[]).unwrap();
        assert_eq!(
            (again.head, again.tail),
            (url.head, url.tail),
            "interned when no neighbour matches"
        );
        assert_eq!(other.text(&arena), "https://h/photo-2?w=1");
    }
}

//! Entity tags of answers: what `ETag`, `If-None-Match` and `If-Match` compare.

/// The strong entity tag of `body`: its 128-bit XXH3 hash, quoted. It
/// depends on the bytes alone, so every instance and store serving the same
/// answer gives the same tag, and a store can check `If-Match` against the
/// answer a `GET` would give without asking the HTTP layer.
pub fn entity_tag(body: &[u8]) -> String {
    format!("\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_quoted_hashes_that_follow_the_bytes() {
        let tag = entity_tag(br#"{"id":1}"#);
        assert_eq!(tag.len(), 34);
        assert!(tag.starts_with('"') && tag.ends_with('"'));
        assert_eq!(tag, entity_tag(br#"{"id":1}"#));
        assert_ne!(tag, entity_tag(br#"{"id":2}"#));
    }
}

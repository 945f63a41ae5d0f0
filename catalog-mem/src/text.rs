//! One growable byte arena for all the catalog's text, addressed by small handles.

use std::collections::HashMap;

/// A string stored in a [`TextArena`]: 8 bytes instead of a 24-byte `String`
/// plus its own allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TextRef {
    start: u32,
    len: u32,
}

/// The arena outgrew its 32-bit offsets (4 GiB of text).
#[derive(Debug, thiserror::Error)]
#[error("the catalog's text exceeds 4 GiB, the memory store's limit")]
pub struct TextTooLarge;

/// An interned string of a [`TextArena`]: 4 bytes, numbered in order of
/// first appearance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Word(u32);

/// Append-only text storage; small repeated values (sizes, categories,
/// feature names, URL hosts and queries) are interned so each distinct one
/// is stored once.
#[derive(Default)]
pub(crate) struct TextArena {
    /// Every stored string, back to back.
    text: String,
    /// Where each interned string is, by its [`Word`].
    words: Vec<TextRef>,
    /// Hashed with foldhash (seeded per process): millions of short
    /// lookups while loading, far cheaper than SipHash.
    interned: HashMap<Box<str>, Word, foldhash::fast::RandomState>,
}

impl TextArena {
    /// Stores `text` and returns its handle.
    pub(crate) fn push(&mut self, text: &str) -> Result<TextRef, TextTooLarge> {
        let start = u32::try_from(self.text.len()).map_err(|_| TextTooLarge)?;
        let len = u32::try_from(text.len()).map_err(|_| TextTooLarge)?;
        start.checked_add(len).ok_or(TextTooLarge)?;
        self.text.push_str(text);
        Ok(TextRef { start, len })
    }

    /// Stores `text` once however often it is interned.
    pub(crate) fn intern(&mut self, text: &str) -> Result<TextRef, TextTooLarge> {
        let word = self.word(text)?;
        Ok(self.words[word.0 as usize])
    }

    /// Interns `text` and returns its [`Word`].
    pub(crate) fn word(&mut self, text: &str) -> Result<Word, TextTooLarge> {
        if let Some(&found) = self.interned.get(text) {
            return Ok(found);
        }
        let word = Word(u32::try_from(self.words.len()).map_err(|_| TextTooLarge)?);
        let stored = self.push(text)?;
        self.words.push(stored);
        self.interned.insert(text.into(), word);
        Ok(word)
    }

    /// The text of `word`.
    pub(crate) fn word_text(&self, word: Word) -> &str {
        self.get(self.words[word.0 as usize])
    }

    /// The text behind `handle`.
    pub(crate) fn get(&self, handle: TextRef) -> &str {
        let range = handle.start as usize..(handle.start + handle.len) as usize;
        // Only whole `&str`s are pushed, so every handle's range starts and
        // ends at character boundaries (checked in O(1) by the slicing).
        self.text.get(range).unwrap_or_default()
    }

    /// Drops the interning table and spare capacity once loading is done.
    pub(crate) fn freeze(&mut self) {
        self.interned = HashMap::default();
        self.text.shrink_to_fit();
        self.words.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_and_interns() {
        let mut arena = TextArena::default();
        let a = arena.push("héllo").unwrap();
        let b = arena.intern("XS").unwrap();
        let c = arena.intern("XS").unwrap();
        assert_eq!(b, c);
        let word = arena.word("XS").unwrap();
        assert_eq!(arena.word("M").unwrap(), Word(1));
        assert_eq!(arena.get(a), "héllo");
        assert_eq!(arena.get(b), "XS");
        arena.freeze();
        assert_eq!(arena.get(c), "XS");
        assert_eq!(arena.word_text(word), "XS");
    }
}

//! Token interning, a fast deterministic hasher for maps of trusted keys, and a keyed one for
//! maps whose keys an upload controls.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The multiplicative hash rustc uses for its own tables (FxHash): a few instructions per
/// word, deterministic across runs (so results never depend on a random seed).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FastHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    #[inline]
    fn write_u32(&mut self, value: u32) {
        self.add(u64::from(value));
    }

    #[inline]
    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    #[inline]
    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A `HashMap` with [`FastHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// A `HashMap` whose hasher is keyed by a per-process random seed (foldhash): for keys an
/// upload controls (token texts, and token ids whose values follow the order tokens first
/// appear in), so nobody can craft a log whose keys all collide and turn every lookup into
/// a scan. As fast as [`FastMap`] on short keys; the miner never iterates these maps in an
/// order that reaches its output, so results stay deterministic.
pub(crate) type KeyedMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Id of an interned token.
pub(crate) type TokenId = u32;

/// The id of `<*>`: always 0.
pub(crate) const WILDCARD_ID: TokenId = 0;

/// The id of the empty token (the value of `key=` followed by a space): always 1. An empty
/// value means "absent" (`rhost=` for a local login), so the miner never lets it vary with
/// present values in one template.
pub(crate) const EMPTY_ID: TokenId = 1;

/// Ids given at construction (`<*>` and the empty token); the capacity counts the others.
const RESERVED_IDS: usize = 2;

/// Maps token texts to small integer ids, allocating only the first time a text is seen.
#[derive(Debug)]
pub(crate) struct Vocabulary {
    ids: KeyedMap<Box<str>, TokenId>,
    texts: Vec<Box<str>>,
    variable: Vec<bool>,
    /// True for texts seen as a whole chunk that masking keeps as one plain word
    /// ([`crate::tokens::TokenText::Chunk`]): the next such chunk skips masking.
    plain_word: Vec<bool>,
    capacity: usize,
    /// Tokens turned away because the vocabulary was full.
    refused: u64,
}

impl Vocabulary {
    /// An empty vocabulary holding at most `capacity` distinct tokens (besides `<*>` and the
    /// empty token).
    pub fn new(capacity: usize) -> Self {
        let mut vocabulary = Self {
            ids: KeyedMap::default(),
            texts: Vec::new(),
            variable: Vec::new(),
            plain_word: Vec::new(),
            capacity: capacity.max(1),
            refused: 0,
        };
        vocabulary.texts.push(crate::tokens::WILDCARD.into());
        vocabulary.variable.push(true);
        vocabulary.plain_word.push(false);
        vocabulary
            .ids
            .insert(crate::tokens::WILDCARD.into(), WILDCARD_ID);
        vocabulary.texts.push("".into());
        vocabulary.variable.push(false);
        vocabulary.plain_word.push(false);
        vocabulary.ids.insert("".into(), EMPTY_ID);
        vocabulary
    }

    /// The id of `text`, interning it when new. When the vocabulary is full, unseen texts get
    /// the wildcard id: a word never seen in the first `capacity` distinct tokens is treated
    /// as a variable, which keeps memory bounded on adversarial input.
    pub fn intern(&mut self, text: &str, variable: bool) -> TokenId {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = TokenId::try_from(self.texts.len()).unwrap_or(WILDCARD_ID);
        if self.texts.len() - RESERVED_IDS >= self.capacity || id == WILDCARD_ID {
            self.refused += 1;
            return WILDCARD_ID;
        }
        self.ids.insert(text.into(), id);
        self.texts.push(text.into());
        self.variable.push(variable);
        self.plain_word.push(false);
        id
    }

    /// Interns a whole chunk that masking kept as one plain word, and remembers that it is
    /// one (see [`Vocabulary::plain_word_id`]).
    pub fn intern_plain_word(&mut self, text: &str) -> TokenId {
        let id = self.intern(text, false);
        if id != WILDCARD_ID {
            self.plain_word[id as usize] = true;
        }
        id
    }

    /// The id of `chunk` when it was interned as a plain word before.
    pub fn plain_word_id(&self, chunk: &str) -> Option<TokenId> {
        let id = *self.ids.get(chunk)?;
        self.plain_word[id as usize].then_some(id)
    }

    /// How many tokens were turned into `<*>` because the vocabulary was full.
    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// The text of a token id.
    pub fn text(&self, id: TokenId) -> &str {
        self.texts
            .get(id as usize)
            .map_or(crate::tokens::WILDCARD, |text| text)
    }

    /// True when the token contains a masked part and so never keys the prefix tree.
    pub fn is_variable(&self, id: TokenId) -> bool {
        self.variable.get(id as usize).copied().unwrap_or(true)
    }

    /// Number of distinct tokens, `<*>` included.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.texts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_maps_hash_with_their_own_random_key() {
        use std::hash::BuildHasher;
        let first: KeyedMap<u32, u32> = KeyedMap::default();
        let second: KeyedMap<u32, u32> = KeyedMap::default();
        // Equal by chance with probability 2^-64: the key is not a constant an attacker can
        // compute collisions for.
        assert_ne!(
            first.hasher().hash_one(42u32),
            second.hasher().hash_one(42u32)
        );
    }

    #[test]
    fn interning_is_stable_and_bounded() {
        let mut vocabulary = Vocabulary::new(2);
        let a = vocabulary.intern("alpha", false);
        let b = vocabulary.intern("beta", false);
        assert_eq!(vocabulary.intern("alpha", false), a);
        assert_ne!(a, b);
        assert_eq!(vocabulary.text(b), "beta");
        assert_eq!(vocabulary.intern("gamma", false), WILDCARD_ID);
        assert_eq!(vocabulary.refused(), 1);
        assert_eq!(vocabulary.intern("<*>", true), WILDCARD_ID);
        assert_eq!(vocabulary.intern("", false), EMPTY_ID);
        assert_eq!(vocabulary.len(), 4);
    }
}

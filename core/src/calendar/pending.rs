//! The set of pending sequence numbers (scheduled, neither popped nor cancelled).
//!
//! [`Calendar::cancel`](super::Calendar::cancel) must answer "is this entry still pending?" exactly,
//! and [`Calendar::pop`](super::Calendar::pop) must skip lazily cancelled entries. Both need a
//! membership test keyed by the sequence number, on the hot path of every pop, even in the common
//! case where nothing is ever cancelled. A hash set would cost a hash, a probe and often a cache
//! miss per schedule and per pop; this structure costs one bit operation instead:
//!
//! * Sequence numbers are issued in increasing order, and most entries are popped a bounded number
//!   of schedules after they were issued. So the set is a bitmap over a sliding window
//!   `[base, next)` of sequence numbers (one bit per number, set = pending); the window's front
//!   advances as its oldest words become all-zero.
//! * A few entries may stay pending for very long (an "end of run" entry scheduled at the start).
//!   They would pin the window's front and let the bitmap grow with every schedule, so when the
//!   window gets much wider than the number of pending entries its front words are *evicted*: their
//!   few set bits move to a hash set (`old`), which is used only for membership, never iterated.
//!
//! Memory is therefore O(pending) and every operation is amortised O(1): each word is pushed once,
//! scanned at most once when evicted, and each sequence number enters `old` at most once.

use std::collections::HashSet;

/// Bits per bitmap word.
const WORD_BITS: u64 = u64::BITS as u64;

/// The window never gets evicted below this many words (64 Ki sequence numbers, 8 KiB).
const MIN_WINDOW_WORDS: usize = 1024;

/// Eviction starts once the window spans more than `2 * WINDOW_BITS_PER_PENDING` sequence numbers
/// per pending entry, and keeps `WINDOW_BITS_PER_PENDING` per entry. With exponential lifetimes
/// (the hold model) an entry outlives 16 mean lifetimes with probability e^-16, so eviction almost
/// never touches regular entries.
const WINDOW_BITS_PER_PENDING: usize = 16;

/// Set of pending sequence numbers; see the module docs.
#[derive(Debug, Default)]
pub(super) struct PendingSet {
    /// Sequence number of bit 0 of `words[head]`; a multiple of [`WORD_BITS`].
    base: u64,
    /// Bit `s % 64` of `words[head + (s - base) / 64]` is set iff `s` is pending. The window is
    /// `words[head..]`, never empty once a number was inserted, so `base` never moves past the
    /// next number to be issued. (A `Vec` with a moving start rather than a `VecDeque`: indexing
    /// is a plain addition, and the dead prefix is compacted away in amortised O(1).)
    words: Vec<u64>,
    /// Start of the window in `words`.
    head: usize,
    /// Pending numbers below `base` (evicted from the window). Membership only.
    old: HashSet<u64>,
    /// Number of pending sequence numbers.
    len: usize,
}

impl PendingSet {
    /// Number of pending sequence numbers.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Marks `seq` pending. `seq` must be greater than every number inserted before.
    #[inline]
    pub(super) fn insert_next(&mut self, seq: u64) {
        debug_assert!(seq >= self.base, "sequence numbers must be inserted in increasing order");
        let mut idx =
            self.head + usize::try_from((seq - self.base) / WORD_BITS).expect("window fits in memory");
        if idx >= self.words.len() {
            idx = self.grow(idx);
        }
        self.words[idx] |= 1 << (seq % WORD_BITS);
        self.len += 1;
    }

    /// Whether `seq` is pending.
    #[inline]
    pub(super) fn contains(&self, seq: u64) -> bool {
        if seq < self.base {
            return !self.old.is_empty() && self.old.contains(&seq);
        }
        let Ok(idx) = usize::try_from((seq - self.base) / WORD_BITS) else { return false };
        self.words[self.head..].get(idx).is_some_and(|w| w & (1 << (seq % WORD_BITS)) != 0)
    }

    /// Removes `seq`; true iff it was pending.
    #[inline]
    pub(super) fn remove(&mut self, seq: u64) -> bool {
        if seq < self.base {
            // The emptiness test keeps the no-eviction common case free of hashing.
            let removed = !self.old.is_empty() && self.old.remove(&seq);
            self.len -= usize::from(removed);
            return removed;
        }
        let Ok(idx) = usize::try_from((seq - self.base) / WORD_BITS) else { return false };
        let head = self.head;
        let Some(word) = self.words[head..].get_mut(idx) else { return false };
        let bit = 1 << (seq % WORD_BITS);
        if *word & bit == 0 {
            return false;
        }
        *word &= !bit;
        self.len -= 1;
        if idx == 0 && *word == 0 {
            self.trim_front();
        }
        true
    }

    /// Target window size in words for the current number of pending entries.
    #[inline]
    fn window_words(&self) -> usize {
        MIN_WINDOW_WORDS.max(self.len * WINDOW_BITS_PER_PENDING / WORD_BITS as usize)
    }

    /// Drops all-zero words at the front of the window (keeping at least one word).
    fn trim_front(&mut self) {
        while self.words.len() - self.head > 1 && self.words[self.head] == 0 {
            self.head += 1;
            self.base += WORD_BITS;
        }
    }

    /// Extends the window to the physical word index `idx` (every 64 inserts), first evicting if
    /// it got too wide and compacting the dead prefix if it outgrew the window. Returns the new
    /// physical index of that word.
    #[inline(never)]
    fn grow(&mut self, mut idx: usize) -> usize {
        if self.words.len() - self.head > 2 * self.window_words() {
            self.evict();
        }
        if self.head > self.words.len() - self.head {
            self.words.drain(..self.head);
            idx -= self.head;
            self.head = 0;
        }
        self.words.resize(idx + 1, 0);
        idx
    }

    /// Shrinks the window to [`Self::window_words`], moving the set bits of the dropped front
    /// words into `old`.
    #[cold]
    fn evict(&mut self) {
        let keep = self.window_words();
        while self.words.len() - self.head > keep {
            let mut word = self.words[self.head];
            while word != 0 {
                self.old.insert(self.base + u64::from(word.trailing_zeros()));
                word &= word - 1;
            }
            self.words[self.head] = 0;
            self.head += 1;
            self.base += WORD_BITS;
        }
        self.trim_front();
    }

    /// Words currently in the window (for tests of the memory bound).
    #[cfg(test)]
    pub(super) fn window_len(&self) -> usize {
        self.words.len() - self.head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_contains_remove() {
        let mut s = PendingSet::default();
        for seq in 0..200 {
            s.insert_next(seq);
        }
        assert_eq!(s.len(), 200);
        assert!(s.contains(5) && s.contains(199) && !s.contains(200));
        assert!(s.remove(5));
        assert!(!s.remove(5));
        assert!(!s.contains(5));
        assert!(!s.remove(1_000));
        assert_eq!(s.len(), 199);
        for seq in 0..200 {
            s.remove(seq);
        }
        assert_eq!(s.len(), 0);
        // The window front advanced past the fully removed words.
        assert_eq!(s.window_len(), 1);
        assert!(!s.contains(3));
        s.insert_next(200);
        assert!(s.contains(200) && !s.contains(199));
    }

    #[test]
    fn long_lived_numbers_are_evicted_and_stay_exact() {
        let mut s = PendingSet::default();
        // 0 and 1 stay pending forever; everything else is removed soon after insertion.
        s.insert_next(0);
        s.insert_next(1);
        for seq in 2..2_000_000u64 {
            s.insert_next(seq);
            if seq >= 12 {
                assert!(s.remove(seq - 10));
            }
        }
        assert!(s.window_len() <= 2 * MIN_WINDOW_WORDS + 1, "window {}", s.window_len());
        assert_eq!(s.len(), 12);
        assert!(s.contains(0) && s.contains(1) && !s.contains(2));
        assert!(s.remove(1));
        assert!(!s.remove(1));
        assert!(!s.contains(1));
        assert!(s.contains(0));
        assert!(s.contains(1_999_999));
        assert_eq!(s.len(), 11);
    }
}

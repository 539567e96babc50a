//! The event calendar: the engine's priority queue of scheduled entries.
//!
//! # Order contract
//! Entries pop in ascending `(time, priority, sequence)` order, exactly:
//!
//! * earlier [`SimTime`] first;
//! * entries **at the same time** run in ascending [`Priority`] (lower value first,
//!   [`Priority::DEFAULT`] is 0);
//! * entries at the same time and priority run in **insertion order**: every
//!   [`Calendar::schedule`] call takes the next value of the calendar's `u64` sequence counter,
//!   which is also the entry's [`EntryHandle`].
//!
//! This order is part of the reproducibility contract: it never depends on hashing, memory
//! addresses or the queue's internal layout.
//!
//! # Time
//! [`Calendar::now`] is the time of the last popped entry (zero at the start). Scheduling earlier
//! than `now` is an error ([`ScheduleError::InThePast`]); scheduling exactly at `now` is allowed
//! and the entry runs after every already pending entry that precedes it in the order above.
//!
//! # Cancellation
//! [`Calendar::cancel`] is exact: it returns `true` iff the entry was pending, a cancelled entry
//! never pops and every other entry pops exactly once. Deletion is lazy (the entry is skipped when
//! it reaches the front, and purged in bulk once cancelled entries outnumber pending ones), so
//! cancelling is O(1), and a calendar that never cancels pays nothing for the possibility: the
//! pending set is built from the stored entries at the first cancellation.
//!
//! # Performance
//! The queue is a ladder queue (see `ladder.rs`): unsorted time buckets refined on demand, and a
//! small binary heap for the bucket being consumed. Schedule and pop are amortised O(1) for the
//! usual time distributions, and a few times faster than [`std::collections::BinaryHeap`] once the
//! queue outgrows the CPU caches (`benches/hold.rs`). A small queue is a plain binary heap.
//! Adversarial time distributions degrade towards a binary heap, never to a wrong order.

mod ladder;
mod pending;

use std::fmt;

use ladder::{Item, Ladder, Tuning};
use pending::PendingSet;

use crate::time::SimTime;

/// Same-time ordering of entries: lower runs first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Priority(pub i16);

impl Priority {
    /// The priority of ordinary events.
    pub const DEFAULT: Priority = Priority(0);
}

/// Identifies a scheduled entry, for [`Calendar::cancel`]; it is the entry's sequence number.
///
/// A handle is only meaningful for the calendar that issued it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryHandle(u64);

impl EntryHandle {
    /// The entry's sequence number: its rank in insertion order, starting at 0.
    pub fn sequence(self) -> u64 {
        self.0
    }
}

/// A popped entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry<P> {
    /// When it is due.
    pub time: SimTime,
    /// Its same-time ordering.
    pub priority: Priority,
    /// The handle [`Calendar::schedule`] returned for it.
    pub handle: EntryHandle,
    /// What was scheduled.
    pub payload: P,
}

/// A [`Calendar::schedule`] request was rejected.
#[derive(thiserror::Error, Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum ScheduleError {
    /// The requested time precedes the calendar's current time.
    #[error("cannot schedule at {requested}: the calendar is already at {now}")]
    InThePast {
        /// The calendar's current time.
        now: SimTime,
        /// The rejected time.
        requested: SimTime,
    },
    /// The requested time is infinite (a time computation overflowed `f64::MAX`).
    #[error("cannot schedule at an infinite time")]
    Infinite,
}

/// Cancelled entries still stored are purged once they exceed both this and the pending count.
const PURGE_MIN: usize = 1024;

/// The event calendar; see the module docs for the order contract.
pub struct Calendar<P> {
    queue: Ladder<P>,
    /// Sequence numbers of the pending (scheduled, not popped, not cancelled) entries; `None`
    /// until the first cancellation, so models that never cancel pay nothing for it. While it is
    /// `None`, every stored entry is pending.
    pending: Option<PendingSet>,
    now: SimTime,
    next_seq: u64,
    /// Entries physically in `queue`: pending ones plus lazily cancelled ones.
    stored: usize,
}

impl<P> Default for Calendar<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P> fmt::Debug for Calendar<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Calendar")
            .field("now", &self.now)
            .field("len", &self.len())
            .field("scheduled_total", &self.next_seq)
            .finish_non_exhaustive()
    }
}

impl<P> Calendar<P> {
    /// An empty calendar at time zero.
    pub fn new() -> Self {
        Self::with_tuning(Tuning::DEFAULT)
    }

    fn with_tuning(tuning: Tuning) -> Self {
        Calendar { queue: Ladder::new(tuning), pending: None, now: SimTime::ZERO, next_seq: 0, stored: 0 }
    }

    /// Time of the last popped entry; [`SimTime::ZERO`] before the first pop.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `payload` at `time` with `priority`.
    ///
    /// # Errors
    /// [`ScheduleError::InThePast`] if `time < self.now()` (`time == now` is fine);
    /// [`ScheduleError::Infinite`] if `time` is infinite.
    #[inline]
    pub fn schedule(
        &mut self,
        time: SimTime,
        priority: Priority,
        payload: P,
    ) -> Result<EntryHandle, ScheduleError> {
        if time < self.now {
            return Err(ScheduleError::InThePast { now: self.now, requested: time });
        }
        if !time.as_f64().is_finite() {
            return Err(ScheduleError::Infinite);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(pending) = &mut self.pending {
            pending.insert_next(seq);
        }
        self.queue.push(Item::new(time, priority, seq, payload));
        self.stored += 1;
        Ok(EntryHandle(seq))
    }

    /// Cancels a pending entry; true iff it was pending (false if it already popped, was already
    /// cancelled, or the handle comes from another calendar and matches nothing pending here).
    pub fn cancel(&mut self, handle: EntryHandle) -> bool {
        let pending = self.track();
        if !pending.remove(handle.0) {
            return false;
        }
        let live = pending.len();
        let cancelled = self.stored - live;
        if cancelled > PURGE_MIN && cancelled > live {
            // Lazy deletion would otherwise keep memory proportional to everything ever
            // cancelled; purging after this many cancels keeps it amortised O(1) per cancel.
            let pending = &self.pending;
            self.queue.retain(|item| pending.as_ref().is_some_and(|p| p.contains(item.seq)));
            self.stored = live;
        }
        true
    }

    /// Whether `handle` is still pending (scheduled here, neither popped nor cancelled).
    pub fn is_pending(&mut self, handle: EntryHandle) -> bool {
        self.track().contains(handle.0)
    }

    /// The pending set, built on first use from the stored entries (all of which are pending
    /// until something is cancelled).
    fn track(&mut self) -> &mut PendingSet {
        if self.pending.is_none() {
            let mut seqs = Vec::with_capacity(self.stored);
            self.queue.retain(|item| {
                seqs.push(item.seq);
                true
            });
            seqs.sort_unstable();
            let mut set = PendingSet::default();
            for seq in seqs {
                set.insert_next(seq);
            }
            self.pending = Some(set);
        }
        self.pending.get_or_insert_default()
    }

    /// Removes and returns the next entry, advancing [`Self::now`] to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<Entry<P>> {
        loop {
            let item = self.queue.pop()?;
            self.stored -= 1;
            if self.pending.as_mut().is_none_or(|p| p.remove(item.seq)) {
                self.now = item.time;
                return Some(Entry {
                    time: item.time,
                    priority: item.priority(),
                    handle: EntryHandle(item.seq),
                    payload: item.payload,
                });
            }
            // Cancelled: drop it and look further.
        }
    }

    /// Time of the next entry, without popping it (discards cancelled entries at the front, hence
    /// `&mut self`).
    #[inline]
    pub fn peek_time(&mut self) -> Option<SimTime> {
        loop {
            let item = self.queue.peek()?;
            if self.pending.as_ref().is_none_or(|p| p.contains(item.seq)) {
                return Some(item.time);
            }
            self.queue.pop();
            self.stored -= 1;
        }
    }

    /// Number of pending entries (cancelled ones excluded).
    #[inline]
    pub fn len(&self) -> usize {
        self.pending.as_ref().map_or(self.stored, PendingSet::len)
    }

    /// Whether no entry is pending.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests;

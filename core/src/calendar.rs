//! Event calendar (interim binary-heap version; replaced by the calendar-queue implementation).
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use crate::time::SimTime;

/// Same-time order: lower runs first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Priority(pub i16);
impl Priority {
    /// The priority of ordinary model events.
    pub const DEFAULT: Priority = Priority(0);
}
/// Handle of a scheduled entry (its sequence number).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EntryHandle(u64);
/// A popped entry.
#[derive(Debug)]
pub struct Entry<P> {
    /// When.
    pub time: SimTime,
    /// Same-time order.
    pub priority: Priority,
    /// Its handle.
    pub handle: EntryHandle,
    /// What.
    pub payload: P,
}
/// Scheduling failed.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    /// In the past.
    #[error("cannot schedule at t={requested}: the clock is already at t={now}")]
    InThePast {
        /// Now.
        now: SimTime,
        /// Requested.
        requested: SimTime,
    },
}
struct Item<P>(SimTime, Priority, u64, P);
impl<P> PartialEq for Item<P> {
    fn eq(&self, o: &Self) -> bool {
        (self.0, self.1, self.2) == (o.0, o.1, o.2)
    }
}
impl<P> Eq for Item<P> {}
impl<P> PartialOrd for Item<P> {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl<P> Ord for Item<P> {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.0, self.1, self.2).cmp(&(o.0, o.1, o.2))
    }
}
/// The calendar.
pub struct Calendar<P> {
    heap: BinaryHeap<Reverse<Item<P>>>,
    cancelled: HashSet<u64>,
    seq: u64,
    now: SimTime,
}
impl<P> Default for Calendar<P> {
    fn default() -> Self {
        Self::new()
    }
}
impl<P> Calendar<P> {
    /// Empty.
    pub fn new() -> Self {
        Calendar { heap: BinaryHeap::new(), cancelled: HashSet::new(), seq: 0, now: SimTime::ZERO }
    }
    /// Now.
    pub fn now(&self) -> SimTime {
        self.now
    }
    /// Schedule.
    pub fn schedule(
        &mut self,
        time: SimTime,
        priority: Priority,
        payload: P,
    ) -> Result<EntryHandle, ScheduleError> {
        if time < self.now {
            return Err(ScheduleError::InThePast { now: self.now, requested: time });
        }
        let s = self.seq;
        self.seq += 1;
        self.heap.push(Reverse(Item(time, priority, s, payload)));
        Ok(EntryHandle(s))
    }
    /// Cancel.
    pub fn cancel(&mut self, h: EntryHandle) -> bool {
        if h.0 >= self.seq || !self.heap.iter().any(|Reverse(i)| i.2 == h.0) {
            return false;
        }
        self.cancelled.insert(h.0)
    }
    /// Pop.
    pub fn pop(&mut self) -> Option<Entry<P>> {
        while let Some(Reverse(Item(t, p, s, payload))) = self.heap.pop() {
            if !self.cancelled.is_empty() && self.cancelled.remove(&s) {
                continue;
            }
            self.now = t;
            return Some(Entry { time: t, priority: p, handle: EntryHandle(s), payload });
        }
        None
    }
    /// Peek.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        while let Some(Reverse(i)) = self.heap.peek() {
            if self.cancelled.contains(&i.2) {
                let s = i.2;
                self.heap.pop();
                self.cancelled.remove(&s);
            } else {
                return Some(i.0);
            }
        }
        None
    }
    /// Len.
    pub fn len(&self) -> usize {
        self.heap.len() - self.cancelled.len()
    }
    /// Empty?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

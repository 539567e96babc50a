//! The priority queue behind [`Calendar`](super::Calendar): a ladder queue with a binary-heap
//! bottom.
//!
//! # Why not a binary heap
//! A binary heap of N entries does ~log2(N) dependent, cache-missing comparisons per pop once it
//! outgrows the caches. A ladder queue (Tang, Goh & Thng 2005, a descendant of Brown's 1988
//! calendar queue) instead keeps the future in *unsorted* buckets: an insert is an index
//! computation plus a `Vec::push`, and a bucket is only ordered once it is about to be consumed.
//!
//! # Structure
//! Three tiers, every entry of a lower tier preceding every entry of a higher one:
//!
//! * **bottom**: a small binary heap holding the bucket being consumed. It is the only place the
//!   exact `(time, priority, sequence)` order is established, so ties of any kind are exact.
//! * **rungs**: `rungs[0]` is the coarsest. Rung `r` splits `[lo, hi]` into `nb` equal-width
//!   buckets; `cur` is its first unconsumed bucket. When the bucket about to be consumed is too
//!   large, it is split into a finer child rung (`rungs[r + 1]`) covering its entries' own
//!   `[min, max]`; bucket `cur` of the parent then keeps collecting entries later than the child's
//!   `hi` (its "remainder") and is processed again once the child is used up.
//! * **top**: an unsorted vector of entries later than `top_above`. When everything else is used
//!   up it becomes the new `rungs[0]`, spanning its own `[min, max]`.
//!
//! # Routing, and why it is exact
//! Bucket indices come from `floor((t - lo) * nb / (hi - lo))` clamped to `[0, nb)`, which is
//! monotone non-decreasing in `t` (IEEE subtraction, multiplication by a positive constant and the
//! saturating float-to-int cast are all monotone). An insert at time `t` goes to the top if
//! `t > top_above`; otherwise it walks down from rung 0: at rung `r` with index `i`, it lands in
//! bucket `i` if `i > cur`; if `i <= cur` it descends into the child when `t <= child.hi`, else
//! lands in bucket `cur` (the remainder); at the finest rung, `i < cur` goes to the bottom. All
//! these tests are thresholds on `t`, so the tiers, rungs and buckets always hold consecutive
//! intervals of time in consumption order; a bucket is an unordered bag whose contents only need
//! to lie between its neighbours, and the bottom heap orders each bag exactly.
//!
//! # Small queues
//! While the whole queue fits in the bottom (`top_above = +inf`, no rungs), this is a plain binary
//! heap plus one float comparison per insert. When the bottom outgrows its limit it is split into
//! a rung ("spill"), which is also how a queue that grows past the small regime enters ladder mode.
//!
//! # Degenerate inputs
//! Entries that cannot be split (all at the same time, or a span too narrow for `f64` to divide)
//! and rungs nested [`Tuning::max_depth`] deep go to the bottom heap whatever their number, so the
//! worst case is a binary heap, never a wrong order. The bottom's spill limit doubles after a
//! failed split so that such a heap is not rescanned on every insert.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::mem;

use super::Priority;
use crate::time::SimTime;

/// One scheduled entry as stored in the queue.
///
/// Its [`Ord`] is **reversed** (the earliest `(time, priority, seq)` is the greatest) so that
/// std's max-heap [`BinaryHeap`] pops the earliest entry first; the payload never takes part.
pub(super) struct Item<P> {
    pub(super) time: SimTime,
    /// The [`Priority`], widened: with an `i16` field the heap's element moves (wide copies)
    /// followed by 2-byte loads defeated store forwarding, and a 2-entry hold took ~1.5x as long
    /// (measured with `benches/hold.rs`). With an 8-byte payload the size is the same (32 bytes).
    prio: i64,
    pub(super) seq: u64,
    pub(super) payload: P,
}

impl<P> Item<P> {
    #[inline]
    pub(super) fn new(time: SimTime, priority: Priority, seq: u64, payload: P) -> Self {
        Item { time, prio: i64::from(priority.0), seq, payload }
    }

    #[inline]
    pub(super) fn priority(&self) -> Priority {
        // Lossless: `prio` was widened from an `i16`.
        Priority(self.prio as i16)
    }

    /// The sort key. Times are finite and `>= +0.0`, so their bit patterns order like the values,
    /// and integer comparison is cheaper than a float total order.
    #[inline]
    fn key(&self) -> (u64, i64, u64) {
        (self.time.as_f64().to_bits(), self.prio, self.seq)
    }
}

impl<P> PartialEq for Item<P> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl<P> Eq for Item<P> {}
impl<P> PartialOrd for Item<P> {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<P> Ord for Item<P> {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed on purpose: see the type docs.
        other.key().cmp(&self.key())
    }
}

/// Size parameters. Production uses [`Tuning::DEFAULT`]; tests use tiny values to exercise deep
/// ladders with few entries.
#[derive(Clone, Copy, Debug)]
pub(super) struct Tuning {
    /// The bottom heap is split into a rung when it grows past this size.
    pub(super) bottom_limit: usize,
    /// A bucket with more entries than this is split into a child rung instead of being heapified.
    pub(super) split_above: usize,
    /// Mean entries per bucket when a rung is created.
    pub(super) per_bucket: usize,
    /// Maximum number of rungs; deeper splits go to the bottom heap instead.
    pub(super) max_depth: usize,
}

impl Tuning {
    /// Chosen with the hold benchmark (`benches/hold.rs`): buckets of ~64 entries keep the bottom
    /// heap small (a few levels, in L1) while the bucket array stays small enough to be mostly
    /// cached at N = 10^6 (32 entries per bucket was ~15% slower there, 128 slower at N = 10^3).
    pub(super) const DEFAULT: Tuning =
        Tuning { bottom_limit: 256, split_above: 128, per_bucket: 64, max_depth: 16 };
}

/// A rung: `nb` equal-width buckets over `[lo, hi]`.
struct Rung<P> {
    /// Start of bucket 0.
    lo: f64,
    /// `nb / (hi - lo)`: multiplying by it is cheaper than dividing by the width.
    inv_width: f64,
    /// Latest time routed into this rung (inclusive). Later times stay in the parent.
    hi: f64,
    /// Number of buckets in use (`buckets` may be longer: spare, empty buckets are kept to reuse
    /// their allocations).
    nb: usize,
    /// First bucket not yet consumed.
    cur: usize,
    buckets: Vec<Vec<Item<P>>>,
}

impl<P> Rung<P> {
    /// Monotone bucket index of `t`, clamped to the rung.
    #[inline]
    fn index(&self, t: f64) -> usize {
        // `as usize` saturates: negative (earlier than `lo`) becomes 0.
        (((t - self.lo) * self.inv_width) as usize).min(self.nb - 1)
    }
}

/// The queue; see the module docs.
pub(super) struct Ladder<P> {
    tuning: Tuning,
    /// The entries being consumed, exactly ordered.
    bottom: BinaryHeap<Item<P>>,
    /// Current spill limit of `bottom` (`tuning.bottom_limit`, raised while it cannot be split).
    bottom_limit: usize,
    /// `rungs[..depth]` are active, coarsest first; the rest are spares.
    rungs: Vec<Rung<P>>,
    depth: usize,
    /// Unsorted entries with `time > top_above`.
    top: Vec<Item<P>>,
    /// Bounds of the times in `top` (`+inf` / `-inf` while it is empty).
    top_min: f64,
    top_max: f64,
    /// Entries later than this go to `top`. `+inf` while there are no rungs and `top` is empty,
    /// i.e. while the whole queue lives in the bottom heap.
    top_above: f64,
}

impl<P> Ladder<P> {
    pub(super) fn new(tuning: Tuning) -> Self {
        Ladder {
            tuning,
            bottom: BinaryHeap::new(),
            bottom_limit: tuning.bottom_limit,
            rungs: Vec::new(),
            depth: 0,
            top: Vec::new(),
            top_min: f64::INFINITY,
            top_max: f64::NEG_INFINITY,
            top_above: f64::INFINITY,
        }
    }

    /// Inserts an entry. Its time must not precede the last popped entry's.
    #[inline]
    pub(super) fn push(&mut self, item: Item<P>) {
        let t = item.time.as_f64();
        if t > self.top_above {
            self.top_min = self.top_min.min(t);
            self.top_max = self.top_max.max(t);
            self.top.push(item);
            return;
        }
        let mut r = 0;
        while r < self.depth {
            let finest = r + 1 == self.depth;
            // The child's bound, read before borrowing this rung mutably.
            let child_hi = if finest { f64::NAN } else { self.rungs[r + 1].hi };
            let rung = &mut self.rungs[r];
            let i = rung.index(t);
            if i > rung.cur || (i == rung.cur && finest) {
                rung.buckets[i].push(item);
                return;
            }
            if finest {
                break; // before the first unconsumed bucket: belongs with the bucket in `bottom`
            }
            if t > child_hi {
                let cur = rung.cur;
                rung.buckets[cur].push(item); // the remainder of the bucket being split
                return;
            }
            r += 1;
        }
        self.push_bottom(item);
    }

    /// Removes the earliest entry.
    #[inline]
    pub(super) fn pop(&mut self) -> Option<Item<P>> {
        if let Some(item) = self.bottom.pop() {
            return Some(item);
        }
        if self.refill() { self.bottom.pop() } else { None }
    }

    /// The earliest entry.
    #[inline]
    pub(super) fn peek(&mut self) -> Option<&Item<P>> {
        if self.bottom.is_empty() && !self.refill() {
            return None;
        }
        self.bottom.peek()
    }

    /// Keeps only the entries for which `keep` is true (used to purge cancelled entries).
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&Item<P>) -> bool) {
        self.bottom.retain(&mut keep);
        for rung in &mut self.rungs[..self.depth] {
            // Bucket `cur` is included: in a split rung it holds the remainder.
            for bucket in &mut rung.buckets[rung.cur..rung.nb] {
                bucket.retain(&mut keep);
            }
        }
        self.top.retain(&mut keep);
        // Stale bounds would still be correct, just looser; recomputing them is cheap here.
        (self.top_min, self.top_max) = bounds(&self.top);
    }

    #[inline]
    fn push_bottom(&mut self, item: Item<P>) {
        self.bottom.push(item);
        if self.bottom.len() > self.bottom_limit {
            self.spill_bottom();
        }
    }

    /// The bottom heap got too big: turn it into a new finest rung (empty bottom, which the next
    /// pop refills from that rung's first bucket). If it cannot be split, raise the limit instead.
    #[cold]
    fn spill_bottom(&mut self) {
        let (lo, hi) = bounds(self.bottom.as_slice());
        if self.depth < self.tuning.max_depth
            && let Some(plan) = self.plan(self.bottom.len(), lo, hi)
        {
            // A used-up finest rung (its last bucket is what the bottom holds) has no bucket left
            // to be the new child's remainder: entries later than the child but within the rung
            // would be routed past its last bucket. It is empty, so the child goes under its
            // parent instead, whose remainder (or the top) follows. (Only when a child is made:
            // without one, the used-up rung must stay, so that entries as early as the bottom's
            // keep going to the bottom and not to the parent's remainder.)
            while self.depth > 0 && self.rungs[self.depth - 1].cur == self.rungs[self.depth - 1].nb {
                self.depth -= 1;
            }
            let mut items = mem::take(&mut self.bottom).into_vec();
            if self.depth == 0 {
                // Everything outside the top was in the bottom, so every non-top entry is
                // `<= hi`: the top may take everything later (this is how a queue leaves the
                // heap-only regime).
                self.top_above = hi;
            }
            self.spawn(plan, &mut items);
            self.bottom = BinaryHeap::from(items); // empty; keeps the allocation
            self.bottom_limit = self.tuning.bottom_limit;
        } else {
            self.bottom_limit = 2 * self.bottom.len();
        }
    }

    /// Moves the next batch of entries into the empty bottom heap; false iff the queue is empty.
    fn refill(&mut self) -> bool {
        debug_assert!(self.bottom.is_empty());
        loop {
            if self.depth == 0 {
                if self.top.is_empty() {
                    self.top_above = f64::INFINITY; // empty: back to the heap-only regime
                    return false;
                }
                let (lo, hi) = (self.top_min, self.top_max);
                let mut items = mem::take(&mut self.top);
                (self.top_min, self.top_max) = (f64::INFINITY, f64::NEG_INFINITY);
                if items.len() > self.tuning.bottom_limit / 2
                    && let Some(plan) = self.plan(items.len(), lo, hi)
                {
                    self.top_above = hi;
                    self.spawn(plan, &mut items);
                    self.top = items; // empty; keeps the allocation
                    continue;
                }
                // Few (or unsplittable) entries: back to the heap-only regime.
                self.top_above = f64::INFINITY;
                self.top = self.set_bottom(items);
                return true;
            }

            let r = self.depth - 1;
            let rung = &mut self.rungs[r];
            while rung.cur < rung.nb && rung.buckets[rung.cur].is_empty() {
                rung.cur += 1;
            }
            if rung.cur == rung.nb {
                // Used up; its parent's bucket `cur` (the remainder) comes next.
                self.depth -= 1;
                continue;
            }
            let cur = rung.cur;
            let mut items = mem::take(&mut rung.buckets[cur]);
            if items.len() > self.tuning.split_above && self.depth < self.tuning.max_depth {
                let (lo, hi) = bounds(&items);
                if let Some(plan) = self.plan(items.len(), lo, hi) {
                    // `cur` stays: the emptied bucket collects entries later than the child.
                    self.spawn(plan, &mut items);
                    self.rungs[r].buckets[cur] = items;
                    continue;
                }
            }
            self.rungs[r].cur += 1;
            self.rungs[r].buckets[cur] = self.set_bottom(items);
            return true;
        }
    }

    /// Heapifies `items` into the empty bottom; returns the bottom's old (empty) allocation.
    #[inline]
    fn set_bottom(&mut self, items: Vec<Item<P>>) -> Vec<Item<P>> {
        debug_assert!(self.bottom.is_empty());
        self.bottom_limit = self.tuning.bottom_limit.max(2 * items.len());
        mem::replace(&mut self.bottom, BinaryHeap::from(items)).into_vec()
    }

    /// Whether `n` entries spanning `[lo, hi]` can be split into a rung, and its geometry.
    fn plan(&self, n: usize, lo: f64, hi: f64) -> Option<Plan> {
        let nb = (n / self.tuning.per_bucket).max(2);
        let span = hi - lo;
        let inv_width = nb as f64 / span;
        // `span > 0` rejects all-equal times; finiteness rejects spans too narrow to divide.
        (span > 0.0 && inv_width.is_finite()).then_some(Plan { lo, hi, nb, inv_width })
    }

    /// Creates the rung `rungs[depth]` and moves `items` into it (leaving `items` empty).
    fn spawn(&mut self, plan: Plan, items: &mut Vec<Item<P>>) {
        if self.rungs.len() == self.depth {
            self.rungs.push(Rung { lo: 0.0, inv_width: 0.0, hi: 0.0, nb: 0, cur: 0, buckets: Vec::new() });
        }
        let rung = &mut self.rungs[self.depth];
        rung.lo = plan.lo;
        rung.hi = plan.hi;
        rung.inv_width = plan.inv_width;
        rung.nb = plan.nb;
        rung.cur = 0;
        // Inactive rungs hold only empty buckets, so they can be reused as they are; far too
        // many spares are dropped to bound the memory kept from a past peak.
        if rung.buckets.len() < plan.nb {
            rung.buckets.resize_with(plan.nb, Vec::new);
        } else if rung.buckets.len() > 4 * plan.nb {
            rung.buckets.truncate(plan.nb);
        }
        for item in items.drain(..) {
            let i = rung.index(item.time.as_f64());
            rung.buckets[i].push(item);
        }
        self.depth += 1;
    }
}

/// Geometry of a rung about to be created.
#[derive(Clone, Copy)]
struct Plan {
    lo: f64,
    hi: f64,
    nb: usize,
    inv_width: f64,
}

/// Minimum and maximum time in `items` (`(+inf, -inf)` if empty).
fn bounds<P>(items: &[Item<P>]) -> (f64, f64) {
    items.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), item| {
        let t = item.time.as_f64();
        (lo.min(t), hi.max(t))
    })
}

#[cfg(test)]
impl<P> Ladder<P> {
    /// Number of active rungs.
    pub(super) fn depth(&self) -> usize {
        self.depth
    }
}

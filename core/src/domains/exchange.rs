//! How domains couple without knowing each other: neutral, typed World resources.
//!
//! A domain never imports another. It publishes into the exchange and reads from it:
//!
//! - **Messages** ([`Feed`]): things that happen once and must be delivered exactly once to every
//!   reader, e.g. [`Shipment`]s (a finished job leaving a plant). A reader subscribes when it is
//!   built ([`Feed::subscribe`]) and takes what is new whenever it runs ([`Feed::read`]).
//! - **Readings** ([`Readings`]): quantities that have a current value, e.g. a plant's power
//!   demand, written by their publisher and read by anyone at a step.
//!
//! A region provides a feed only when some domain reads it ([`Topic`], from
//! [`super::Domain::reads`]), so a domain that publishes into no one's feed does no work for it.
//! Publishers write in [`super::Domain::publish`], which the region calls before another
//! domain's entry or a step runs: a reader always sees everything published up to the current
//! time (same-time order: see ARCHITECTURE.md, "Regions").

use std::collections::BTreeMap;
use std::sync::Arc;

use bevy_ecs::resource::Resource;

use crate::time::SimTime;

/// What a domain can read from the exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Topic {
    /// [`Shipments`]: finished goods leaving their producer.
    Shipments,
    /// [`Readings`]: published quantities.
    Readings,
}

impl Topic {
    /// Inserts the (empty) resource of this topic into `world`, if absent.
    pub(crate) fn provide(self, world: &mut bevy_ecs::world::World) {
        match self {
            Topic::Shipments => world.init_resource::<Shipments>(),
            Topic::Readings => world.init_resource::<Readings>(),
        };
    }
}

/// Goods leaving their producer: what a consumer may turn into freight, stock or revenue.
#[derive(Clone, Debug, PartialEq)]
pub struct Shipment {
    /// When it left [time unit].
    pub time: SimTime,
    /// What it is (the producer's name for it; shared, so a shipment is cheap to copy).
    pub product: Arc<str>,
    /// How many units.
    pub quantity: u32,
    /// Where it goes, if the producer says.
    pub destination: Option<Arc<str>>,
}

/// The feed of [`Shipment`]s.
pub type Shipments = Feed<Shipment>;

/// A reader of a [`Feed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReaderId(usize);

/// Messages delivered exactly once to every reader, in the order published.
///
/// Messages are kept until every reader has read them, then dropped, so memory is bounded by
/// what the slowest reader has not read yet. A feed without readers keeps nothing.
#[derive(Resource, Debug)]
pub struct Feed<T> {
    messages: Vec<T>,
    /// Sequence number of `messages[0]`.
    first: u64,
    /// Per reader: the sequence number of the next message it has not read.
    cursors: Vec<u64>,
}

impl<T> Default for Feed<T> {
    fn default() -> Self {
        Feed { messages: Vec::new(), first: 0, cursors: Vec::new() }
    }
}

impl<T> Feed<T> {
    /// A new reader; it will read every message published from now on.
    pub fn subscribe(&mut self) -> ReaderId {
        self.cursors.push(self.first + self.messages.len() as u64);
        ReaderId(self.cursors.len() - 1)
    }

    /// Whether anyone reads this feed.
    pub fn has_readers(&self) -> bool {
        !self.cursors.is_empty()
    }

    /// Publishes messages (dropped at once if no one reads the feed).
    pub fn publish(&mut self, messages: impl IntoIterator<Item = T>) {
        if self.has_readers() {
            self.messages.extend(messages);
        }
    }

    /// The messages `reader` has not read yet, in publication order; they count as read.
    ///
    /// # Panics
    /// If `reader` was not made by this feed's [`Feed::subscribe`] (a programming error).
    pub fn read(&mut self, reader: ReaderId) -> Vec<T>
    where
        T: Clone,
    {
        let end = self.first + self.messages.len() as u64;
        let from = std::mem::replace(&mut self.cursors[reader.0], end);
        let unread = self.messages[(from - self.first) as usize..].to_vec();
        // Everything before the slowest reader's cursor has been read by all.
        let slowest = self.cursors.iter().copied().min().unwrap_or(end);
        self.messages.drain(..(slowest - self.first) as usize);
        self.first = slowest;
        unread
    }

    /// Messages published and not yet read by every reader.
    pub fn pending(&self) -> usize {
        self.messages.len()
    }
}

/// Quantities with a current value, by publisher and name, e.g. `("factory", "wip")`.
///
/// A publisher writes them in its `publish`; readers (stepped systems, other domains' handlers)
/// read them at their own times and see the value as of the current time. Ordered by key, so
/// iterating them is deterministic.
#[derive(Resource, Debug, Default)]
pub struct Readings {
    /// Names are the publishers' own constants: setting one on every publication allocates
    /// nothing.
    values: BTreeMap<(&'static str, &'static str), f64>,
}

impl Readings {
    /// Sets `publisher`'s quantity `name`.
    pub fn set(&mut self, publisher: &'static str, name: &'static str, value: f64) {
        self.values.insert((publisher, name), value);
    }

    /// The current value of `publisher`'s quantity `name`, if published.
    pub fn get(&self, publisher: &str, name: &str) -> Option<f64> {
        self.values.iter().find(|((p, n), _)| *p == publisher && *n == name).map(|(_, v)| *v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reader_gets_every_message_once_in_order() {
        let mut feed = Feed::<u32>::default();
        feed.publish([0]); // before any reader: dropped
        let a = feed.subscribe();
        feed.publish([1, 2]);
        let b = feed.subscribe();
        feed.publish([3]);
        assert_eq!(feed.read(a), vec![1, 2, 3]);
        assert_eq!(feed.read(a), Vec::<u32>::new());
        feed.publish([4]);
        assert_eq!(feed.read(b), vec![3, 4]);
        // `a` has not read 4 yet: it is kept for it, nothing else is.
        assert_eq!(feed.pending(), 1);
        assert_eq!(feed.read(a), vec![4]);
        assert_eq!(feed.pending(), 0);
    }

    #[test]
    fn a_feed_without_readers_keeps_nothing() {
        let mut feed = Feed::<u32>::default();
        feed.publish(0..1000);
        assert_eq!(feed.pending(), 0);
        assert!(!feed.has_readers());
    }

    #[test]
    fn readings_hold_the_last_value() {
        let mut r = Readings::default();
        r.set("plant", "power", 1.0);
        r.set("plant", "power", 2.5);
        assert_eq!(r.get("plant", "power"), Some(2.5));
        assert_eq!(r.get("plant", "heat"), None);
    }
}

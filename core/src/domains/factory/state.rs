//! Factory state kept in the World.

use std::collections::VecDeque;

use bevy_ecs::component::Component;

/// A job moving through the factory. Jobs are plain data inside stations and calendar entries,
/// not entities: spawning one entity per job would halve the engine's throughput.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Job {
    /// Unique within a replication, in release order.
    pub id: u64,
    /// Index of its product.
    pub product: u32,
    /// Index of its current operation in the product's route.
    pub step: u32,
    /// Release (arrival) time [time unit].
    pub released: f64,
    /// When it joined its current queue [time unit].
    pub queued_at: f64,
    /// Total time spent waiting in queues so far [time unit].
    pub waited: f64,
}

/// A job that finished service upstream but found no room here; it keeps its upstream machine
/// blocked until it can enter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Blocked {
    /// The waiting job.
    pub job: Job,
    /// Index of the station whose machine it occupies.
    pub from: u32,
}

/// A station of identical parallel machines with a FIFO queue.
#[derive(Component, Debug)]
pub struct Station {
    /// Index in the factory's station list.
    pub index: u32,
    /// Number of machines.
    pub machines: u32,
    /// Waiting places, not counting jobs in service; `None` = unlimited.
    pub buffer: Option<u32>,
    /// Machines processing a job.
    pub busy: u32,
    /// Machines holding a finished job that cannot move on.
    pub blocked: u32,
    /// Jobs waiting for a machine, in arrival order.
    pub queue: VecDeque<Job>,
    /// Jobs blocked upstream waiting for room here, in the order they were blocked.
    pub blocked_upstream: VecDeque<Blocked>,
}

impl Station {
    /// A station with all machines idle.
    pub fn new(index: u32, machines: u32, buffer: Option<u32>) -> Self {
        Station {
            index,
            machines,
            buffer,
            busy: 0,
            blocked: 0,
            queue: VecDeque::new(),
            blocked_upstream: VecDeque::new(),
        }
    }

    /// Machines neither processing nor blocked.
    pub fn free_machines(&self) -> u32 {
        self.machines - self.busy - self.blocked
    }

    /// Whether the queue has a free waiting place.
    pub fn has_room(&self) -> bool {
        self.buffer.is_none_or(|cap| self.queue.len() < cap as usize)
    }
}

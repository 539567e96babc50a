//! Factory state: the stations (hot, the handlers' own) and the machines (entities, whose
//! components are what others read of them).

use std::collections::VecDeque;

use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use xinzhi_plugin::JobRecord;

use super::reliability::Lives;

/// `i` as a station, machine, product or source index: validated scenarios have fewer than
/// 2³² of each (see [`super::config::MAX_MACHINES`]).
pub(in crate::domains::factory) fn index(i: usize) -> u32 {
    u32::try_from(i).expect("validated scenarios have fewer than 2^32 entities")
}

/// A job moving through the factory. Jobs are plain data inside stations, not entities:
/// spawning one entity per job would halve the engine's throughput.
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
    /// Due date [time unit]; `+∞` when it has none.
    pub due: f64,
    /// Weight (priority), `> 0`.
    pub weight: f64,
    /// Seed of its own draws (its processing times: [`crate::rng::entity_stream`]).
    pub seed: u64,
    /// Slot of its processing times, sampled at release, in the model's store; `NO_TIMES`
    /// when they are sampled at each operation's start instead.
    pub times: u32,
    /// Estimated end of its current operation [time unit] (exact with known times), for
    /// schedulers.
    pub busy_until: f64,
}

/// [`Job::times`] of a job whose processing times are not known in advance.
pub(crate) const NO_TIMES: u32 = u32::MAX;

/// What a machine is doing, with the job it holds (hot, the handlers' own copy).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MachineState {
    /// Free for the next job.
    Idle,
    /// Processing this job.
    Busy(Job),
    /// Holding a finished job that found no room downstream (the job itself waits in the
    /// downstream station's `blocked_upstream` list).
    Blocked,
}

/// A machine entity's identity: its station and its place there.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Machine {
    /// Index of its station in the factory's station list.
    pub station: u32,
    /// Index of the machine within its station.
    pub index: u32,
}

/// What a machine does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    /// Waiting for work.
    Idle,
    /// Processing a job.
    Busy,
    /// Holding a finished job that has no room downstream.
    Blocked,
    /// Out of service: failed, in repair or in maintenance (see its `Health`).
    Down,
}

/// A machine entity's activity and what it has done: exact as of `since`, the time of its last
/// change (a reader extends the current activity to its own time with [`MachineStatus::at`]).
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct MachineStatus {
    /// What it does since `since`.
    pub activity: Activity,
    /// When it started doing it [time unit].
    pub since: f64,
    /// Operations finished so far.
    pub completed: u64,
    /// Time spent processing before `since` [time unit].
    pub busy_time: f64,
    /// Time spent blocked before `since` [time unit].
    pub blocked_time: f64,
}

impl MachineStatus {
    /// A machine idle since time 0.
    pub const NEW: MachineStatus = MachineStatus {
        activity: Activity::Idle,
        since: 0.0,
        completed: 0,
        busy_time: 0.0,
        blocked_time: 0.0,
    };

    /// The status at `now` (≥ `since`): the current activity's time added to its total.
    pub fn at(mut self, now: f64) -> MachineStatus {
        let elapsed = now - self.since;
        match self.activity {
            Activity::Busy => self.busy_time += elapsed,
            Activity::Blocked => self.blocked_time += elapsed,
            Activity::Idle | Activity::Down => {}
        }
        self.since = now;
        self
    }
}

/// A job that finished service upstream but found no room here; it keeps its upstream machine
/// blocked until it can enter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Blocked {
    /// The waiting job.
    pub job: Job,
    /// Index of the station whose machine it occupies.
    pub from: u32,
    /// Index of that machine within its station.
    pub machine: u32,
}

/// A station of identical parallel machines with a FIFO queue.
#[derive(Debug)]
pub struct Station {
    /// Index in the factory's station list.
    pub index: u32,
    /// Waiting places, not counting jobs in service; `None` = unlimited.
    pub buffer: Option<u32>,
    /// The machines, addressed by index.
    pub machines: Vec<MachineState>,
    /// The machines' entities, by index.
    pub entities: Vec<Entity>,
    /// The machines' status, by index, kept current by the handlers; copied to the entities'
    /// [`MachineStatus`] components when the factory publishes (only those in `changed`).
    pub status: Vec<MachineStatus>,
    /// Machines whose status changed since the last publication, each once.
    changed: Vec<u32>,
    /// Per machine: whether it is in `changed`.
    marked: Vec<bool>,
    /// Whether anyone but the handlers reads the machines (see `Setup::observed`); when not,
    /// status is not kept: M/M/1 runs 7 % slower with it (measured), for nobody.
    observed: bool,
    /// Indices of idle machines; the most recently freed is reused first.
    pub idle: Vec<u32>,
    /// Machines processing a job.
    pub busy: u32,
    /// Machines holding a finished job that cannot move on.
    pub blocked: u32,
    /// Jobs waiting for a machine, in arrival order.
    pub queue: VecDeque<Job>,
    /// What schedulers see of the jobs in `queue`, in the same order (kept in step with it).
    pub records: VecDeque<JobRecord>,
    /// Jobs blocked upstream waiting for room here, in the order they were blocked.
    pub blocked_upstream: VecDeque<Blocked>,
    /// The machines' lives when they can fail or be maintained; `None` otherwise, so that a
    /// station of machines that never fail pays one branch for them.
    pub(in crate::domains::factory) lives: Option<Box<Lives>>,
}

impl Station {
    /// A station whose idle machines are `entities`.
    pub fn new(index: u32, entities: Vec<Entity>, buffer: Option<u32>, observed: bool) -> Self {
        let machines = u32::try_from(entities.len()).expect("validated: at most 10^6 machines");
        Station {
            index,
            buffer,
            machines: vec![MachineState::Idle; machines as usize],
            status: vec![MachineStatus::NEW; machines as usize],
            entities,
            changed: Vec::new(),
            marked: vec![false; machines as usize],
            observed,
            // Reversed so that machine 0 is used first.
            idle: (0..machines).rev().collect(),
            busy: 0,
            blocked: 0,
            queue: VecDeque::new(),
            records: VecDeque::new(),
            blocked_upstream: VecDeque::new(),
            lives: None,
        }
    }

    /// Whether a machine is idle.
    pub fn has_idle_machine(&self) -> bool {
        !self.idle.is_empty()
    }

    /// Whether the queue has a free waiting place.
    pub fn has_room(&self) -> bool {
        self.buffer.is_none_or(|cap| self.queue.len() < cap as usize)
    }

    /// Counts an operation finished on machine `m`.
    #[inline]
    pub fn count_completion(&mut self, m: u32) {
        if self.observed {
            self.status[m as usize].completed += 1;
        }
    }

    /// Frees machine `m` (busy or blocked before) at `now`.
    #[inline]
    pub fn free(&mut self, m: u32, now: f64) {
        self.machines[m as usize] = MachineState::Idle;
        if let Some(lives) = &mut self.lives
            && lives.holds(m)
        {
            // Down, or stopping for maintenance: not available for jobs.
            let activity = if lives.is_down(m) { Activity::Down } else { Activity::Idle };
            self.note(m, activity, now);
            return;
        }
        self.note(m, Activity::Idle, now);
        self.idle.push(m);
    }

    /// Notes that machine `m` does `activity` from `now` on (the caller has set its state),
    /// accounting the time of what it did before; nothing when no one observes the machines.
    ///
    /// Scalars only, and the state written in place by the caller: passing a `MachineState`
    /// (88 bytes, with its job) by value to an out-of-line call stalled on store forwarding and
    /// cost 4 % of M/M/1 (measured with `perf`).
    #[inline]
    pub fn note(&mut self, m: u32, activity: Activity, now: f64) {
        if self.observed {
            self.track(m, activity, now);
        }
    }

    fn track(&mut self, m: u32, activity: Activity, now: f64) {
        let i = m as usize;
        let status = &mut self.status[i];
        *status = status.at(now);
        status.activity = activity;
        if !self.marked[i] {
            self.marked[i] = true;
            self.changed.push(m);
        }
    }

    /// The machines whose status changed since the last call, with their status; clears the
    /// marks.
    pub fn take_changed(&mut self) -> impl Iterator<Item = (Entity, MachineStatus)> + '_ {
        self.changed.drain(..).map(|m| {
            self.marked[m as usize] = false;
            (self.entities[m as usize], self.status[m as usize])
        })
    }
}

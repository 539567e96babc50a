//! Repair crews: people serving repair and maintenance requests.

use std::collections::VecDeque;

use xinzhi_plugin::{JobRecord, MachineRecord};

use crate::engine::ModelError;
use crate::plugin::{Decision, SchedulerInstance};

/// What a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    /// Repair a failed machine.
    Repair,
    /// Maintain a stopped machine.
    Maintenance,
}

/// A machine waiting for a crew member.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Request {
    /// Station index.
    pub station: u32,
    /// Machine index within the station.
    pub machine: u32,
    /// What it needs.
    pub work: Work,
    /// When it asked [time unit].
    pub since: f64,
    /// Expected duration of the work [time unit], for dispatchers.
    pub expected: f64,
}

/// A crew of `size` people and its queue.
pub struct Crew {
    /// Its name, for messages.
    pub name: String,
    /// People.
    pub size: u32,
    /// People at work.
    pub busy: u32,
    /// Requests waiting, in the order made.
    pub queue: VecDeque<Request>,
    /// The dispatcher, when the crew names one; first come first served otherwise.
    pub dispatch: Option<SchedulerInstance>,
    /// Requests made so far (their ids for the dispatcher).
    requests: u64,
    ids: VecDeque<u64>,
}

impl Crew {
    /// An idle crew.
    pub fn new(name: String, size: u32, dispatch: Option<SchedulerInstance>) -> Self {
        Crew { name, size, busy: 0, queue: VecDeque::new(), dispatch, requests: 0, ids: VecDeque::new() }
    }

    /// Whether someone is free.
    pub fn has_free(&self) -> bool {
        self.busy < self.size
    }

    /// Puts a request at the back of the queue.
    pub fn wait(&mut self, request: Request) {
        self.queue.push_back(request);
        self.ids.push_back(self.requests);
        self.requests += 1;
    }

    /// The waiting request a freed member takes: the oldest, or the dispatcher's first choice.
    /// Waiting requests are shown to it as jobs: `product` 0 for a repair and 1 for maintenance,
    /// `release_time`/`queued_at` when asked, `processing_time` the expected work, `step` the
    /// station and `weight` 1; its members as machines (idle ones available now).
    ///
    /// # Errors
    /// The dispatcher failed, or chose a request that does not exist.
    pub fn next(&mut self, index: u32, now: f64) -> Result<Option<Request>, ModelError> {
        let i = match &mut self.dispatch {
            Some(dispatch) if self.queue.len() > 1 => {
                let jobs: Vec<JobRecord> = self
                    .queue
                    .iter()
                    .zip(&self.ids)
                    .map(|(r, &id)| JobRecord {
                        id,
                        product: match r.work {
                            Work::Repair => 0,
                            Work::Maintenance => 1,
                        },
                        step: r.station,
                        release_time: r.since,
                        due_date: f64::INFINITY,
                        weight: 1.0,
                        queued_at: r.since,
                        processing_time: r.expected,
                        ops_start: 0,
                        ops_len: 0,
                    })
                    .collect();
                let machines: Vec<MachineRecord> = (0..self.size)
                    .map(|m| {
                        let busy = m < self.busy;
                        MachineRecord {
                            index: m,
                            state: if busy { MachineRecord::BUSY } else { MachineRecord::IDLE },
                            available_at: if busy { f64::INFINITY } else { now },
                        }
                    })
                    .collect();
                let decision = Decision { station: index, now, jobs: &jobs, ops: &[], machines: &machines };
                let order = dispatch
                    .schedule(&decision)
                    .map_err(|source| ModelError::plugin(format!("crew `{}`", self.name), source))?;
                order[0] as usize
            }
            _ => 0,
        };
        self.ids.remove(i);
        Ok(self.queue.remove(i))
    }
}

//! The dispatch kind ([`ComponentKind::SCHEDULER`], code 1): a [`Scheduler`] chooses which
//! waiting job a station processes next.
//!
//! Everything of the kind is here: its `#[repr(C)]` records and snapshot, its vtable, the safe
//! trait and views authors use, and the glue thunks between them. The TOML key is `dispatch`,
//! the `export_plugins!` section `schedulers`.

use std::ffi::c_void;

use super::KindSpec;
use crate::abi::{ComponentDescriptor, ComponentKind, CreateFn, DestroyFn, ErrorOut, SliceRef, Status};
use crate::glue::{create, descriptor, destroy, with_instance};
use crate::traits::{Component, PluginError};

impl ComponentKind {
    /// A [`Scheduler`]; its vtable is a [`SchedulerVTable`].
    pub const SCHEDULER: ComponentKind = ComponentKind(1);
}

/// The dispatch kind, for the tables of kinds.
pub const SPEC: KindSpec = KindSpec {
    kind: ComponentKind::SCHEDULER,
    name: "scheduler",
    section: "schedulers",
    summary: "chooses the next job of a station",
};

/// A waiting job, as a scheduler sees it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JobRecord {
    /// Unique within a replication, in release order.
    pub id: u64,
    /// Index of its product.
    pub product: u32,
    /// Index of this operation in the product's route.
    pub step: u32,
    /// When the job was released into the system [time unit].
    pub release_time: f64,
    /// Due date [time unit]; `+∞` when the job has none.
    pub due_date: f64,
    /// Weight (priority) of the job, `> 0`; 1 by default.
    pub weight: f64,
    /// When it joined this queue [time unit].
    pub queued_at: f64,
    /// Processing time of this operation [time unit]: the mean of its distribution, or the true
    /// sampled value when the product declares `known_times`.
    pub processing_time: f64,
    /// Index in [`SchedulingSnapshot::ops`] of the first operation after this one.
    pub ops_start: u32,
    /// Number of operations after this one.
    pub ops_len: u32,
}

/// An operation a job still has to do after the current one.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OperationRecord {
    /// Station index.
    pub station: u32,
    /// Reserved, 0.
    pub _reserved: u32,
    /// Processing time [time unit], estimated or known as for [`JobRecord::processing_time`].
    pub processing_time: f64,
}

/// A machine of the station being scheduled.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MachineRecord {
    /// Index within the station.
    pub index: u32,
    /// [`MachineRecord::IDLE`], [`MachineRecord::BUSY`], [`MachineRecord::BLOCKED`] or
    /// [`MachineRecord::DOWN`].
    pub state: u32,
    /// When it will be free [time unit]: now when idle; start plus the processing-time estimate
    /// when busy (earlier than now if the job overran its estimate); `+∞` when blocked.
    pub available_at: f64,
}

impl MachineRecord {
    /// Free for the next job.
    pub const IDLE: u32 = 0;
    /// Processing a job.
    pub const BUSY: u32 = 1;
    /// Holding a finished job that has no room downstream.
    pub const BLOCKED: u32 = 2;
    /// Out of service (failed, in repair or in maintenance, or stopping for maintenance when it
    /// frees); `available_at` is `+∞`. Hosts before machine failures never send it; a scheduler
    /// that only looks for [`MachineRecord::IDLE`] needs no change.
    pub const DOWN: u32 = 3;
}

/// Everything a scheduler is given for one decision.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SchedulingSnapshot {
    /// `size_of::<SchedulingSnapshot>()` as the host compiled it.
    pub struct_size: u32,
    /// Index of the station being scheduled.
    pub station: u32,
    /// Current simulated time [time unit].
    pub now: f64,
    /// The waiting jobs, in arrival order; never empty.
    pub jobs: SliceRef<JobRecord>,
    /// Remaining operations of all jobs, addressed by [`JobRecord::ops_start`].
    pub ops: SliceRef<OperationRecord>,
    /// The station's machines.
    pub machines: SliceRef<MachineRecord>,
}

/// Functions of a scheduler.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SchedulerVTable {
    /// `size_of::<SchedulerVTable>()` as the plugin compiled it.
    pub struct_size: usize,
    /// See [`CreateFn`].
    pub create: CreateFn,
    /// See [`DestroyFn`].
    pub destroy: DestroyFn,
    /// Writes indices into the snapshot's jobs, in dispatch order, to `out[..*out_len]`
    /// (`out_cap` = number of jobs).
    pub schedule: unsafe extern "C" fn(
        instance: *mut c_void,
        snapshot: *const SchedulingSnapshot,
        out: *mut u32,
        out_cap: usize,
        out_len: *mut usize,
        err: *mut ErrorOut,
    ) -> Status,
}

/// A scheduler's view of one decision: the waiting jobs of a station and its machines.
#[derive(Clone, Copy, Debug)]
pub struct Snapshot<'a> {
    /// Index of the station.
    pub station: u32,
    /// Current simulated time [time unit].
    pub now: f64,
    /// Waiting jobs in arrival order; never empty.
    pub jobs: &'a [JobRecord],
    /// Remaining operations of all jobs; see [`Snapshot::remaining`].
    pub ops: &'a [OperationRecord],
    /// The station's machines.
    pub machines: &'a [MachineRecord],
}

impl<'a> Snapshot<'a> {
    /// The operations `job` still has to do after this one (empty if it leaves afterwards).
    pub fn remaining(&self, job: &JobRecord) -> &'a [OperationRecord] {
        let start = job.ops_start as usize;
        self.ops.get(start..start + job.ops_len as usize).unwrap_or(&[])
    }

    /// Number of idle machines.
    pub fn idle_machines(&self) -> usize {
        self.machines.iter().filter(|m| m.state == MachineRecord::IDLE).count()
    }
}

/// A scheduler's answer: indices into [`Snapshot::jobs`], first to start first. Writing the
/// first choice is enough; the host validates (in range, no duplicates, at least one).
#[derive(Debug)]
pub struct Order<'a> {
    buf: &'a mut [u32],
    len: usize,
}

impl<'a> Order<'a> {
    /// An empty order writing into `buf` (capacity = number of jobs).
    #[inline]
    pub fn new(buf: &'a mut [u32]) -> Self {
        Order { buf, len: 0 }
    }

    /// Appends job index `i`.
    ///
    /// # Errors
    /// [`Status::BUFFER_TOO_SMALL`] if the order already holds one index per job.
    #[inline]
    pub fn push(&mut self, i: u32) -> Result<(), PluginError> {
        let Some(slot) = self.buf.get_mut(self.len) else {
            return Err(PluginError {
                status: Status::BUFFER_TOO_SMALL,
                message: format!("order longer than the {} waiting jobs", self.buf.len()),
            });
        };
        *slot = i;
        self.len += 1;
        Ok(())
    }

    /// Fills the order with `0, 1, …, n-1` (every job, in arrival order), for sorting in place
    /// with [`Order::as_mut_slice`].
    #[inline]
    pub fn fill_arrival_order(&mut self) {
        for (i, slot) in self.buf.iter_mut().enumerate() {
            *slot = u32::try_from(i).unwrap_or(u32::MAX);
        }
        self.len = self.buf.len();
    }

    /// The indices written so far.
    pub fn as_slice(&self) -> &[u32] {
        &self.buf[..self.len]
    }

    /// The indices written so far, to reorder in place.
    pub fn as_mut_slice(&mut self) -> &mut [u32] {
        &mut self.buf[..self.len]
    }

    /// Number of indices written.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Chooses which waiting job a station processes next.
pub trait Scheduler: Component {
    /// Writes job indices into `order`, best first.
    ///
    /// # Errors
    /// Any failure; the host stops the replication and names the plugin.
    fn schedule(&mut self, snapshot: &Snapshot<'_>, order: &mut Order<'_>) -> Result<(), PluginError>;
}

/// # Safety
/// As documented on [`SchedulerVTable::schedule`].
unsafe extern "C" fn schedule<T: Scheduler>(
    inst: *mut c_void,
    snapshot: *const SchedulingSnapshot,
    out: *mut u32,
    out_cap: usize,
    out_len: *mut usize,
    err: *mut ErrorOut,
) -> Status {
    // SAFETY: null or valid for the call.
    let Some(s) = (unsafe { snapshot.as_ref() }) else { return Status::INVALID_INPUT };
    if out_len.is_null() || (out.is_null() && out_cap > 0) {
        return Status::INVALID_INPUT;
    }
    // SAFETY: the host's arrays are valid for the call.
    let snapshot = unsafe {
        Snapshot {
            station: s.station,
            now: s.now,
            jobs: s.jobs.as_slice(),
            ops: s.ops.as_slice(),
            machines: s.machines.as_slice(),
        }
    };
    let buf: &mut [u32] = if out_cap == 0 {
        &mut []
    } else {
        // SAFETY: the host's buffer holds `out_cap` initialised `u32`s, exclusively ours for the call.
        unsafe { std::slice::from_raw_parts_mut(out, out_cap) }
    };
    let mut written = 0;
    // SAFETY: forwarded.
    let status = unsafe {
        with_instance::<T>(inst, err, "schedule", |t| {
            let mut order = Order::new(buf);
            let r = t.schedule(&snapshot, &mut order);
            written = order.len();
            r
        })
    };
    // SAFETY: checked non-null above.
    unsafe { *out_len = written };
    status
}

/// The vtable of a scheduler type (a constant, so the macro can take `'static` references).
pub trait SchedulerGlue {
    /// The vtable.
    const VTABLE: SchedulerVTable;
}

impl<T: Scheduler> SchedulerGlue for T {
    const VTABLE: SchedulerVTable = SchedulerVTable {
        struct_size: size_of::<SchedulerVTable>(),
        create: create::<T>,
        destroy: destroy::<T>,
        schedule: schedule::<T>,
    };
}

/// The descriptor of scheduler `T`: the `schedulers` section of [`crate::export_plugins!`].
pub const fn schedulers<T: Scheduler>() -> ComponentDescriptor {
    descriptor::<T>(
        ComponentKind::SCHEDULER,
        (&<T as SchedulerGlue>::VTABLE as *const SchedulerVTable).cast(),
    )
}

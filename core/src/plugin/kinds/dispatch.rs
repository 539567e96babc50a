//! The dispatch kind on the host side: a [`SchedulerInstance`] asks a scheduler plugin for the
//! order of a station's waiting jobs ([`Decision`]) and validates the answer.

use std::ffi::c_void;

use xinzhi_plugin::abi::{
    ComponentKind, JobRecord, MachineRecord, OperationRecord, SchedulerVTable, SchedulingSnapshot, SliceRef,
};

use super::{HostKind, VTable, sized};
use crate::plugin::instance::{RawInstance, Services, create};
use crate::plugin::{CallError, Component};

/// The dispatch kind in the host's table.
pub(crate) const KIND: HostKind = HostKind { kind: ComponentKind::SCHEDULER, read: read_vtable };

/// # Safety
/// As for [`HostKind::read`].
unsafe fn read_vtable(ptr: *const c_void) -> Result<VTable, String> {
    // SAFETY: forwarded.
    unsafe { sized::<SchedulerVTable>(ptr) }.map(VTable::new)
}

/// A scheduler instance.
pub struct SchedulerInstance {
    raw: RawInstance,
    vt: &'static SchedulerVTable,
    /// Output buffer handed to the plugin; grows to the longest queue seen.
    order: Vec<u32>,
    /// Scratch bitset for the duplicate check.
    seen: Vec<u64>,
}

impl std::fmt::Debug for SchedulerInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulerInstance").field("plugin", &self.raw.name()).finish_non_exhaustive()
    }
}

/// The jobs and machines of one scheduling decision.
#[derive(Clone, Copy, Debug)]
pub struct Decision<'a> {
    /// Station index.
    pub station: u32,
    /// Current time [time unit].
    pub now: f64,
    /// Waiting jobs, in arrival order; not empty.
    pub jobs: &'a [JobRecord],
    /// Their remaining operations.
    pub ops: &'a [OperationRecord],
    /// The station's machines.
    pub machines: &'a [MachineRecord],
}

impl SchedulerInstance {
    /// Whether `order[..len]` (indices known to be `< n`) repeats an index: the bits set must
    /// number `len`. Branch-free per index, with the common n ≤ 64 case in one register.
    fn has_duplicates(&mut self, n: usize, len: usize) -> bool {
        let order = &self.order[..len];
        if n <= 64 {
            let mask = order.iter().fold(0u64, |m, &i| m | 1 << i);
            return mask.count_ones() as usize != len;
        }
        self.seen.clear();
        self.seen.resize(n.div_ceil(64), 0);
        for &i in order {
            self.seen[i as usize / 64] |= 1 << (i % 64);
        }
        self.seen.iter().map(|w| w.count_ones() as usize).sum::<usize>() != len
    }

    /// The plugin's qualified name.
    pub fn name(&self) -> &str {
        self.raw.name()
    }

    /// Asks for an order of `decision.jobs` and returns the validated indices (at least one,
    /// each in range, no duplicates), first choice first.
    ///
    /// # Errors
    /// The plugin's own error, a panic, or an invalid answer.
    pub fn schedule(&mut self, decision: &Decision<'_>) -> Result<&[u32], CallError> {
        let n = decision.jobs.len();
        // The output buffer only grows: no per-call clearing (the plugin reports what it wrote).
        if self.order.len() < n {
            self.order.resize(n, 0);
        }
        let snapshot = SchedulingSnapshot {
            struct_size: size_of::<SchedulingSnapshot>() as u32,
            station: decision.station,
            now: decision.now,
            jobs: SliceRef::new(decision.jobs),
            ops: SliceRef::new(decision.ops),
            machines: SliceRef::new(decision.machines),
        };
        let mut len = 0usize;
        let vt = self.vt;
        let buf = self.order.as_mut_ptr();
        self.raw.call("schedule", |inst, err| {
            // SAFETY: inputs valid for the call; `buf` holds at least `n` initialised u32s.
            unsafe { (vt.schedule)(inst, &raw const snapshot, buf, n, &raw mut len, err) }
        })?;
        if len == 0 || len > n {
            return Err(self.raw.error(
                "schedule",
                None,
                format!("returned {len} indices for {n} waiting jobs (expected 1 to {n})"),
            ));
        }
        let order = &self.order[..len];
        if let Some(&i) = order.iter().find(|&&i| i as usize >= n) {
            return Err(self.raw.error(
                "schedule",
                None,
                format!("returned job index {i}, but only {n} jobs wait (indices 0 to {})", n - 1),
            ));
        }
        if len > 1 && self.has_duplicates(n, len) {
            // Cold path: find the first repeated index for the message.
            let order = &self.order[..len];
            let twice =
                order.iter().enumerate().find(|(k, i)| order[..*k].contains(i)).map_or(0, |(_, &i)| i);
            return Err(self.raw.error("schedule", None, format!("returned job index {twice} twice")));
        }
        Ok(&self.order[..len])
    }
}

impl Component {
    /// A new scheduler instance with these parameters (a JSON object).
    ///
    /// # Errors
    /// Not a scheduler, or the plugin refused the parameters (the message names the key).
    pub fn scheduler(&self, params_json: &str, services: Services) -> Result<SchedulerInstance, CallError> {
        let vt: &'static SchedulerVTable = self.vtable_as("scheduler")?;
        let raw = create(self, vt.create, vt.destroy, params_json, services)?;
        Ok(SchedulerInstance { raw, vt, order: Vec::new(), seen: Vec::new() })
    }
}

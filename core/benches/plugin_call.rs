//! Per-call cost of a scheduler plugin: one decision over a 16-job queue.
//!
//! Three ways to call the same `fifo` and `spt` code from `xinzhi-dispatch`:
//!
//! - **direct**: the Rust trait method, no ABI (the floor);
//! - **static ABI**: the statically linked crate through its C-ABI vtable and the host's
//!   validating wrapper (what `cargo run` does);
//! - **dynamic ABI**: the same crate loaded from its `.so` with `dlopen`.
//!
//! The `.so` is taken from `XINZHI_DISPATCH_SO`, else `<target>/release/libxinzhi_dispatch.so`
//! (build it first: `cargo build --release -p xinzhi-dispatch`). Run with
//! `cargo build --release -p xinzhi-dispatch && cargo bench -p xinzhi-core --bench plugin_call`.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use xinzhi_core::plugin::{ComponentKind, Decision, PluginLib, Registry, SchedulerInstance, Services};
use xinzhi_plugin::{Config, Host, JobRecord, MachineRecord, Order, Scheduler, Snapshot};

const JOBS: usize = 16;

fn jobs() -> Vec<JobRecord> {
    (0..JOBS)
        .map(|i| JobRecord {
            id: i as u64,
            product: 0,
            step: 0,
            release_time: i as f64,
            due_date: 100.0 + ((i * 7) % 16) as f64,
            weight: 1.0,
            queued_at: i as f64,
            // A scrambled order, so that SPT has sorting to do.
            processing_time: ((i * 11) % 16) as f64 + 0.5,
            ops_start: 0,
            ops_len: 0,
        })
        .collect()
}

fn so_path() -> PathBuf {
    if let Some(p) = std::env::var_os("XINZHI_DISPATCH_SO") {
        return p.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"), PathBuf::from);
    target.join("release/libxinzhi_dispatch.so")
}

fn instance(registry: &Registry, name: &str) -> SchedulerInstance {
    registry
        .find(name, ComponentKind::SCHEDULER)
        .expect("known scheduler")
        .scheduler("{}", Services { seed: 1, replication: 0 })
        .expect("created")
}

fn direct<S: Scheduler>(c: &mut Criterion, group: &str) {
    let jobs = jobs();
    let machines = [MachineRecord { index: 0, state: MachineRecord::IDLE, available_at: 0.0 }];
    let mut s = S::new(&Config::new("{}"), &Host::detached(1)).expect("created");
    let mut buf = vec![0u32; JOBS];
    c.bench_function(&format!("{group}/direct"), |b| {
        b.iter(|| {
            let snap =
                Snapshot { station: 0, now: 50.0, jobs: black_box(&jobs), ops: &[], machines: &machines };
            let mut order = Order::new(&mut buf);
            s.schedule(&snap, &mut order).expect("schedules");
            black_box(order.as_slice()[0])
        });
    });
}

fn through_abi(c: &mut Criterion, group: &str, name: &str, statics: &Registry, dynamic: &Registry) {
    let jobs = jobs();
    let machines = [MachineRecord { index: 0, state: MachineRecord::IDLE, available_at: 0.0 }];
    for (label, registry) in [("static ABI", statics), ("dynamic ABI", dynamic)] {
        let mut s = instance(registry, name);
        c.bench_function(&format!("{group}/{label}"), |b| {
            b.iter(|| {
                let d =
                    Decision { station: 0, now: 50.0, jobs: black_box(&jobs), ops: &[], machines: &machines };
                black_box(s.schedule(&d).expect("schedules")[0])
            });
        });
    }
}

fn bench(c: &mut Criterion) {
    let statics = Registry::with_builtins(&[xinzhi_dispatch::plugin_library()]).expect("registers");
    let path = so_path();
    let lib = PluginLib::load(&path).unwrap_or_else(|e| {
        panic!("{e}\n(build it first: cargo build --release -p xinzhi-dispatch, or set XINZHI_DISPATCH_SO)")
    });
    let mut dynamic = Registry::new();
    dynamic.add(lib, Some("dyn")).expect("registers");

    direct::<xinzhi_dispatch::Fifo>(c, "fifo-16");
    through_abi(c, "fifo-16", "fifo", &statics, &dynamic);
    direct::<xinzhi_dispatch::Spt>(c, "spt-16");
    through_abi(c, "spt-16", "spt", &statics, &dynamic);
}

criterion_group!(benches, bench);
criterion_main!(benches);

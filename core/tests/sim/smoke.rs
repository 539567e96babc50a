use xinzhi_core::collect::KpiCollector;
use xinzhi_core::dist::Dist;
use xinzhi_core::domains::factory::config::*;
use xinzhi_core::domains::run_replication;
use xinzhi_core::engine::SimConfig;
use xinzhi_core::rng::StreamSeeder;
use xinzhi_core::scenario::ModelConfig;
use xinzhi_core::time::SimTime;

#[test]
fn smoke_mm1() {
    let cfg = FactoryConfig {
        sources: vec![SourceConfig {
            name: "orders".into(),
            product: 0,
            interarrival: Dist::Exponential { mean: 1.25 },
        }],
        products: vec![ProductConfig {
            name: "widget".into(),
            route: vec![RouteStep { station: 0, process: Dist::Exponential { mean: 1.0 } }],
        }],
        stations: vec![StationConfig { name: "mill".into(), machines: 1, buffer: None, process: None }],
    };
    let t = std::time::Instant::now();
    let out = run_replication(
        &ModelConfig::Factory(cfg),
        SimConfig {
            horizon: SimTime::new(2_000_000.0).unwrap(),
            warmup: SimTime::new(5000.0).unwrap(),
            seeder: StreamSeeder::new(1, 0),
        },
        vec![Box::new(KpiCollector::new())],
        &mut |_| {},
    )
    .unwrap();
    eprintln!("{:?} events in {:?}", out.events, t.elapsed());
    for m in &out.metrics {
        eprintln!("{} = {}", m.name, m.value);
    }
}

//! The World's view of a city: junctions, links and movements as entities with status
//! components, spawned at build and kept current in `publish`, which the engine calls only when
//! someone besides the city can read the World (a region's other domain or a stepped system). The hot state stays in the model: a World
//! lookup per event would cost the event loop (`factory/model.rs` measured 7–12 % on M/M/1).

use bevy_ecs::prelude::*;

use super::dynamics::Traffic;
use super::network::Network;
use super::signals::Signals;

/// A signalised junction's signal now.
#[derive(Component, Clone, Copy, Debug, Default, PartialEq)]
pub struct JunctionStatus {
    /// Index of the junction (its node index).
    pub node: u32,
    /// The phase whose green runs or is ending.
    pub phase: u32,
    /// Start of that phase's displayed green \[s\].
    pub green_start: f64,
}

/// A link's occupancy now.
#[derive(Component, Clone, Copy, Debug, Default, PartialEq)]
pub struct LinkStatus {
    /// Index of the link.
    pub link: u32,
    /// Vehicles on it, moving and queued.
    pub vehicles: u32,
    /// Vehicles it holds (`u32::MAX`: unlimited).
    pub storage: u32,
}

/// A movement's queue now.
#[derive(Component, Clone, Copy, Debug, Default, PartialEq)]
pub struct MovementStatus {
    /// Index of the movement.
    pub movement: u32,
    /// Its in-link and out-link.
    pub from: u32,
    /// See `from`.
    pub to: u32,
    /// Vehicles on its in-link bound for its out-link.
    pub bound: u32,
    /// Vehicles that crossed so far.
    pub crossed: u64,
}

/// The entities of one city.
pub(crate) struct Entities {
    junctions: Vec<Entity>,
    links: Vec<Entity>,
    movements: Vec<Entity>,
}

impl Entities {
    /// One entity per junction, link and movement.
    pub(crate) fn spawn(world: &mut World, net: &Network) -> Self {
        let junctions = (0..net.junctions.len() as u32)
            .map(|node| world.spawn(JunctionStatus { node, ..JunctionStatus::default() }).id())
            .collect();
        let links = net
            .links
            .iter()
            .enumerate()
            .map(|(i, l)| world.spawn(LinkStatus { link: i as u32, vehicles: 0, storage: l.storage }).id())
            .collect();
        let movements = net
            .movements
            .iter()
            .enumerate()
            .map(|(i, m)| {
                world
                    .spawn(MovementStatus {
                        movement: i as u32,
                        from: m.from,
                        to: m.to,
                        bound: 0,
                        crossed: 0,
                    })
                    .id()
            })
            .collect();
        Entities { junctions, links, movements }
    }

    /// Brings every status component up to date.
    pub(crate) fn publish(&self, world: &mut World, traffic: &Traffic, signals: &Signals) {
        for (&e, light) in self.junctions.iter().zip(&signals.lights) {
            if let Some(mut s) = world.get_mut::<JunctionStatus>(e) {
                s.phase = light.phase;
                s.green_start = light.green_start;
            }
        }
        for (i, &e) in self.links.iter().enumerate() {
            if let Some(mut s) = world.get_mut::<LinkStatus>(e) {
                s.vehicles = traffic.on_link(i as u32);
            }
        }
        for (i, &e) in self.movements.iter().enumerate() {
            let q = &traffic.queues[i];
            if let Some(mut s) = world.get_mut::<MovementStatus>(e) {
                s.bound = q.fifo.len() as u32;
                s.crossed = q.crossed;
            }
        }
    }
}

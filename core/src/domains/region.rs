//! Running domains: one alone ([`Solo`]), or several in one replication (a region).
//!
//! [`register!`](crate::domains) turns the list of domains in `domains/mod.rs` into the types
//! the rest of the core uses: `DomainConfig` (one domain's validated config), `RegionEvent` (a
//! region's calendar payload: one domain's event, still typed) and `Region` (the model of a
//! region). It is the only place that dispatches on the domain.

use std::ops::ControlFlow;

use bevy_ecs::world::World;

use super::domain::{Domain, Setup};
use crate::collect::Collector;
use crate::engine::{Ctx, Model, ModelError, RunOutput, Sim, SimConfig, SimError};
use crate::plugin::Registry;
use crate::record::Catalogue;
use crate::time::SimTime;

/// One domain run alone: its own event type on the calendar, no dispatch.
pub(crate) struct Solo<D> {
    domain: D,
    catalogue: Catalogue,
}

impl<D: Domain> Model for Solo<D> {
    type Event = D::Event;

    fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    #[inline]
    fn handle(
        &mut self,
        world: &mut World,
        ctx: &mut Ctx<D::Event>,
        event: D::Event,
    ) -> Result<(), ModelError> {
        self.domain.handle(world, ctx, event)
    }

    fn publish(&mut self, world: &mut World) {
        self.domain.publish(world);
    }

    fn stepped(&mut self, world: &mut World, ctx: &mut Ctx<D::Event>) -> Result<(), ModelError> {
        self.domain.stepped(world, ctx)
    }

    fn describe(&self, event: &D::Event) -> String {
        self.domain.describe(event)
    }
}

/// Runs one replication of domain `D` alone.
pub(crate) fn run_solo<D: Domain>(
    config: &D::Config,
    registry: &Registry,
    sim: SimConfig,
    collectors: Vec<Box<dyn Collector>>,
    progress: &mut dyn FnMut(SimTime) -> ControlFlow<()>,
) -> Result<RunOutput, SimError> {
    let mut sim = Sim::build(sim, |world, ctx| {
        let mut catalogue = Catalogue::default();
        for topic in D::reads(config) {
            topic.provide(world);
        }
        // Alone, a domain is observed only by the steppers it adds itself.
        let domain = D::build(config, &mut Setup::new::<D>(world, ctx, registry, &mut catalogue, false))?;
        Ok(Solo { domain, catalogue })
    })?;
    for c in collectors {
        sim.add_collector(c);
    }
    sim.run(progress)
}

/// Builds domain `D` into a region's slot.
pub(crate) fn build_into<D: Domain, R: From<D::Event> + 'static>(
    slot: &mut Option<D>,
    config: &D::Config,
    world: &mut World,
    ctx: &mut Ctx<R>,
    registry: &Registry,
    catalogue: &mut Catalogue,
) -> Result<(), ModelError> {
    *slot = Some(D::build(config, &mut Setup::new::<D>(world, ctx, registry, catalogue, true))?);
    Ok(())
}

/// The domain of a region's slot, which its events can only come from once it is built.
#[inline]
pub(crate) fn built<D: Domain>(slot: &mut Option<D>) -> Result<&mut D, ModelError> {
    slot.as_mut().ok_or_else(|| {
        ModelError::Invalid(format!("an event of domain `{}`, which this region does not hold", D::NAME))
    })
}

/// Generates the registration-point types from the list of domains (see the module docs).
///
/// Same-time order across domains is the calendar's `(time, priority, sequence)`: domains are
/// built in the order of this list, so their first entries at t = 0 run in that order, and from
/// then on entries run in the order they were scheduled, whichever domain scheduled them.
macro_rules! register {
    ($( $(#[$attr:meta])* $variant:ident($field:ident): $domain:ty ),+ $(,)?) => {
        /// The validated config of one domain of a scenario, tagged by the domain's name.
        #[derive(Clone, Debug, PartialEq, serde::Serialize)]
        #[serde(tag = "domain", rename_all = "lowercase")]
        pub enum DomainConfig {
            $(
                $(#[$attr])*
                #[doc = concat!("The `", stringify!($field), "` domain.")]
                $variant(<$domain as Domain>::Config),
            )+
        }

        /// The calendar payload of a region: one domain's own (typed) event.
        #[derive(Clone, Copy, Debug)]
        pub enum RegionEvent {
            $(
                $(#[$attr])*
                #[doc = concat!("An event of the `", stringify!($field), "` domain.")]
                $variant(<$domain as Domain>::Event),
            )+
        }

        $( $(#[$attr])* impl From<<$domain as Domain>::Event> for RegionEvent {
            fn from(event: <$domain as Domain>::Event) -> Self {
                RegionEvent::$variant(event)
            }
        } )+

        /// The registered domains' names, in registration order.
        pub const NAMES: &[&str] = &[ $( $(#[$attr])* <$domain as Domain>::NAME, )+ ];

        impl DomainConfig {
            /// Validates the root table of the domain called `name`; `None` if no domain has
            /// that name.
            pub(crate) fn parse(
                name: &str,
                table: &toml::Spanned<toml::de::DeValue<'_>>,
                ctx: &$crate::validate::ValidationCtx<'_>,
            ) -> Option<Result<Self, $crate::validate::ScenarioError>> {
                $( $(#[$attr])* if name == <$domain as Domain>::NAME {
                    return Some(<$domain as Domain>::parse(table, ctx).map(DomainConfig::$variant));
                } )+
                None
            }

            /// The domain's name.
            pub fn name(&self) -> &'static str {
                match self { $( $(#[$attr])* DomainConfig::$variant(_) => <$domain as Domain>::NAME, )+ }
            }

            /// Position of the domain in the registration list (the order domains are built in).
            pub fn rank(&self) -> usize {
                NAMES.iter().position(|n| *n == self.name()).unwrap_or(usize::MAX)
            }

            /// Every plugin reference of the config, with the kind each needs.
            pub fn plugin_refs(
                &self,
            ) -> Vec<(&$crate::validate::PluginRef, $crate::plugin::ComponentKind)> {
                match self {
                    $( $(#[$attr])* DomainConfig::$variant(c) => <$domain as Domain>::plugin_refs(c), )+
                }
            }

            /// The domain's headline metrics, named as the outputs name them (scoped for a
            /// scoped domain); empty when the domain names none.
            pub fn key_metrics(&self) -> Vec<String> {
                fn scoped<D: Domain>(names: Vec<&str>) -> Vec<String> {
                    names
                        .into_iter()
                        .map(|n| if D::UNSCOPED { n.to_owned() } else { format!("{}.{n}", D::NAME) })
                        .collect()
                }
                match self {
                    $( $(#[$attr])* DomainConfig::$variant(c) => scoped::<$domain>(<$domain as Domain>::key_metrics(c)), )+
                }
            }

            /// What the domain reads from the exchange.
            pub fn reads(&self) -> Vec<$crate::domains::exchange::Topic> {
                match self { $( $(#[$attr])* DomainConfig::$variant(c) => <$domain as Domain>::reads(c), )+ }
            }

            /// Declares the domain's record kinds into `catalogue`.
            pub fn declare(&self, catalogue: &mut $crate::record::Catalogue) {
                match self {
                    $( $(#[$attr])* DomainConfig::$variant(c) => {
                        <$domain as Domain>::declare(c, &mut $crate::domains::Kinds::of::<$domain>(catalogue))
                    } )+
                }
            }

            /// The domain's expected work and cautions.
            pub fn preflight(&self, run: $crate::domains::RunShape) -> $crate::domains::Preflight {
                match self {
                    $( $(#[$attr])* DomainConfig::$variant(c) => <$domain as Domain>::preflight(c, run), )+
                }
            }

            /// Runs one replication of this domain alone.
            pub(crate) fn run_alone(
                &self,
                registry: &$crate::plugin::Registry,
                sim: $crate::engine::SimConfig,
                collectors: Vec<Box<dyn $crate::collect::Collector>>,
                progress: &mut dyn FnMut($crate::time::SimTime) -> std::ops::ControlFlow<()>,
            ) -> Result<$crate::engine::RunOutput, $crate::engine::SimError> {
                match self {
                    $( $(#[$attr])* DomainConfig::$variant(c) => {
                        $crate::domains::region::run_solo::<$domain>(c, registry, sim, collectors, progress)
                    } )+
                }
            }
        }

        /// Several domains in one replication: one calendar, one World, one record stream.
        #[derive(Default)]
        pub(crate) struct Region {
            $( $(#[$attr])* $field: Option<$domain>, )+
            /// The last entry run (its variant is the domain that ran it): the only domain
            /// whose World copies may be stale.
            last: Option<RegionEvent>,
            catalogue: $crate::record::Catalogue,
        }

        impl Region {
            /// Builds every domain of `configs` (in registration order).
            pub(crate) fn build(
                configs: &[DomainConfig],
                world: &mut bevy_ecs::world::World,
                ctx: &mut $crate::engine::Ctx<RegionEvent>,
                registry: &$crate::plugin::Registry,
            ) -> Result<Self, $crate::engine::ModelError> {
                let mut region = Region::default();
                for topic in configs.iter().flat_map(DomainConfig::reads) {
                    topic.provide(world);
                }
                for config in configs {
                    match config {
                        $( $(#[$attr])* DomainConfig::$variant(c) => $crate::domains::region::build_into(
                            &mut region.$field, c, world, ctx, registry, &mut region.catalogue,
                        )?, )+
                    }
                }
                // What each domain publishes is current before anyone's first entry.
                $( $(#[$attr])* if let Some(d) = &mut region.$field {
                    d.publish(world);
                } )+
                Ok(region)
            }

            /// Publishes the domain that ran `event`.
            fn publish_one(&mut self, event: RegionEvent, world: &mut bevy_ecs::world::World) {
                match event {
                    $( $(#[$attr])* RegionEvent::$variant(_) => {
                        if let Some(d) = &mut self.$field {
                            d.publish(world);
                        }
                    } )+
                }
            }
        }

        impl $crate::engine::Model for Region {
            type Event = RegionEvent;

            fn catalogue(&self) -> &$crate::record::Catalogue {
                &self.catalogue
            }

            fn handle(
                &mut self,
                world: &mut bevy_ecs::world::World,
                ctx: &mut $crate::engine::Ctx<RegionEvent>,
                event: RegionEvent,
            ) -> Result<(), $crate::engine::ModelError> {
                let same = self
                    .last
                    .is_some_and(|l| std::mem::discriminant(&l) == std::mem::discriminant(&event));
                if !same {
                    // Another domain ran last: what it publishes must be current before this one
                    // looks at the World.
                    if let Some(last) = self.last {
                        self.publish_one(last, world);
                    }
                }
                self.last = Some(event);
                match event {
                    $( $(#[$attr])* RegionEvent::$variant(e) => {
                        $crate::domains::region::built(&mut self.$field)?.handle(world, ctx, e)
                    } )+
                }
            }

            fn publish(&mut self, world: &mut bevy_ecs::world::World) {
                if let Some(last) = self.last.take() {
                    self.publish_one(last, world);
                }
            }

            fn stepped(
                &mut self,
                world: &mut bevy_ecs::world::World,
                ctx: &mut $crate::engine::Ctx<RegionEvent>,
            ) -> Result<(), $crate::engine::ModelError> {
                // Each domain reacts in registration order, and publishes what it changed, so the
                // next one (and the next step) sees the World current.
                $( $(#[$attr])* if let Some(d) = &mut self.$field {
                    d.stepped(world, ctx)?;
                    d.publish(world);
                } )+
                Ok(())
            }

            fn describe(&self, event: &RegionEvent) -> String {
                match event {
                    $( $(#[$attr])* RegionEvent::$variant(e) => match &self.$field {
                        Some(d) => d.describe(e),
                        None => format!("an event of domain `{}`", <$domain as Domain>::NAME),
                    }, )+
                }
            }
        }
    };
}
pub(crate) use register;

/// Runs one replication of several domains in one region.
pub(crate) fn run_region(
    configs: &[super::DomainConfig],
    registry: &Registry,
    sim: SimConfig,
    collectors: Vec<Box<dyn Collector>>,
    progress: &mut dyn FnMut(SimTime) -> ControlFlow<()>,
) -> Result<RunOutput, SimError> {
    let mut sim = Sim::build(sim, |world, ctx| super::Region::build(configs, world, ctx, registry))?;
    for c in collectors {
        sim.add_collector(c);
    }
    sim.run(progress)
}

//! Vehicles as records in a pooled store: a slot per vehicle in the network, reused after its
//! trip (not a bevy entity each: an entity per transient customer halves the event rate,
//! `perf.md`).

/// A vehicle's index in the [`Vehicles`] store.
pub(crate) type VehId = u32;

/// No fixed path: the vehicle draws its turns (turn-ratio routing).
pub(crate) const DRAWN: u32 = u32::MAX;

/// One vehicle on its trip.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Vehicle {
    /// Its source: a flow index, or the trips' or freight's source index.
    pub(crate) source: u32,
    /// Start of its path in the path arena, or [`DRAWN`].
    pub(crate) path: u32,
    /// Position on its path (index of the link it is on).
    pub(crate) hop: u32,
    /// Stops so far (stop-line waits longer than the stop threshold).
    pub(crate) stops: u32,
    /// The next link after the one it is on (drawn vehicles: drawn at link entry).
    pub(crate) next: u32,
    /// Its own random seed (turn draws).
    pub(crate) seed: u64,
    /// When it wanted to enter the network [s].
    pub(crate) desired: f64,
    /// When it entered the network [s].
    pub(crate) entered: f64,
    /// Σ free-flow time of the links it entered [s].
    pub(crate) free_flow: f64,
}

/// The store: slots and a free list.
#[derive(Debug, Default)]
pub(crate) struct Vehicles {
    slots: Vec<Vehicle>,
    free: Vec<VehId>,
}

impl Vehicles {
    /// Stores `v` and returns its id.
    #[inline]
    pub(crate) fn add(&mut self, v: Vehicle) -> VehId {
        match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = v;
                id
            }
            None => {
                self.slots.push(v);
                (self.slots.len() - 1) as VehId
            }
        }
    }

    /// Frees `id`'s slot.
    #[inline]
    pub(crate) fn remove(&mut self, id: VehId) -> Vehicle {
        self.free.push(id);
        self.slots[id as usize]
    }

    #[inline]
    pub(crate) fn get(&self, id: VehId) -> &Vehicle {
        &self.slots[id as usize]
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, id: VehId) -> &mut Vehicle {
        &mut self.slots[id as usize]
    }
}

/// A uniform draw in [0, 1) from a vehicle's seed and a counter (its hop): stateless, so a
/// vehicle needs no generator object and its draws do not depend on other vehicles.
#[inline]
pub(crate) fn uniform(seed: u64, counter: u32) -> f64 {
    // SplitMix64 finaliser of the seed mixed with the counter.
    let mut z = seed ^ (u64::from(counter).wrapping_add(1)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

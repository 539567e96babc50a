//! Built-in collectors (being written).

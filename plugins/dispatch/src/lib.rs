//! Built-in schedulers (being written).

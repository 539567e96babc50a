//! The `extern "C"` thunks that [`crate::export_plugins!`] wires up: they turn raw ABI calls into
//! safe trait calls, catch every panic inside the plugin (unwinding into the host would abort,
//! or be a foreign exception: each cdylib has its own std), and poison a panicked instance.
//!
//! This file holds the thunks every kind shares (`create`, `destroy`, the error report and the
//! panic catching) and the descriptor; each kind's own thunks and vtable constant live in its
//! file under [`crate::kinds`] and are re-exported here.
//!
//! Not for direct use; public only so that the macro can name it.

use std::any::Any;
use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::abi::{ComponentDescriptor, ComponentKind, ErrorOut, HostServices, Status, StrRef};
pub use crate::kinds::collect::{CollectorGlue, with_catalogue};
pub use crate::kinds::dispatch::SchedulerGlue;
pub use crate::kinds::predict::PredictorGlue;
pub use crate::kinds::signal::SignalGlue;
use crate::traits::{Component, Config, Host, PluginError};

/// A plugin-side instance: the component and whether it panicked.
struct Instance<T> {
    value: T,
    poisoned: bool,
}

/// Sends `message` to the host's error callback, if any.
///
/// # Safety
/// `err` is null or points to a valid [`ErrorOut`].
pub(crate) unsafe fn report(err: *mut ErrorOut, message: &str) {
    // SAFETY: by the caller's promise.
    if let Some(err) = unsafe { err.as_ref() } {
        // SAFETY: the host's callback copies borrowed UTF-8 valid for the call.
        unsafe { (err.write)(err.ctx, StrRef::new(message)) };
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(non-string panic payload)")
}

/// Runs `f` on the instance behind `inst`, turning errors and panics into a status and message.
///
/// # Safety
/// `inst` is null or an instance made by `create::<T>` and not yet destroyed; `err` as in
/// [`report`].
// Inlined into each kind's thunk: called out of line, the closure's captures went through the
// stack and stalled on store forwarding, 3 % of the M/M/1 benchmark (measured with `perf`).
#[inline(always)]
pub(crate) unsafe fn with_instance<T: Component>(
    inst: *mut c_void,
    err: *mut ErrorOut,
    what: &str,
    f: impl FnOnce(&mut T) -> Result<(), PluginError>,
) -> Status {
    // SAFETY: by the caller's promise, a live `Instance<T>` or null.
    let Some(inst) = (unsafe { inst.cast::<Instance<T>>().as_mut() }) else {
        // SAFETY: forwarded.
        unsafe { report(err, "null instance") };
        return Status::INVALID_INPUT;
    };
    if inst.poisoned {
        // SAFETY: forwarded.
        unsafe { report(err, &format!("`{}` panicked earlier and is poisoned", T::NAME)) };
        return Status::POISONED;
    }
    match catch_unwind(AssertUnwindSafe(|| f(&mut inst.value))) {
        Ok(Ok(())) => Status::OK,
        Ok(Err(e)) => {
            // SAFETY: forwarded.
            unsafe { report(err, &e.message) };
            if e.status == Status::OK { Status::FAILED } else { e.status }
        }
        Err(payload) => {
            // Never look at state a panic may have left half-updated.
            inst.poisoned = true;
            let message = format!("panic in {what} of `{}`: {}", T::NAME, panic_message(payload.as_ref()));
            // SAFETY: forwarded.
            unsafe { report(err, &message) };
            Status::PANICKED
        }
    }
}

/// # Safety
/// Pointers as documented on [`crate::abi::CreateFn`].
pub(crate) unsafe extern "C" fn create<T: Component>(
    config: StrRef,
    host: *const HostServices,
    out: *mut *mut c_void,
    err: *mut ErrorOut,
) -> Status {
    if out.is_null() {
        return Status::INVALID_INPUT;
    }
    // SAFETY: the host passes UTF-8 valid for the call.
    let Some(json) = (unsafe { config.as_str() }) else {
        // SAFETY: forwarded.
        unsafe { report(err, "parameters are not UTF-8") };
        return Status::INVALID_INPUT;
    };
    // SAFETY: null or a valid `HostServices` for the call; only fields inside its size are read.
    let host = match unsafe { host.as_ref() } {
        Some(h) if h.struct_size as usize >= size_of::<HostServices>() => {
            Host::from_ffi(h.seed, h.replication, Some(h.log), T::NAME)
        }
        _ => Host::detached(0),
    };
    match catch_unwind(AssertUnwindSafe(|| T::new(&Config::new(json), &host))) {
        Ok(Ok(value)) => {
            let instance = Box::new(Instance { value, poisoned: false });
            // SAFETY: `out` is non-null and writable, by the ABI contract.
            unsafe { *out = Box::into_raw(instance).cast() };
            Status::OK
        }
        Ok(Err(e)) => {
            // SAFETY: forwarded.
            unsafe { report(err, &e.message) };
            if e.status == Status::OK { Status::FAILED } else { e.status }
        }
        Err(payload) => {
            let message = format!("panic while creating `{}`: {}", T::NAME, panic_message(payload.as_ref()));
            // SAFETY: forwarded.
            unsafe { report(err, &message) };
            Status::PANICKED
        }
    }
}

/// # Safety
/// `inst` is null or an instance made by `create::<T>`, destroyed only once.
pub(crate) unsafe extern "C" fn destroy<T: Component>(inst: *mut c_void) {
    if inst.is_null() {
        return;
    }
    // SAFETY: made by `Box::into_raw` in `create::<T>`.
    let instance = unsafe { Box::from_raw(inst.cast::<Instance<T>>()) };
    // A panicking `Drop` must not unwind into the host: leak what is left instead.
    let _ = catch_unwind(AssertUnwindSafe(move || drop(instance)));
}

/// The descriptor of component `T` of `kind` with the given vtable.
pub const fn descriptor<T: Component>(kind: ComponentKind, vtable: *const c_void) -> ComponentDescriptor {
    ComponentDescriptor {
        struct_size: size_of::<ComponentDescriptor>() as u32,
        kind,
        name: StrRef::new(T::NAME),
        description: StrRef::new(T::DESCRIPTION),
        parameters: StrRef::new(T::PARAMETERS),
        vtable,
    }
}

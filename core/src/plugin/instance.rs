//! What every live plugin instance shares, whatever its kind: the opaque pointer and its
//! destructor, the library kept alive behind it, statuses turned into errors, poisoning after a
//! panic, and the services and callbacks the host hands it at creation.
//!
//! Each kind's instance (a safe wrapper that calls through its vtable and validates every
//! output) lives in its file under [`super::kinds`].

use std::ffi::c_void;
use std::ptr::NonNull;
use std::sync::Arc;

use xinzhi_plugin::abi::{CreateFn, DestroyFn, ErrorOut, HostServices, Status, StrRef};

pub use super::kinds::collect::CollectorInstance;
pub use super::kinds::dispatch::{Decision, SchedulerInstance};
pub use super::kinds::predict::PredictorInstance;
pub use super::kinds::signal::SignalInstance;
use super::library::PluginLib;
use super::{CallError, Component};

/// What the host gives an instance at creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Services {
    /// Seed of the instance's randomness.
    pub seed: u64,
    /// Replication index, for messages.
    pub replication: u32,
}

/// Host callback: appends a plugin's error message to the `String` behind `ctx`.
unsafe extern "C" fn write_error(ctx: *mut c_void, message: StrRef) {
    // SAFETY: `ctx` is the `String` the host passed for this call; the message is valid for it.
    let (Some(out), bytes) = (unsafe { ctx.cast::<String>().as_mut() }, unsafe { bytes(message) }) else {
        return;
    };
    out.push_str(&String::from_utf8_lossy(bytes));
}

/// # Safety
/// `s` is valid for the current call.
pub(crate) unsafe fn bytes<'a>(s: StrRef) -> &'a [u8] {
    if s.ptr.is_null() || s.len == 0 {
        return &[];
    }
    // SAFETY: by the caller's promise.
    unsafe { std::slice::from_raw_parts(s.ptr, s.len) }
}

/// Host callback: a plugin's log line, to stderr. Never panics (a failed write is ignored).
unsafe extern "C" fn log(level: u32, component: StrRef, message: StrRef) {
    use std::io::Write;
    let level = match level {
        1 => "warning",
        2 => "info",
        _ => "debug",
    };
    // SAFETY: both are valid for the call.
    let (component, message) = unsafe { (bytes(component), bytes(message)) };
    let _ = writeln!(
        std::io::stderr().lock(),
        "{level}: plugin `{}`: {}",
        String::from_utf8_lossy(component),
        String::from_utf8_lossy(message)
    );
}

/// The part every instance has: the opaque pointer, its destructor, the library it came from.
pub(crate) struct RawInstance {
    inst: NonNull<c_void>,
    destroy: DestroyFn,
    poisoned: bool,
    /// Qualified name for messages.
    name: String,
    /// Keeps the code behind `destroy` and the vtables alive; dropped after `destroy` ran.
    _lib: Arc<PluginLib>,
}

// SAFETY: plugin components are `Send` (a bound of the author traits), and every call takes
// `&mut self`, so an instance is never used from two threads at once.
unsafe impl Send for RawInstance {}
// SAFETY: as above: no `&self` method calls into the plugin.
unsafe impl Sync for RawInstance {}

impl Drop for RawInstance {
    fn drop(&mut self) {
        // SAFETY: made by this vtable's `create`, destroyed exactly once.
        unsafe { (self.destroy)(self.inst.as_ptr()) }
    }
}

impl RawInstance {
    /// Qualified name of the component, for messages.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Calls `f` with an error buffer and turns its status into a result; poisons on panic.
    pub(crate) fn call(
        &mut self,
        call: &'static str,
        f: impl FnOnce(*mut c_void, *mut ErrorOut) -> Status,
    ) -> Result<(), CallError> {
        if self.poisoned {
            return Err(self.error(call, Some(Status::POISONED), "the instance panicked earlier"));
        }
        let mut message = String::new();
        let mut err = ErrorOut { ctx: (&raw mut message).cast(), write: write_error };
        let status = f(self.inst.as_ptr(), &raw mut err);
        if status == Status::OK {
            return Ok(());
        }
        if status == Status::PANICKED {
            self.poisoned = true;
        }
        Err(self.error(call, Some(status), message))
    }

    /// An error of `call` naming this instance; `status` is `None` when the host rejected
    /// the plugin's output.
    pub(crate) fn error(
        &self,
        call: &'static str,
        status: Option<Status>,
        message: impl Into<String>,
    ) -> CallError {
        CallError { plugin: self.name.clone(), call, status, message: message.into() }
    }
}

/// Creates an instance of `component` through its vtable's `create`.
pub(crate) fn create(
    component: &Component,
    create: CreateFn,
    destroy: DestroyFn,
    params_json: &str,
    services: Services,
) -> Result<RawInstance, CallError> {
    let host = HostServices {
        struct_size: size_of::<HostServices>() as u32,
        replication: services.replication,
        seed: services.seed,
        log,
    };
    let mut message = String::new();
    let mut err = ErrorOut { ctx: (&raw mut message).cast(), write: write_error };
    let mut out: *mut c_void = std::ptr::null_mut();
    // SAFETY: the vtable's `create` with valid inputs for the call.
    let status = unsafe { create(StrRef::new(params_json), &raw const host, &raw mut out, &raw mut err) };
    let name = component.qualified_name();
    let fail =
        |status, message| CallError { plugin: name.clone(), call: "create", status: Some(status), message };
    if status != Status::OK {
        return Err(fail(status, message));
    }
    let Some(inst) = NonNull::new(out) else {
        return Err(fail(Status::FAILED, "reported success but returned no instance".into()));
    };
    Ok(RawInstance { inst, destroy, poisoned: false, name, _lib: Arc::clone(component.library()) })
}

impl Component {
    /// This component's vtable as kind `V` stored it at load time, or an error saying that the
    /// component is of another kind than `expected` (e.g. `scheduler`).
    pub(crate) fn vtable_as<V: Copy + 'static>(&self, expected: &str) -> Result<V, CallError> {
        self.info().vtable.get::<V>().ok_or_else(|| CallError {
            plugin: self.qualified_name(),
            call: "create",
            status: None,
            message: format!("is a {}, not a {expected}", self.info().kind.name()),
        })
    }
}

//! The raw option calls: `nng_<handle>_get_<type>` and
//! `nng_<handle>_set_<type>` for sockets, dialers, listeners, contexts and
//! pipes, each listed once per handle kind.

use crate::error::{cvt, Error, Result};
use crate::ffi;
use crate::{Context, Dialer, Listener, Pipe, Socket};
use std::ffi::{c_char, CStr};

/// The typed getters and setters of one handle kind's C API. A kind that
/// lacks one in C keeps the default, [`Error::NotSupported`].
pub trait RawOptions {
    fn get_bool(&self, _: &CStr) -> Result<bool> {
        Err(Error::NotSupported)
    }
    fn get_int(&self, _: &CStr) -> Result<i32> {
        Err(Error::NotSupported)
    }
    fn get_size(&self, _: &CStr) -> Result<usize> {
        Err(Error::NotSupported)
    }
    fn get_uint64(&self, _: &CStr) -> Result<u64> {
        Err(Error::NotSupported)
    }
    fn get_ms(&self, _: &CStr) -> Result<i32> {
        Err(Error::NotSupported)
    }
    fn get_string(&self, _: &CStr) -> Result<String> {
        Err(Error::NotSupported)
    }
    fn set_bool(&self, _: &CStr, _: bool) -> Result<()> {
        Err(Error::NotSupported)
    }
    fn set_int(&self, _: &CStr, _: i32) -> Result<()> {
        Err(Error::NotSupported)
    }
    fn set_size(&self, _: &CStr, _: usize) -> Result<()> {
        Err(Error::NotSupported)
    }
    fn set_uint64(&self, _: &CStr, _: u64) -> Result<()> {
        Err(Error::NotSupported)
    }
    fn set_ms(&self, _: &CStr, _: i32) -> Result<()> {
        Err(Error::NotSupported)
    }
    fn set_string(&self, _: &CStr, _: &CStr) -> Result<()> {
        Err(Error::NotSupported)
    }
}

/// Copies a C string nng handed out; `free` says whether we must `nng_strfree` it.
///
/// # Safety
/// `p` must be NULL or a valid NUL-terminated string.
unsafe fn take_string(p: *const c_char, free: bool) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: guaranteed by the caller.
    let s = unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
    if free {
        // SAFETY: the caller says nng allocated it for us with nng_strdup.
        unsafe { ffi::nng_strfree(p as *mut c_char) };
    }
    s
}

/// Implements [`RawOptions`] for a handle from its C functions, listed as
/// `method = c_function`. `get_strdup` and `set_string` hold the handle's
/// `string_lock()`; `get_strdup_readonly` is for handles without string
/// writes.
macro_rules! raw_options {
    ($handle:ty { $( $method:ident = $cfn:ident ),* $(,)? }) => {
        impl RawOptions for $handle {
            $( raw_options!(@one $method $cfn); )*
        }
    };
    (@one get_strdup $cfn:ident) => {
        fn get_string(&self, name: &CStr) -> Result<String> {
            // No write on this handle frees the string while nng copies it.
            let _serial = self.string_lock();
            raw_options!(@strdup self name $cfn)
        }
    };
    // A handle whose options are all read-only (a pipe): no write can free
    // the string while nng copies it, so there is no lock to take.
    (@one get_strdup_readonly $cfn:ident) => {
        fn get_string(&self, name: &CStr) -> Result<String> {
            raw_options!(@strdup self name $cfn)
        }
    };
    (@one set_string $cfn:ident) => {
        fn set_string(&self, name: &CStr, v: &CStr) -> Result<()> {
            // Frees the old value: not while a read on this handle copies it.
            let _serial = self.string_lock();
            // SAFETY: the handle is a plain id; both strings are NUL-terminated
            // and nng copies them.
            cvt(unsafe { ffi::$cfn(self.raw(), name.as_ptr(), v.as_ptr()) })
        }
    };
    (@one get_bool $cfn:ident) => { raw_options!(@get get_bool bool $cfn); };
    (@one get_int $cfn:ident) => { raw_options!(@get get_int i32 $cfn); };
    (@one get_size $cfn:ident) => { raw_options!(@get get_size usize $cfn); };
    (@one get_uint64 $cfn:ident) => { raw_options!(@get get_uint64 u64 $cfn); };
    (@one get_ms $cfn:ident) => { raw_options!(@get get_ms i32 $cfn); };
    (@one set_bool $cfn:ident) => { raw_options!(@set set_bool bool $cfn); };
    (@one set_int $cfn:ident) => { raw_options!(@set set_int i32 $cfn); };
    (@one set_size $cfn:ident) => { raw_options!(@set set_size usize $cfn); };
    (@one set_uint64 $cfn:ident) => { raw_options!(@set set_uint64 u64 $cfn); };
    (@one set_ms $cfn:ident) => { raw_options!(@set set_ms i32 $cfn); };
    (@get $method:ident $ty:ident $cfn:ident) => {
        fn $method(&self, name: &CStr) -> Result<$ty> {
            let mut v: $ty = Default::default();
            // SAFETY: the handle is a plain id (nng validates it); `name` is
            // NUL-terminated; `v` is a valid out-pointer of the C type.
            cvt(unsafe { ffi::$cfn(self.raw(), name.as_ptr(), &mut v) })?;
            Ok(v)
        }
    };
    (@set $method:ident $ty:ident $cfn:ident) => {
        fn $method(&self, name: &CStr, v: $ty) -> Result<()> {
            // SAFETY: the handle is a plain id (nng validates it); `name` is
            // NUL-terminated; the value is passed by value.
            cvt(unsafe { ffi::$cfn(self.raw(), name.as_ptr(), v) })
        }
    };
    (@strdup $self:ident $name:ident $cfn:ident) => {{
        let mut p: *mut c_char = std::ptr::null_mut();
        // SAFETY: the handle is a plain id (nng validates it); `name` is
        // NUL-terminated; `p` is a valid out-pointer. nng copies the value
        // while it holds the handle, so a close cannot free it first.
        cvt(unsafe { ffi::$cfn($self.raw(), $name.as_ptr(), &mut p) })?;
        // SAFETY: on success `p` is NULL or nng's NUL-terminated copy,
        // ours to free.
        Ok(unsafe { take_string(p, true) })
    }};
}

raw_options!(Socket {
    get_bool = nng_socket_get_bool,
    get_int = nng_socket_get_int,
    get_size = nng_socket_get_size,
    get_ms = nng_socket_get_ms,
    set_bool = nng_socket_set_bool,
    set_int = nng_socket_set_int,
    set_size = nng_socket_set_size,
    set_ms = nng_socket_set_ms,
});

// Dialers and listeners have no uint64 calls: nng 2.0.0's nng.h declares
// nng_dialer_get/set_uint64 and nng_listener_get/set_uint64, but its library
// defines none of them. (On Linux the linker drops unused references to them;
// MinGW's linker for Windows does not, and the link fails.)
raw_options!(Dialer {
    get_bool = nng_dialer_get_bool,
    get_int = nng_dialer_get_int,
    get_size = nng_dialer_get_size,
    get_ms = nng_dialer_get_ms,
    get_strdup = nng_dialer_get_strdup,
    set_bool = nng_dialer_set_bool,
    set_int = nng_dialer_set_int,
    set_size = nng_dialer_set_size,
    set_ms = nng_dialer_set_ms,
    set_string = nng_dialer_set_string,
});

raw_options!(Listener {
    get_bool = nng_listener_get_bool,
    get_int = nng_listener_get_int,
    get_size = nng_listener_get_size,
    get_ms = nng_listener_get_ms,
    get_strdup = nng_listener_get_strdup,
    set_bool = nng_listener_set_bool,
    set_int = nng_listener_set_int,
    set_size = nng_listener_set_size,
    set_ms = nng_listener_set_ms,
    set_string = nng_listener_set_string,
});

raw_options!(Context {
    get_bool = nng_ctx_get_bool,
    get_int = nng_ctx_get_int,
    get_size = nng_ctx_get_size,
    get_ms = nng_ctx_get_ms,
    set_bool = nng_ctx_set_bool,
    set_int = nng_ctx_set_int,
    set_size = nng_ctx_set_size,
    set_ms = nng_ctx_set_ms,
});

raw_options!(Pipe {
    get_bool = nng_pipe_get_bool,
    get_int = nng_pipe_get_int,
    get_size = nng_pipe_get_size,
    get_ms = nng_pipe_get_ms,
    get_strdup_readonly = nng_pipe_get_strdup,
});

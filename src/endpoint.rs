//! What dialers and listeners have in common. [`Dialer`](crate::Dialer) and
//! [`Listener`](crate::Listener) are the same kind of handle over two sets
//! of C functions (`nng_dialer_*`, `nng_listener_*`): [`endpoint!`] writes
//! the shared code once for both, and each module keeps its own docs and
//! what differs (starting, the URL, a listener's port).

/// Defines an endpoint handle and its id type: the struct, `new`, `raw`,
/// `string_lock`, `id`, `set_ws_header`, `detach`, `close`, `Drop` and
/// `Debug`, and the non-owning id type with `from_raw` and `id`. The caller
/// gives each public item's docs (and `#[doc(alias)]`s) and the C names:
///
/// ```text
/// endpoint! {
///     /// docs
///     pub struct Dialer(nng_dialer);
///     /// docs
///     pub fn new = nng_dialer_create;
///     /// docs
///     pub fn id;
///     /// docs
///     pub fn set_ws_header;
///     /// docs
///     pub fn detach;
///     /// docs
///     pub fn close = nng_dialer_close;
///     /// docs
///     pub struct DialerId = nng_dialer_id;
/// }
/// ```
macro_rules! endpoint {
    (
        $(#[$doc:meta])*
        pub struct $name:ident($raw:ident);
        $(#[$new_doc:meta])*
        pub fn new = $create:ident;
        $(#[$id_doc:meta])*
        pub fn id;
        $(#[$ws_doc:meta])*
        pub fn set_ws_header;
        $(#[$detach_doc:meta])*
        pub fn detach;
        $(#[$close_doc:meta])*
        pub fn close = $close:ident;
        $(#[$id_ty_doc:meta])*
        pub struct $id_ty:ident = $id_fn:ident;
    ) => {
        $(#[$doc])*
        pub struct $name {
            raw: $crate::ffi::$raw,
            /// The URL text it was created from. nng lends its own `nng_url`
            /// only until the endpoint is freed, which a close of its socket
            /// on any thread can do at any moment, so `url` formats a parse
            /// of its own.
            source: std::ffi::CString,
            /// Held around this handle's string option reads and writes: nng
            /// lends the string a read returns only until the next write
            /// frees it.
            strings: std::sync::Mutex<()>,
        }

        // Send + Sync without an unsafe impl: the C handle is a plain u32 id
        // and nng's endpoint functions are safe to call from any thread.

        impl $name {
            $(#[$new_doc])*
            pub fn new(socket: &$crate::Socket, url: &str) -> $crate::Result<$name> {
                let url = $crate::socket::to_cstring(url)?;
                let mut raw = $crate::ffi::$raw::default();
                // SAFETY: `raw` is a valid out-pointer; `url` is NUL-terminated.
                $crate::error::cvt(unsafe {
                    $crate::ffi::$create(&mut raw, socket.raw(), url.as_ptr())
                })?;
                Ok($name {
                    raw,
                    source: url,
                    strings: std::sync::Mutex::new(()),
                })
            }

            pub(crate) fn raw(&self) -> $crate::ffi::$raw {
                self.raw
            }

            /// Serialises string option reads and writes on this handle.
            pub(crate) fn string_lock(&self) -> std::sync::MutexGuard<'_, ()> {
                self.strings.lock().unwrap_or_else(|p| p.into_inner())
            }

            $(#[$id_doc])*
            pub fn id(&self) -> u32 {
                self.raw.id
            }

            $(#[$ws_doc])*
            pub fn set_ws_header(&self, name: &str, value: &str) -> $crate::Result<()> {
                use $crate::options::RawOptions;
                let value =
                    std::ffi::CString::new(value).map_err(|_| $crate::Error::InvalidInput)?;
                self.set_string(&$crate::options::ws_header_option(name)?, &value)
            }

            $(#[$detach_doc])*
            pub fn detach(mut self) {
                // Id 0 is no endpoint: the drop below closes nothing.
                self.raw = $crate::ffi::$raw::default();
            }

            $(#[$close_doc])*
            pub fn close(mut self) -> $crate::Result<()> {
                // Id 0 is no endpoint: the drop of `self` afterwards closes nothing.
                let raw = std::mem::take(&mut self.raw);
                $crate::callback::close_id(raw, $crate::ffi::$close)
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                if self.raw.id == 0 {
                    return; // closed by `close` or given up by `detach`
                }
                // An already-closed id (e.g. its socket closed first) only
                // reports an error, ignored here. Inside an nng callback the
                // close, which waits for the endpoint's own callbacks, runs
                // on a helper thread.
                let _ = $crate::callback::close_id(self.raw, $crate::ffi::$close);
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("id", &self.raw.id)
                    .finish()
            }
        }

        $(#[$id_ty_doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $id_ty(u32);

        impl $id_ty {
            /// Wraps an id handed out by nng; `None` for the unset id (<= 0).
            pub(crate) fn from_raw(raw: $crate::ffi::$raw) -> Option<$id_ty> {
                // SAFETY: the id function only reads the id.
                (unsafe { $crate::ffi::$id_fn(raw) } > 0).then_some($id_ty(raw.id))
            }

            #[doc = concat!("The positive id, as [`", stringify!($name), "::id`] gives it.")]
            pub fn id(self) -> u32 {
                self.0
            }
        }
    };
}
pub(crate) use endpoint;

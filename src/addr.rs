//! Socket addresses: [`SockAddr`], the address of a transport endpoint
//! (`nng_sockaddr`).
//!
//! A pipe's two ends are read with [`Pipe::peer_addr`] and
//! [`Pipe::self_addr`]; a dialer's local address is chosen with
//! [`Dialer::bind`]. IP addresses convert to and from [`std::net`] types.
//!
//! ```
//! use nng::addr::SockAddr;
//! use std::net::SocketAddr;
//! let sa = SockAddr::from("127.0.0.1:8080".parse::<SocketAddr>()?);
//! assert_eq!(sa.to_string(), "127.0.0.1:8080"); // as nng_str_sockaddr shows it
//! assert_eq!(sa.port(), Some(8080));
//! assert_eq!(SocketAddr::try_from(sa)?, "127.0.0.1:8080".parse()?);
//!
//! let ipc = SockAddr::Ipc("/tmp/x.sock".into());
//! assert_eq!(ipc.to_string(), "/tmp/x.sock");
//! assert_eq!(SocketAddr::try_from(ipc).unwrap_err(), nng::Error::AddressInvalid);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::error::{cvt, Error, Result};
use crate::ffi;
use crate::{Dialer, Pipe};
use std::ffi::{c_char, CStr};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::path::PathBuf;

/// The address of a transport endpoint (`nng_sockaddr`).
#[doc(alias = "nng_sockaddr")]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SockAddr {
    /// No address, or one of a family this crate does not know
    /// (`NNG_AF_UNSPEC`).
    #[doc(alias = "NNG_AF_UNSPEC")]
    Unspecified,
    /// An in-process name, for `inproc://` (`NNG_AF_INPROC`).
    #[doc(alias = "NNG_AF_INPROC")]
    Inproc(String),
    /// A filesystem path, for `ipc://` (`NNG_AF_IPC`).
    #[doc(alias = "NNG_AF_IPC")]
    Ipc(PathBuf),
    /// A Linux abstract socket name, without the leading NUL, for
    /// `abstract://` (`NNG_AF_ABSTRACT`). Any bytes, up to 107.
    #[doc(alias = "NNG_AF_ABSTRACT")]
    Abstract(Vec<u8>),
    /// An IPv4 address and port (`NNG_AF_INET`).
    #[doc(alias = "NNG_AF_INET")]
    V4(SocketAddrV4),
    /// An IPv6 address, port and scope id (`NNG_AF_INET6`). The flow label is
    /// not kept by nng and reads back as 0.
    #[doc(alias = "NNG_AF_INET6")]
    V6(SocketAddrV6),
}

/// Copies a NUL-terminated C string out of a fixed-size array (the whole
/// array if there is no NUL).
fn c_array_bytes(a: &[c_char]) -> Vec<u8> {
    a.iter().map(|&c| c as u8).take_while(|&b| b != 0).collect()
}

/// Writes `bytes` and a NUL into a fixed-size C array; too long (or containing
/// a NUL) is [`Error::AddressInvalid`].
fn fill_c_array(dst: &mut [c_char], bytes: &[u8]) -> Result<()> {
    if bytes.len() >= dst.len() || bytes.contains(&0) {
        return Err(Error::AddressInvalid);
    }
    for (d, &b) in dst.iter_mut().zip(bytes) {
        *d = b as c_char;
    }
    dst[bytes.len()] = 0;
    Ok(())
}

impl SockAddr {
    /// Converts nng's address.
    pub(crate) fn from_raw(raw: &ffi::nng_sockaddr) -> SockAddr {
        // SAFETY: every member of the union starts with the u16 family, so
        // reading s_family is valid whatever nng stored; the member read in
        // each arm is the one that family says is valid.
        unsafe {
            match u32::from(raw.s_family) {
                ffi::NNG_AF_INPROC => SockAddr::Inproc(
                    String::from_utf8_lossy(&c_array_bytes(&raw.s_inproc.sa_name)).into_owned(),
                ),
                ffi::NNG_AF_IPC => {
                    SockAddr::Ipc(path_from_bytes(c_array_bytes(&raw.s_ipc.sa_path)))
                }
                ffi::NNG_AF_ABSTRACT => {
                    let a = &raw.s_abstract;
                    let len = usize::from(a.sa_len).min(a.sa_name.len());
                    SockAddr::Abstract(a.sa_name[..len].to_vec())
                }
                ffi::NNG_AF_INET => {
                    let a = &raw.s_in;
                    SockAddr::V4(SocketAddrV4::new(
                        Ipv4Addr::from(u32::from_be(a.sa_addr)),
                        u16::from_be(a.sa_port),
                    ))
                }
                ffi::NNG_AF_INET6 => {
                    let a = &raw.s_in6;
                    SockAddr::V6(SocketAddrV6::new(
                        Ipv6Addr::from(a.sa_addr),
                        u16::from_be(a.sa_port),
                        0,
                        a.sa_scope,
                    ))
                }
                _ => SockAddr::Unspecified,
            }
        }
    }

    /// Converts to nng's address; names too long for nng's fixed buffers are
    /// [`Error::AddressInvalid`].
    pub(crate) fn to_raw(&self) -> Result<ffi::nng_sockaddr> {
        let mut raw = ffi::nng_sockaddr::default();
        match self {
            SockAddr::Unspecified => {
                raw.s_family = ffi::NNG_AF_UNSPEC as u16;
            }
            SockAddr::Inproc(name) => {
                let mut a = ffi::nng_sockaddr_inproc {
                    sa_family: ffi::NNG_AF_INPROC as u16,
                    ..Default::default()
                };
                fill_c_array(&mut a.sa_name, name.as_bytes())?;
                raw.s_inproc = a;
            }
            SockAddr::Ipc(path) => {
                let mut a = ffi::nng_sockaddr_ipc {
                    sa_family: ffi::NNG_AF_IPC as u16,
                    ..Default::default()
                };
                fill_c_array(&mut a.sa_path, &path_to_bytes(path)?)?;
                raw.s_ipc = a;
            }
            SockAddr::Abstract(name) => {
                let mut a = ffi::nng_sockaddr_abstract {
                    sa_family: ffi::NNG_AF_ABSTRACT as u16,
                    ..Default::default()
                };
                if name.len() > a.sa_name.len() {
                    return Err(Error::AddressInvalid);
                }
                a.sa_name[..name.len()].copy_from_slice(name);
                a.sa_len = name.len() as u16; // at most 107
                raw.s_abstract = a;
            }
            SockAddr::V4(v4) => {
                raw.s_in = ffi::nng_sockaddr_in {
                    sa_family: ffi::NNG_AF_INET as u16,
                    sa_port: v4.port().to_be(),
                    sa_addr: u32::from(*v4.ip()).to_be(),
                };
            }
            SockAddr::V6(v6) => {
                raw.s_in6 = ffi::nng_sockaddr_in6 {
                    sa_family: ffi::NNG_AF_INET6 as u16,
                    sa_port: v6.port().to_be(),
                    sa_scope: v6.scope_id(),
                    sa_addr: v6.ip().octets(),
                };
            }
        }
        Ok(raw)
    }

    /// The TCP or UDP port of an IP address; `None` for other families
    /// (`nng_sockaddr_port`).
    #[doc(alias = "nng_sockaddr_port")]
    pub fn port(&self) -> Option<u16> {
        match self {
            SockAddr::V4(a) => Some(a.port()),
            SockAddr::V6(a) => Some(a.port()),
            _ => None,
        }
    }
}

#[cfg(unix)]
fn path_from_bytes(b: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    std::ffi::OsString::from_vec(b).into()
}

#[cfg(not(unix))]
fn path_from_bytes(b: Vec<u8>) -> PathBuf {
    String::from_utf8_lossy(&b).into_owned().into()
}

#[cfg(unix)]
fn path_to_bytes(p: &std::path::Path) -> Result<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    Ok(p.as_os_str().as_bytes().to_vec())
}

#[cfg(not(unix))]
fn path_to_bytes(p: &std::path::Path) -> Result<Vec<u8>> {
    Ok(p.to_str().ok_or(Error::AddressInvalid)?.as_bytes().to_vec())
}

impl fmt::Display for SockAddr {
    /// nng's own text for the address (`nng_str_sockaddr`): `1.2.3.4:80`,
    /// `[::1]:80`, `inproc[name]`, the IPC path, `abstract[name]`, `unknown`.
    #[doc(alias = "nng_str_sockaddr")]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Ok(raw) = self.to_raw() else {
            // Too long for nng's buffers (built by hand): show it ourselves.
            return write!(f, "{self:?}");
        };
        let mut buf = [0 as c_char; ffi::NNG_MAXADDRSTRLEN as usize];
        // SAFETY: `raw` is a valid address, zero-filled past its used bytes (so
        // nng's "%s" of an abstract name stops inside the union); `buf` has
        // `buf.len()` writable bytes and nng NUL-terminates within them.
        let p = unsafe { ffi::nng_str_sockaddr(&raw, buf.as_mut_ptr(), buf.len()) };
        if p.is_null() {
            return Ok(());
        }
        // SAFETY: nng returns `buf`, NUL-terminated, or a static string
        // ("unknown" for NNG_AF_UNSPEC).
        let text = unsafe { CStr::from_ptr(p) };
        f.write_str(&text.to_string_lossy())
    }
}

impl From<SocketAddr> for SockAddr {
    fn from(a: SocketAddr) -> SockAddr {
        match a {
            SocketAddr::V4(a) => SockAddr::V4(a),
            SocketAddr::V6(a) => SockAddr::V6(a),
        }
    }
}

impl From<SocketAddrV4> for SockAddr {
    fn from(a: SocketAddrV4) -> SockAddr {
        SockAddr::V4(a)
    }
}

impl From<SocketAddrV6> for SockAddr {
    fn from(a: SocketAddrV6) -> SockAddr {
        SockAddr::V6(a)
    }
}

impl TryFrom<SockAddr> for SocketAddr {
    type Error = Error;
    /// IP addresses convert; other families are [`Error::AddressInvalid`].
    fn try_from(a: SockAddr) -> Result<SocketAddr> {
        match a {
            SockAddr::V4(a) => Ok(SocketAddr::V4(a)),
            SockAddr::V6(a) => Ok(SocketAddr::V6(a)),
            _ => Err(Error::AddressInvalid),
        }
    }
}

impl Pipe {
    fn addr(
        &self,
        f: unsafe extern "C" fn(ffi::nng_pipe, *mut ffi::nng_sockaddr) -> ffi::nng_err,
    ) -> Result<SockAddr> {
        let mut raw = ffi::nng_sockaddr::default();
        // SAFETY: the pipe is a plain id (nng validates it); `raw` is a valid
        // out-pointer.
        cvt(unsafe { f(self.raw(), &mut raw) })?;
        Ok(SockAddr::from_raw(&raw))
    }

    /// The remote end's address (`nng_pipe_peer_addr`).
    ///
    /// ```
    /// use nng::{addr::SockAddr, Protocol, Socket};
    /// let rep = Socket::new(Protocol::Rep0)?;
    /// let l = nng::Listener::new(&rep, "tcp://127.0.0.1:0")?;
    /// l.start()?;
    /// let req = Socket::new(Protocol::Req0)?;
    /// req.dial(&format!("tcp://127.0.0.1:{}", l.port()?))?;
    /// req.send(b"hi")?;
    /// let pipe = rep.recv()?.pipe().unwrap();
    /// let SockAddr::V4(peer) = pipe.peer_addr()? else { panic!() };
    /// assert!(peer.ip().is_loopback());
    /// assert_eq!(pipe.self_addr()?.port(), Some(l.port()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "nng_pipe_peer_addr")]
    pub fn peer_addr(&self) -> Result<SockAddr> {
        self.addr(ffi::nng_pipe_peer_addr)
    }

    /// The local end's address (`nng_pipe_self_addr`).
    #[doc(alias = "nng_pipe_self_addr")]
    pub fn self_addr(&self) -> Result<SockAddr> {
        self.addr(ffi::nng_pipe_self_addr)
    }
}

impl Dialer {
    /// Chooses the local address outgoing connections are made from
    /// (`nng_dialer_bind`): an IPv4 or IPv6 address with port 0. Call it
    /// before [`start`](Self::start). Transports that cannot bind an outgoing
    /// connection give [`Error::NotSupported`].
    #[doc(alias = "nng_dialer_bind")]
    pub fn bind(&self, local: &SockAddr) -> Result<()> {
        let raw = local.to_raw()?;
        // SAFETY: the dialer is a plain id; `raw` is a valid address that
        // outlives the call (nng copies it).
        cvt(unsafe { ffi::nng_dialer_bind(self.raw(), &raw) })
    }
}

//! Pins the thread-safety of the async types (the compile_fail doctest on
//! `Aio` pins that a non-Send closure is rejected).

fn send_sync<T: Send + Sync>() {}
fn send<T: Send>() {}

#[test]
fn async_types_are_thread_safe() {
    send_sync::<nng::Aio>();
    send_sync::<nng::Context>();
    send::<nng::future::SendFuture>();
    send::<nng::future::RecvFuture>();
    send::<nng::future::RecvStream>();
    send::<nng::future::SendSink>();
}

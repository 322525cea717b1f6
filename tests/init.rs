//! `nng::init`: tunables before first use, then refusal once initialised.
//! (Its own test binary: initialisation is once per process.)

use nng::{init, Error, InitParams, Protocol, Socket};

#[test]
fn init_with_params_once_then_busy() {
    let params = InitParams {
        num_task_threads: Some(2),
        max_task_threads: Some(4),
        num_expire_threads: Some(1),
        num_poller_threads: Some(1),
        num_resolver_threads: Some(1),
        ..Default::default()
    };
    init(&params).unwrap();
    assert_eq!(init(&params).unwrap_err(), Error::Busy);
    // Sockets work with the tuned runtime, from several threads at once.
    let handles: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(|| Socket::new(Protocol::Pair1).map(|s| s.id())))
        .collect();
    for h in handles {
        assert!(h.join().unwrap().unwrap() > 0);
    }
    assert_eq!(init(&InitParams::default()).unwrap_err(), Error::Busy);
}

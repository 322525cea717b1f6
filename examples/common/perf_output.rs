//! The result lines of nng's perf tools (`perf.c`), shared by the Rust port
//! and the raw-C-API baseline of `bench_compare`.

/// `latency_client`'s lines; `total` in seconds.
pub fn print_latency(total: f64, size: usize, trips: usize) {
    let latency = total * 1_000_000.0 / (trips * 2) as f64;
    println!("total time: {total:.3} [s]");
    println!("message size: {size} [B]");
    println!("round trip count: {trips}");
    println!("average latency: {latency:.3} [us]");
}

/// `throughput_server`'s lines; `total` in seconds.
pub fn print_throughput(total: f64, size: usize, count: usize) {
    let msgpersec = count as f64 / total;
    let mbps = msgpersec * 8.0 * size as f64 / (1024.0 * 1024.0);
    println!("total time: {total:.3} [s]");
    println!("message size: {size} [B]");
    println!("message count: {count}");
    println!("throughput: {msgpersec:.0} [msg/s]");
    println!("throughput: {mbps:.3} [Mb/s]");
}

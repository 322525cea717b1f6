//! The `ws://` transport against a real browser: examples/browser_chat.rs is
//! started on loopback and its page is driven in headless Chromium through
//! chromedriver (W3C WebDriver, with fantoccini).
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/install-browser.sh`);
//! without them the test fails, naming that script. `CHROMIUM` and
//! `CHROMEDRIVER` override the binaries. The screenshot goes to
//! `target/test-artifacts/browser_chat.png`; with `NNG_UPDATE_SCREENSHOT=1` it
//! is also copied to `docs/browser_chat.png`.

use fantoccini::error::CmdError;
use fantoccini::wd::TimeoutConfiguration;
use fantoccini::Locator;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// The deadline of every single wait: generous, for a loaded 2-core machine.
const WAIT: Duration = Duration::from_secs(60);

const INSTALL_HINT: &str =
    "run .ci/install-browser.sh (installs Debian's chromium and chromium-driver)";

/// Polls `f` every 100 ms until it gives a value, failing after [`WAIT`].
fn poll<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {WAIT:?} waiting for {what}"
        );
        thread::sleep(Duration::from_millis(100));
    }
}

/// Finds `name` on PATH (or the path in the environment variable `var`).
fn find_tool(var: &str, name: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(var).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "{var}={} is not a file; {INSTALL_HINT}",
            p.display()
        );
        return p;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("`{name}` is not on PATH: {INSTALL_HINT}"))
}

/// Reads a child's standard output line by line into a channel.
fn line_reader(out: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Waits for a child's output line that `want` accepts, keeping every line
/// seen in `seen` (for failure messages).
fn wait_line(
    lines: &Receiver<String>,
    seen: &mut Vec<String>,
    who: &str,
    what: &str,
    want: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                seen.push(line.clone());
                if want(&line) {
                    return line;
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                panic!("{who}: no {what} within {WAIT:?}; output so far: {seen:#?}")
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("{who} exited before printing {what}; output: {seen:#?}")
            }
        }
    }
}

/// Runs `cmd` to completion within [`WAIT`] x 10, failing with its output.
fn run_bounded(mut cmd: Command, what: &str) {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let mut stderr = child.stderr.take().expect("piped");
    let errors = thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + WAIT * 10;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {:?}", WAIT * 10);
        }
        thread::sleep(Duration::from_millis(200));
    };
    let errors = errors.join().unwrap_or_default();
    assert!(status.success(), "{what} failed ({status}):\n{errors}");
}

/// The example's binary, (re)built with this test's features and profile.
///
/// `cargo test` builds the examples too, but `cargo test --test browser_chat`
/// does not, so this asks cargo; it is quick when the binary is up to date.
fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    // target/<profile>, or target/<triple>/<profile> when the tests were built
    // with an explicit `--target` (as .ci/memcheck's ASan run does): then the
    // example is built alike. Only the target dir itself holds cargo's
    // `.rustc_info.json`.
    let up = profile_dir.parent().expect("target dir");
    let (target_dir, triple) = if up.join(".rustc_info.json").is_file() {
        (up, None)
    } else {
        (up.parent().expect("target dir"), up.file_name())
    };
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev",
        Some(other) => other,
    };
    let features: Vec<&str> = [
        ("vendored", cfg!(feature = "vendored")),
        ("tls", cfg!(nng_tls)),
        ("tools", cfg!(feature = "tools")),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect();
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.args([
        "build",
        "--quiet",
        "--example",
        "browser_chat",
        "--profile",
        profile,
    ])
    .arg("--manifest-path")
    .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
    .arg("--target-dir")
    .arg(target_dir)
    .arg("--no-default-features");
    if let Some(triple) = triple {
        cmd.arg("--target").arg(triple);
    }
    if !features.is_empty() {
        cmd.arg("--features").arg(features.join(","));
    }
    run_bounded(cmd, "cargo build --example browser_chat");
    let bin = profile_dir.join("examples").join("browser_chat");
    assert!(bin.is_file(), "{} was not built", bin.display());
    bin
}

/// The running example; killed on drop.
struct Example {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    seen: Vec<String>,
    page: String,
}

impl Example {
    fn start() -> Example {
        let mut child = Command::new(example_binary())
            .args(["--http-port", "0", "--ws-port", "0", "--max-frame", "4096"])
            .args(["--exit-after", "600"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start examples/browser_chat");
        let stdin = child.stdin.take().expect("piped");
        let lines = line_reader(child.stdout.take().expect("piped"));
        let mut ex = Example {
            child,
            stdin,
            lines,
            seen: Vec::new(),
            page: String::new(),
        };
        let page = ex.wait("the page URL", |l| l.starts_with("browser_chat: page "));
        ex.page = page["browser_chat: page ".len()..].trim().to_string();
        assert!(
            ex.page.starts_with("http://127.0.0.1:"),
            "page on loopback: {page}"
        );
        for (name, proto) in [("chat", "bus"), ("news", "pub"), ("ask", "rep")] {
            let line = ex.wait(name, |l| l.starts_with(&format!("browser_chat: {name} ")));
            // The subprotocol the page hard-codes is the one nng's listener advertises.
            assert!(
                line.contains("ws://127.0.0.1:")
                    && line.ends_with(&format!("{proto}.sp.nanomsg.org)")),
                "{line}"
            );
        }
        ex
    }

    fn wait(&mut self, what: &str, want: impl Fn(&str) -> bool) -> String {
        wait_line(&self.lines, &mut self.seen, "browser_chat", what, want)
    }

    /// Waits until the service logs exactly `line` (what its socket received).
    fn expect_line(&mut self, line: &str) {
        self.wait(&format!("{line:?}"), |l| l == line);
    }

    /// Publishes `line` on the service's pub0 socket (through its stdin).
    fn publish(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("write to the example's stdin");
        self.stdin.flush().expect("flush");
        self.expect_line(&format!("published: {line}"));
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// chromedriver (in its own process group, with the Chromium it starts) and
/// one WebDriver session driven by fantoccini; everything is stopped and
/// removed on drop.
struct Browser {
    driver: Child,
    /// Runs fantoccini's futures (and its session task) on this thread.
    rt: tokio::runtime::Runtime,
    client: Option<fantoccini::Client>,
    profile: PathBuf,
}

impl Browser {
    fn start() -> Browser {
        let chromium = find_tool("CHROMIUM", "chromium");
        let chromedriver = find_tool("CHROMEDRIVER", "chromedriver");
        let profile = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "browser_chat-profile-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).expect("create the Chromium profile dir");

        let mut cmd = Command::new(&chromedriver);
        cmd.arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut driver = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start {}: {e}; {INSTALL_HINT}",
                chromedriver.display()
            )
        });
        let lines = line_reader(driver.stdout.take().expect("piped"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let mut browser = Browser {
            driver,
            rt,
            client: None,
            profile,
        };
        let mut seen = Vec::new();
        let line = wait_line(&lines, &mut seen, "chromedriver", "its port", |l| {
            l.contains("started successfully on port")
        });
        let port: u16 = line
            .trim_end_matches('.')
            .rsplit(' ')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        thread::spawn(move || lines.into_iter().for_each(drop)); // keep draining

        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1100,760",
        ]
        .into_iter()
        .map(String::from)
        .chain([format!("--user-data-dir={}", browser.profile.display())])
        .collect::<Vec<_>>();
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        });
        let Value::Object(caps) = caps else {
            unreachable!("an object")
        };
        // chromedriver on loopback: plain HTTP, no TLS connector.
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = browser.run(
            "create a WebDriver session",
            fantoccini::ClientBuilder::new(connector)
                .capabilities(caps)
                .connect(&format!("http://127.0.0.1:{port}")),
        );
        browser.client = Some(client);
        let timeouts = TimeoutConfiguration::new(Some(WAIT), Some(WAIT), Some(Duration::ZERO));
        browser.cmd("set timeouts", |c| async move {
            c.update_timeouts(timeouts).await
        });
        browser
    }

    /// Runs one WebDriver exchange to completion, failing on its error or
    /// after twice [`WAIT`] (the browser's own script and page-load timeouts
    /// are [`WAIT`]: theirs come first).
    fn run<T, E: std::fmt::Display>(
        &self,
        what: &str,
        f: impl std::future::Future<Output = Result<T, E>>,
    ) -> T {
        // The timer is made inside the runtime (it needs its time driver).
        match self
            .rt
            .block_on(async { tokio::time::timeout(WAIT * 2, f).await })
        {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => panic!("WebDriver: {what}: {e}"),
            Err(_) => panic!("WebDriver: {what}: no answer within {:?}", WAIT * 2),
        }
    }

    /// A command of the session that must succeed.
    fn cmd<T, F>(&self, what: &str, f: impl FnOnce(fantoccini::Client) -> F) -> T
    where
        F: std::future::Future<Output = Result<T, CmdError>>,
    {
        let client = self.client.clone().expect("session");
        self.run(what, f(client))
    }

    fn goto(&self, url: &str) {
        self.cmd(
            &format!("go to {url}"),
            |c| async move { c.goto(url).await },
        );
    }

    fn js(&self, script: &str) -> Value {
        self.cmd(script, |c| async move { c.execute(script, vec![]).await })
    }

    /// Runs `script` as an async script: it finishes by calling its last
    /// argument, whose value is returned.
    fn js_async(&self, script: &str, args: Value) -> Value {
        let Value::Array(args) = args else {
            panic!("script arguments are an array: {args}")
        };
        self.cmd(
            script,
            |c| async move { c.execute_async(script, args).await },
        )
    }

    /// Types `text` into the input `css`, as a user would.
    fn type_into(&self, css: &str, text: &str) {
        self.cmd(&format!("type into {css}"), |c| async move {
            let el = c.find(Locator::Css(css)).await?;
            el.clear().await?;
            el.send_keys(text).await
        });
    }

    fn click(&self, css: &str) {
        self.cmd(&format!("click {css}"), |c| async move {
            c.find(Locator::Css(css)).await?.click().await
        });
    }

    /// The text of the page's element `id`.
    fn text(&self, id: &str) -> String {
        let v = self.js(&format!(
            "return document.getElementById('{id}').textContent"
        ));
        v.as_str().unwrap_or_default().to_string()
    }

    fn wait_text(&self, id: &str, needle: &str) {
        poll(&format!("#{id} to show {needle:?}"), || {
            self.text(id).contains(needle).then_some(())
        });
    }

    /// Waits until the page's three SP connections are open.
    fn wait_connected(&self) {
        for name in ["chat", "news", "ask"] {
            poll(&format!("the page's {name} connection to open"), || {
                (self.text(&format!("{name}-status")) == "open").then_some(())
            });
        }
    }

    /// Opens a new tab and switches to it.
    fn new_tab(&self) {
        self.cmd("open a tab", |c| async move {
            let tab = c.new_window(true).await?;
            c.switch_to_window(tab.handle).await
        });
    }

    fn switch_to_first_tab(&self) {
        self.cmd("switch to the first tab", |c| async move {
            let first = c.windows().await?.into_iter().next();
            c.switch_to_window(first.expect("a window")).await
        });
    }

    /// A PNG of the current tab.
    fn screenshot(&self) -> Vec<u8> {
        self.cmd("take a screenshot", |c| async move { c.screenshot().await })
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let close =
                async { tokio::time::timeout(Duration::from_secs(10), client.close()).await };
            let _ = self.rt.block_on(close);
        }
        // chromedriver leads its own process group: stop it and any Chromium
        // process left behind, then reap chromedriver.
        let group = self.driver.id() as libc::pid_t;
        // SAFETY: kill(2) with a negative pid signals only the process group
        // this test created for chromedriver.
        unsafe { libc::kill(-group, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && matches!(self.driver.try_wait(), Ok(None)) {
            thread::sleep(Duration::from_millis(50));
        }
        // SAFETY: as above.
        unsafe { libc::kill(-group, libc::SIGKILL) };
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The result a probe button of the page recorded in `window.probeResults`.
fn probe(browser: &Browser, kind: &str) -> Value {
    browser.click(&format!("#probe-{kind}"));
    poll(&format!("the {kind} probe to finish"), || {
        let v = browser.js(&format!("return window.probeResults['{kind}'] || null"));
        (!v.is_null()).then_some(v)
    })
}

fn save_screenshot(png: &[u8]) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "screenshot is a PNG");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target")
        .join("test-artifacts");
    std::fs::create_dir_all(&dir).expect("create target/test-artifacts");
    let path = dir.join("browser_chat.png");
    std::fs::write(&path, png).expect("write the screenshot");
    eprintln!("screenshot: {} ({} bytes)", path.display(), png.len());
    if std::env::var_os("NNG_UPDATE_SCREENSHOT").is_some_and(|v| v == "1") {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs")
            .join("browser_chat.png");
        std::fs::write(&docs, png).expect("write docs/browser_chat.png");
        eprintln!("screenshot copied to {}", docs.display());
    }
}

#[test]
fn browser_page_talks_to_nng_sockets_over_ws() {
    // Before anything is started: a missing browser is a failure, not a skip.
    find_tool("CHROMIUM", "chromium");
    find_tool("CHROMEDRIVER", "chromedriver");

    let mut service = Example::start();
    let browser = Browser::start();
    browser.goto(&service.page);
    browser.wait_connected();

    // Page -> Rust (bus0): typed in the page, received by the Rust socket,
    // relayed back to the page by the Rust socket.
    browser.type_into("#nick", "alice");
    browser.type_into("#chat-input", "hello from chromium");
    browser.click("#chat-send");
    service.expect_line("chat: alice: hello from chromium");
    browser.wait_text("chat-log", "alice: hello from chromium");

    // Rust -> page (pub0): published by the Rust socket, shown by the page.
    service.publish("news from the rust side");
    browser.wait_text("news-log", "news from the rust side");

    // Request/reply (page as req, Rust rep0): the 32-bit request id round trip.
    browser.type_into("#ask-input", "is this thing on?");
    browser.click("#ask-send");
    service.expect_line("ask: is this thing on?");
    browser.wait_text("ask-log", "answer #1: IS THIS THING ON? (17 bytes)");

    // Bad input. A wrong subprotocol, or none, is refused at the handshake:
    // the browser never sees the connection open (1006: abnormal closure).
    for kind in ["wrong-protocol", "no-protocol"] {
        let r = probe(&browser, kind);
        assert_eq!(r["opened"], json!(false), "{kind}: {r}");
        assert_eq!(r["code"], json!(1006), "{kind}: {r}");
    }
    // An oversized frame closes that connection only (1009: message too big),
    // as does a text frame (1003: unsupported data).
    for (kind, code) in [("oversized", 1009), ("text-frame", 1003)] {
        let r = probe(&browser, kind);
        assert_eq!(r["opened"], json!(true), "{kind}: {r}");
        assert_eq!(r["protocol"], json!("bus.sp.nanomsg.org"), "{kind}: {r}");
        assert_eq!(r["code"], json!(code), "{kind}: {r}");
    }
    let leaked = service
        .seen
        .iter()
        .filter(|l| l.starts_with("chat: ") && (l.len() > 200 || l.contains("a text frame")));
    assert_eq!(
        leaked.count(),
        0,
        "no bad frame reached the Rust socket: {:#?}",
        service.seen
    );

    // The page's own connections stayed open, and still work both ways.
    browser.wait_connected();
    browser.type_into("#chat-input", "still here");
    browser.click("#chat-send");
    service.expect_line("chat: alice: still here");
    browser.wait_text("chat-log", "alice: still here");
    service.publish("the service is still serving");
    browser.wait_text("news-log", "the service is still serving");

    // And the service keeps serving other pages: a second tab joins the chat,
    // and its message reaches the Rust socket and both pages.
    browser.new_tab();
    browser.goto(&service.page);
    browser.wait_connected();
    browser.type_into("#nick", "bob");
    browser.type_into("#chat-input", "hi from a second page");
    browser.click("#chat-send");
    service.expect_line("chat: bob: hi from a second page");
    browser.wait_text("chat-log", "bob: hi from a second page");
    browser.switch_to_first_tab();
    browser.wait_text("chat-log", "bob: hi from a second page");

    // pair1 from the same page (a socket of this test, not of the example):
    // frames carry a 4-byte big-endian hop count before the payload.
    pair1_round_trip(&browser);

    browser.js("window.scrollTo(0, 0)");
    save_screenshot(&browser.screenshot());
}

/// The HTTP status nng's WebSocket listener answers a handshake (tungstenite's
/// client) for `path` with, offering `protocol` (none when `None`). A
/// handshake it accepts (101) must also name the offered subprotocol:
/// tungstenite checks that.
fn handshake_status(ws_addr: &str, path: &str, protocol: Option<&str>) -> u16 {
    use tungstenite::client::IntoClientRequest as _;
    use tungstenite::handshake::HandshakeError;
    let mut request = format!("ws://{ws_addr}{path}")
        .into_client_request()
        .expect("a WebSocket request");
    if let Some(p) = protocol {
        let value = p.parse().expect("a header value");
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", value);
    }
    let conn = std::net::TcpStream::connect(ws_addr).expect("connect to the ws port");
    conn.set_read_timeout(Some(WAIT)).expect("read timeout");
    match tungstenite::client(request, conn) {
        Ok((mut ws, response)) => {
            let _ = ws.close(None);
            response.status().as_u16()
        }
        Err(HandshakeError::Failure(tungstenite::Error::Http(response))) => {
            response.status().as_u16()
        }
        Err(e) => panic!("{path} offering {protocol:?}: handshake failed: {e}"),
    }
}

/// What the browser's handshakes meet, seen without a browser: the listener
/// accepts only its own protocol's subprotocol, and only on its path.
#[test]
fn ws_handshake_accepts_only_the_listeners_subprotocol() {
    let mut service = Example::start();
    let chat = service
        .seen
        .iter()
        .find(|l| l.starts_with("browser_chat: chat "))
        .cloned();
    let chat = chat.expect("chat URL line");
    let addr = chat
        .split("ws://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("host:port in the chat URL line")
        .to_string();
    let cases = [
        ("/chat", Some("bus.sp.nanomsg.org"), 101),
        ("/news", Some("pub.sp.nanomsg.org"), 101),
        ("/ask", Some("rep.sp.nanomsg.org"), 101),
        ("/chat", Some("pair1.sp.nanomsg.org"), 400),
        ("/ask", Some("req.sp.nanomsg.org"), 400),
        ("/chat", None, 400),
        ("/nowhere", Some("bus.sp.nanomsg.org"), 404),
    ];
    for (path, protocol, want) in cases {
        let status = handshake_status(&addr, path, protocol);
        assert_eq!(status, want, "{path} offering {protocol:?}");
    }
    // The refused handshakes did not disturb the service.
    service.publish("still serving");
}

/// A browser WebSocket as a pair1 peer of a Rust pair1 socket: the page sends
/// hop count 1 + payload, and gets the Rust side's message with hop count 1.
fn pair1_round_trip(browser: &Browser) {
    use nng::options::{RecvTimeout, SendTimeout};
    let pair = nng::Socket::new(nng::Protocol::Pair1).expect("pair1 socket");
    pair.set_opt::<RecvTimeout>(Some(WAIT))
        .expect("recv timeout");
    pair.set_opt::<SendTimeout>(Some(WAIT))
        .expect("send timeout");
    let listener = nng::Listener::new(&pair, "ws://127.0.0.1:0/pair").expect("pair1 listener");
    listener.start().expect("start the pair1 listener");
    let url = format!(
        "ws://127.0.0.1:{}/pair",
        listener.port().expect("bound port")
    );
    let script = r#"
        const [url, done] = arguments;
        const ws = new WebSocket(url, "pair1.sp.nanomsg.org");
        ws.binaryType = "arraybuffer";
        const timer = setTimeout(() => done({ error: "timeout" }), 30000);
        ws.onopen = () => {
            const text = new TextEncoder().encode("hi from a pair1 page");
            const frame = new Uint8Array(4 + text.length);
            new DataView(frame.buffer).setUint32(0, 1); // hop count
            frame.set(text, 4);
            ws.send(frame);
        };
        ws.onmessage = (ev) => {
            const bytes = new Uint8Array(ev.data);
            clearTimeout(timer);
            done({
                hops: new DataView(ev.data).getUint32(0),
                text: new TextDecoder().decode(bytes.subarray(4)),
                protocol: ws.protocol,
            });
            ws.close();
        };
        ws.onclose = (ev) => { clearTimeout(timer); done({ error: "closed " + ev.code }); };
    "#;
    // The page's pair1 frame arrives first; then this side answers.
    let answer = thread::scope(|s| {
        let rust_side = s.spawn(|| {
            let msg = pair.recv().expect("pair1 message from the page");
            assert_eq!(
                msg.as_slice(),
                b"hi from a pair1 page",
                "hop count stripped"
            );
            pair.send("hello, pair1 page").expect("pair1 send");
        });
        let answer = browser.js_async(script, json!([url]));
        rust_side.join().expect("the pair1 side");
        answer
    });
    assert_eq!(
        answer,
        json!({ "hops": 1, "text": "hello, pair1 page", "protocol": "pair1.sp.nanomsg.org" }),
        "what the page got from pair1"
    );
}

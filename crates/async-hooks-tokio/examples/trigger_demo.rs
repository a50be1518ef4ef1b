//! Node's `async_hooks` documentation demo of triggers, in Rust: a TCP server whose accepted
//! connection reports the server as its trigger.
//!
//! ```text
//! cargo run -p async-hooks-tokio --example trigger_demo            # connects to itself
//! cargo run -p async-hooks-tokio --example trigger_demo -- --serve # waits for `nc`
//! ```
//!
//! Node prints (after `nc localhost 8080`):
//!
//! ```text
//! TCPSERVERWRAP(5): trigger: 1 execution: 1
//! TCPWRAP(7): trigger: 5 execution: 0
//! ```
//!
//! This prints the same two lines with this crate's ids. The connection's execution id is the
//! server's rather than `0`: the accept is polled in the server's scope, where Node's
//! `connection` callback also runs.

use std::io::Read;

use async_hooks::{create_hook, execution_async_id, hook_println, FnHook};
use async_hooks_tokio::net::TcpListener;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let serve = std::env::args().any(|arg| arg == "--serve");

    let hook = create_hook(FnHook::new().on_init(|id, ty, trigger, _| {
        let eid = execution_async_id();
        hook_println!("{ty}({id}): trigger: {trigger} execution: {eid}");
    }));
    hook.enable();

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;

    let client = if serve {
        println!("listening: connect with `nc {} {}`", addr.ip(), addr.port());
        None
    } else {
        // A plain, uninstrumented client on its own thread, standing in for `nc`.
        Some(std::thread::spawn(move || -> std::io::Result<()> {
            let mut stream = std::net::TcpStream::connect(addr)?;
            let mut rest = Vec::new();
            stream.read_to_end(&mut rest)?; // until the server closes
            Ok(())
        }))
    };

    let (conn, _peer) = listener.accept().await?;
    assert_eq!(
        conn.resource().trigger_async_id(),
        listener.resource().async_id(),
        "the connection's trigger is the server"
    );
    drop(conn); // closes the connection: the client (or `nc`) exits

    if let Some(client) = client {
        client.join().expect("the client thread panicked")?;
    }
    hook.disable();
    Ok(())
}

//! Node's `async_hooks` documentation demo of asynchronous context, in Rust: a server whose
//! "listen callback" starts a timer, with every event printed and indented by scope depth.
//!
//! ```text
//! cargo run -p async-hooks-tokio --example async_context
//! ```
//!
//! Node's code and output:
//!
//! ```text
//! net.createServer(() => {}).listen(8080, () => {
//!   setTimeout(() => { console.log('>>>', executionAsyncId()); }, 10);
//! });
//!
//! TCPSERVERWRAP(5): trigger: 1 execution: 1
//! TickObject(6): trigger: 5 execution: 1
//! before:  6
//!   Timeout(7): trigger: 6 execution: 6
//! after:   6
//! destroy: 6
//! before:  7
//! >>> 7
//!   TickObject(8): trigger: 7 execution: 7
//! after:   7
//! before:  8
//! after:   8
//! ```
//!
//! Here the listen callback runs directly in the server's scope (Node defers it through a
//! `TickObject`), so the `Timeout`'s trigger is the server. `set_timeout` spawns its task with
//! [`async_hooks_tokio::spawn`], so the task appears too, with the `Timeout`'s scope nested in
//! the task's.

use std::time::Duration;

use async_hooks::{create_hook, execution_async_id, hook_println, scope_depth, FnHook};
use async_hooks_tokio::net::TcpListener;
use async_hooks_tokio::time::set_timeout;

/// Two spaces per open scope; inside `before` and `after` the resource's own scope is open
/// but, as in Node's demo, not counted.
fn indent(open: usize) -> String {
    " ".repeat(2 * open)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let hook = create_hook(
        FnHook::new()
            .on_init(|id, ty, trigger, _| {
                let eid = execution_async_id();
                let pad = indent(scope_depth());
                hook_println!("{pad}{ty}({id}): trigger: {trigger} execution: {eid}");
            })
            .on_before(|id| {
                let pad = indent(scope_depth().saturating_sub(1));
                hook_println!("{pad}before:  {id}");
            })
            .on_after(|id| {
                let pad = indent(scope_depth().saturating_sub(1));
                hook_println!("{pad}after:  {id}");
            })
            .on_destroy(|id| {
                let pad = indent(scope_depth());
                hook_println!("{pad}destroy:  {id}");
            }),
    );
    hook.enable();

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    // The "listen callback": runs in the server's scope, and starts a 10 ms timer.
    let timer = listener.resource().run_in_async_scope(|| {
        set_timeout(Duration::from_millis(10), || {
            hook_println!(">>> {}", execution_async_id());
        })
    });
    timer.await?;
    drop(listener);

    hook.disable();
    Ok(())
}

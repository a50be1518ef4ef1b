//! The `DBQuery` example of Node's `async_hooks` documentation ("Using `AsyncResource`"),
//! in Rust: an embedder makes its own resource type, runs its callbacks in the resource's
//! scope, and a hook prints the lifecycle in the form of Node's documentation.
//!
//! ```text
//! cargo run -p async-hooks --example embedder
//! ```
//!
//! The database is a stand-in: `Db::get` queues the reply, and `Db::run_until_idle` is the
//! event loop that delivers replies in order, the way a driver's I/O thread or Node's event
//! loop would. The second query is issued from inside the first one's callback, so its
//! `trigger` is the first query: the hook output shows the nesting.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_hooks::{create_hook, execution_async_id, hook_println, AsyncResource, FnHook};

/// The resource type of a query. Embedders prefix their types with their crate's name (S29).
const DB_QUERY: &str = "my-db.DBQuery";

/// A reply to a query: rows, or what went wrong.
type Reply = Result<Vec<String>, String>;

/// A pretend database client whose replies arrive later, from its event loop.
#[derive(Default)]
struct Db {
    pending: Mutex<VecDeque<Box<dyn FnOnce() + Send>>>,
}

impl Db {
    /// Sends `query`; `callback` gets the reply when the event loop delivers it.
    fn get(&self, query: &str, callback: impl FnOnce(Reply) + Send + 'static) {
        let reply = answer(query);
        self.pending
            .lock()
            .unwrap()
            .push_back(Box::new(move || callback(reply)));
    }

    /// The event loop: delivers replies, including those of queries sent by callbacks, until
    /// none is left.
    fn run_until_idle(&self) {
        loop {
            let next = self.pending.lock().unwrap().pop_front();
            match next {
                Some(deliver) => deliver(),
                None => break,
            }
        }
    }
}

/// The pretend database's contents.
fn answer(query: &str) -> Reply {
    match query {
        "SELECT name FROM users WHERE id = 1" => Ok(vec!["ada".into()]),
        "SELECT item FROM orders WHERE user = 'ada'" => {
            Ok(vec!["analytical engine".into(), "punched cards".into()])
        }
        other => Err(format!("no such table in {other:?}")),
    }
}

/// One query, as an async resource: created when it is issued, its callback runs in its
/// scope, and it is destroyed when closed.
///
/// Node's `class DBQuery extends AsyncResource` with `getInfo(query, callback)` and `close()`.
/// Here the query text is the resource's payload (S28), so it is given at creation, where
/// hooks can read it in `init`.
struct DBQuery {
    resource: AsyncResource,
    db: Arc<Db>,
}

impl DBQuery {
    /// Issues nothing yet: makes the resource (`init` fires now, S14) with the query text as
    /// its payload.
    fn new(db: &Arc<Db>, query: &str) -> Arc<DBQuery> {
        let resource = AsyncResource::builder(DB_QUERY)
            .payload(query.to_owned())
            .build()
            .expect("the type is not empty");
        Arc::new(DBQuery {
            resource,
            db: Arc::clone(db),
        })
    }

    fn query(&self) -> &str {
        self.resource.payload::<String>().map_or("", String::as_str)
    }

    /// Sends the query; `callback` runs in this query's scope when the reply arrives, so code
    /// in it (and the hooks) see this query as the current resource (S24).
    fn get_info(self: &Arc<Self>, callback: impl FnOnce(Reply) + Send + 'static) {
        let this = Arc::clone(self);
        self.db.get(self.query(), move |reply| {
            this.resource.run_in_async_scope(|| callback(reply));
        });
    }

    /// Ends the query: `destroy` fires now, exactly once (S17, S18).
    fn close(&self) {
        self.resource
            .emit_destroy()
            .expect("a query is closed once");
    }
}

/// The hook's indentation, as in Node's example: two spaces more inside each scope.
static INDENT: AtomicUsize = AtomicUsize::new(0);

fn indent() -> String {
    " ".repeat(INDENT.load(Ordering::Relaxed))
}

/// Prints a line of the application's own at the current indentation.
fn say(line: &str) {
    println!("{}{line}", indent());
}

fn main() {
    // The hook of Node's documentation, with `hook_println!` in place of `fs.writeSync`
    // (printing from a hook must not create resources, S21).
    let hook = create_hook(
        FnHook::new()
            .on_init(|id, ty, trigger, resource| {
                let eid = execution_async_id();
                hook_println!(
                    "{}{ty}({id}): trigger: {trigger} execution: {eid}",
                    indent()
                );
                if let Some(query) = resource.payload::<String>() {
                    hook_println!("{}  query: {query}", indent());
                }
            })
            .on_before(|id| {
                hook_println!("{}before:  {id}", indent());
                INDENT.fetch_add(2, Ordering::Relaxed);
            })
            .on_after(|id| {
                INDENT.fetch_sub(2, Ordering::Relaxed);
                hook_println!("{}after:  {id}", indent());
            })
            .on_destroy(|id| hook_println!("{}destroy:  {id}", indent())),
    );
    hook.enable();

    let db = Arc::new(Db::default());

    let users = DBQuery::new(&db, "SELECT name FROM users WHERE id = 1");
    let users_in_callback = Arc::clone(&users);
    let db_in_callback = Arc::clone(&db);
    users.get_info(move |reply| {
        say(&format!("users: {reply:?}"));
        // Issued from inside the first query's callback: its trigger is the first query.
        let orders = DBQuery::new(
            &db_in_callback,
            "SELECT item FROM orders WHERE user = 'ada'",
        );
        let orders_in_callback = Arc::clone(&orders);
        orders.get_info(move |reply| {
            say(&format!("orders: {reply:?}"));
            orders_in_callback.close();
        });
        users_in_callback.close();
    });
    drop(users);

    db.run_until_idle();
    hook.disable();
}

//! The main demo: a small HTTP service whose every request is a causality tree.
//!
//! ```sh
//! cargo run -p async-hooks-tokio --example http_demo
//! ```
//!
//! A hyper HTTP/1 server listens on 127.0.0.1 through this crate's `TcpListener`, and the demo
//! drives it with its own client, then exits. A middleware gives each request an id, sets it
//! once with `AsyncLocalStorage::run`, and makes the request a resource. The handler spawns
//! tasks that sleep and spawn tasks of their own; none of them is handed the request id, yet
//! each logs it. A hook records every resource's `init` (type, trigger, and the request id its
//! creator saw), and at the end the demo prints each request's causality tree: every resource
//! the request caused, found by following triggers.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_hooks::{
    create_hook, execution_async_id, trigger_async_id, AsyncId, AsyncLocalStorage, AsyncResource,
    FnHook,
};
use async_hooks_tokio::net::{TcpListener, TcpStream};
use async_hooks_tokio::{spawn, task, time};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// The request id, set once by the middleware, read anywhere the request reaches.
static REQUEST_ID: AsyncLocalStorage<String> = AsyncLocalStorage::new();

/// The resource type of a request (an embedder's type: prefixed with the program's name).
const REQUEST: &str = "http_demo.Request";

/// What the hook remembers of one resource.
struct Node {
    resource_type: String,
    trigger: AsyncId,
    detail: String,
}

type Resources = Arc<Mutex<BTreeMap<AsyncId, Node>>>;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let resources: Resources = Arc::default();
    let seen = resources.clone();
    let hook = create_hook(FnHook::new().on_init(move |id, ty, trigger, resource| {
        let detail = if let Some(path) = resource.payload::<String>() {
            path.clone()
        } else if let Some(task) = resource.payload::<async_hooks_tokio::TaskInfo>() {
            task.name().unwrap_or_default().to_owned()
        } else if let Some(d) = resource.payload::<Duration>() {
            format!("{d:?}")
        } else {
            String::new()
        };
        let node = Node {
            resource_type: ty.to_owned(),
            trigger,
            detail,
        };
        if let Ok(mut map) = seen.lock() {
            map.insert(id, node);
        }
    }));
    hook.enable();

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}");
    let server = spawn(async move {
        loop {
            let Ok((stream, _peer)) = listener.accept().await else {
                continue;
            };
            // Each connection is served in its `TCPWRAP` scope, by a task of its own.
            spawn(stream.serve(|stream| async move {
                let io = TokioIo::new(stream);
                let service = service_fn(with_request_id);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            }));
        }
    });

    // The client: three requests, two of them at once.
    let (a, b) = tokio::join!(get(addr, "/orders/7"), get(addr, "/users/ada"));
    println!("client got: {:?}", a?);
    println!("client got: {:?}", b?);
    println!("client got: {:?}", get(addr, "/orders/8").await?);
    server.abort();
    let _ = server.await;
    hook.disable();

    let resources = resources.lock().map_err(|_| "a hook panicked")?;
    print_trees(&resources);
    Ok(())
}

/// The middleware: a request id, set once, and a resource for the request.
async fn with_request_id(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let request_id = format!("req-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let path = format!("{} {}", req.method(), req.uri().path());
    // The resource is created inside `run`, so it captures the id; the handler runs in its
    // scope on every poll, and everything the handler creates has it as trigger.
    let request = REQUEST_ID.run(request_id, || {
        AsyncResource::builder(REQUEST)
            .payload(path)
            .build()
            .expect("REQUEST is not empty")
    });
    request.wrap_future(handler(req)).await
}

/// The handler: never handed the request id, and spawns work that is not either.
async fn handler(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    log("handler starts");
    let path = req.uri().path().to_owned();
    let user = task::Builder::new().name("load-user").spawn(async {
        time::sleep(Duration::from_millis(5)).await;
        log("user loaded");
        "ada"
    });
    let audit = task::Builder::new().name("audit").spawn(async {
        // A grandchild: the request id reaches it too.
        spawn(async { log("audit written") }).await.ok();
    });
    let user = user.await.unwrap_or("?");
    audit.await.ok();
    log("handler responds");
    let body = format!("{path} for {user}\n");
    Ok(Response::new(Full::new(Bytes::from(body))))
}

/// Logs with the request id and the ids of the resource the line runs in.
fn log(what: &str) {
    let request = REQUEST_ID.get().unwrap_or_else(|| "-".into());
    println!(
        "[{request}] {what:<17} (execution {}, trigger {})",
        execution_async_id(),
        trigger_async_id()
    );
}

/// A minimal HTTP/1 client on this crate's `TcpStream`.
async fn get(
    addr: SocketAddr,
    path: &str,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let driver = spawn(conn);
    let req = Request::get(path)
        .header("host", addr.to_string())
        .body(Empty::<Bytes>::new())?;
    let res = sender.send_request(req).await?;
    let body = res.into_body().collect().await?.to_bytes();
    drop(sender);
    let _ = driver.await;
    Ok(String::from_utf8_lossy(&body).trim().to_owned())
}

/// Prints, for each request, the tree of resources it caused.
fn print_trees(resources: &BTreeMap<AsyncId, Node>) {
    let mut children: BTreeMap<AsyncId, Vec<AsyncId>> = BTreeMap::new();
    for (id, node) in resources {
        children.entry(node.trigger).or_default().push(*id);
    }
    println!("\ncausality trees, one per request: resource(id) detail");
    for (id, node) in resources {
        if node.resource_type == REQUEST {
            println!("\ncaused by: {}", ancestors(resources, node.trigger));
            print_subtree(resources, &children, *id, "", true, true);
        }
    }
    println!(
        "\n{} resources in all; each request's tree holds what it caused, whichever thread ran it.",
        resources.len()
    );
}

/// `TASK(12) <- TCPWRAP(10) <- TCPSERVERWRAP(3) <- root(1)`: the chain of triggers.
fn ancestors(resources: &BTreeMap<AsyncId, Node>, mut id: AsyncId) -> String {
    let mut chain = Vec::new();
    while let Some(node) = resources.get(&id) {
        chain.push(format!("{}({id})", node.resource_type));
        id = node.trigger;
    }
    chain.push(format!("root({id})"));
    chain.join(" <- ")
}

fn print_subtree(
    resources: &BTreeMap<AsyncId, Node>,
    children: &BTreeMap<AsyncId, Vec<AsyncId>>,
    id: AsyncId,
    prefix: &str,
    last: bool,
    root: bool,
) {
    let Some(node) = resources.get(&id) else {
        return;
    };
    let branch = if root {
        ""
    } else if last {
        "└─ "
    } else {
        "├─ "
    };
    let line = format!(
        "{prefix}{branch}{}({id}) {}",
        node.resource_type, node.detail
    );
    println!("{}", line.trim_end());
    let deeper = if root {
        String::new()
    } else if last {
        format!("{prefix}   ")
    } else {
        format!("{prefix}│  ")
    };
    let kids = children.get(&id).map(Vec::as_slice).unwrap_or(&[]);
    for (i, kid) in kids.iter().enumerate() {
        print_subtree(
            resources,
            children,
            *kid,
            &deeper,
            i + 1 == kids.len(),
            false,
        );
    }
}

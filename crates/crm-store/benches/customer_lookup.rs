//! Caller identification at scale: loads a directory of a million customers (batched
//! imports) into SQLite, and into PostgreSQL when `CENTRALINO_TEST_POSTGRES_URL` names a
//! server, then times look-ups by caller number the way the IVR makes them: one call of
//! `customers_by_number` per lookup, numbers written in the forms trunks deliver them.
//!
//! ```sh
//! cargo bench -p crm-store --bench customer_lookup
//! CENTRALINO_BENCH_CUSTOMERS=100000 cargo bench -p crm-store --bench customer_lookup
//! ```
//!
//! Prints the load time and the latency percentiles of 10,000 random look-ups per backend,
//! then runs criterion on a single hit for each backend. Under `cargo test --benches` (no
//! `--bench` argument) it loads 2,000 customers and makes 200 look-ups, to prove it runs.
//! These are measurements, not assertions: see `benches/README-customers.md` for figures.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::phone::NumberingPlan;
use criterion::Criterion;
use crm_store::{
    CustomerDraft, CustomerEmail, CustomerStore, MAX_IMPORT_BATCH, Party, PgStore, PhoneDraft,
    PinChange, SqliteStore,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::Connection;

const GIVEN: [&str; 12] = [
    "Mario",
    "Giulia",
    "Luca",
    "Francesca",
    "Marco",
    "Chiara",
    "Giuseppe",
    "Sara",
    "Nicolò",
    "Anna",
    "Paolo",
    "Elena",
];
const FAMILY: [&str; 12] = [
    "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino",
    "Greco", "Bruno", "Gallo",
];
/// Shared numbers (switchboards): every 97th customer has one of these as a second number.
const SWITCHBOARDS: usize = 100;

/// Customer `i`'s mobile number, unique per customer: `3NN` then `i` in seven digits.
fn mobile(i: usize) -> String {
    format!("3{:02}{:07}", 20 + i % 80, i)
}

fn switchboard(n: usize) -> String {
    format!("055 27680{n:02}")
}

fn draft(i: usize) -> CustomerDraft {
    let given = GIVEN[i % GIVEN.len()];
    let family = FAMILY[(i / GIVEN.len()) % FAMILY.len()];
    let mut phones = vec![PhoneDraft {
        label: "mobile".into(),
        number: mobile(i).into(),
    }];
    if i.is_multiple_of(2) {
        phones.push(PhoneDraft {
            label: "home".into(),
            number: format!("055 {:07}", (i * 7919) % 10_000_000).into(),
        });
    }
    if i.is_multiple_of(97) {
        phones.push(PhoneDraft {
            label: "switchboard".into(),
            number: switchboard(i / 97 % SWITCHBOARDS).into(),
        });
    }
    let emails = if i.is_multiple_of(3) {
        vec![CustomerEmail {
            label: "personal".into(),
            address: format!(
                "{}.{}.{i}@example.it",
                given.to_lowercase(),
                family.to_lowercase()
            )
            .into(),
        }]
    } else {
        Vec::new()
    };
    let (party, display_name) = if i % 10 == 9 {
        (
            Party::Organisation { vat_number: None },
            format!("{family} {i} S.r.l."),
        )
    } else {
        (
            Party::Person {
                given_name: Some(given.to_string().into()),
                family_name: Some(family.to_string().into()),
                tax_code: None,
            },
            format!("{given} {family} {i}"),
        )
    };
    CustomerDraft {
        party,
        display_name: display_name.into(),
        phones,
        emails,
        guest: i.is_multiple_of(50),
        // Hashing a PIN costs tens of milliseconds by design: a million would take hours.
        pin: PinChange::Keep,
    }
}

/// A caller number in one of the forms trunks and phones deliver.
fn as_caller(national: &str, form: usize) -> String {
    let digits: String = national.chars().filter(char::is_ascii_digit).collect();
    match form % 5 {
        0 => digits,
        1 => format!("+39{digits}"),
        2 => format!("0039{digits}"),
        3 => format!("tel:+39-{}-{}", &digits[..3], &digits[3..]),
        _ => format!("{} {}", &digits[..3], &digits[3..]),
    }
}

struct Figures {
    load: Duration,
    samples: Vec<Duration>,
    found: usize,
    shared_samples: Vec<Duration>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn print(backend: &str, customers: usize, figures: &mut Figures) {
    figures.samples.sort();
    figures.shared_samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{backend}: loaded {customers} customers in {:.1} s ({:.0} customers/s)",
        figures.load.as_secs_f64(),
        customers as f64 / figures.load.as_secs_f64()
    );
    let s = &figures.samples;
    println!(
        "{backend}: {} look-ups by caller number ({} found someone): \
         p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        s.len(),
        figures.found,
        ms(percentile(s, 0.50)),
        ms(percentile(s, 0.90)),
        ms(percentile(s, 0.99)),
        ms(percentile(s, 1.0)),
    );
    let s = &figures.shared_samples;
    println!(
        "{backend}: {} look-ups of shared switchboard numbers (first 10 of ~{} customers each): \
         p50 {:.3} ms, p99 {:.3} ms",
        s.len(),
        customers / 97 / SWITCHBOARDS + 1,
        ms(percentile(s, 0.50)),
        ms(percentile(s, 0.99)),
    );
}

async fn load<S: CustomerStore>(store: &S, customers: usize, plan: &NumberingPlan) -> Duration {
    let started = Instant::now();
    let mut next = 0;
    while next < customers {
        let end = (next + MAX_IMPORT_BATCH).min(customers);
        let batch: Vec<CustomerDraft> = (next..end).map(draft).collect();
        store
            .import_customers(batch, plan)
            .await
            .expect("import a batch of generated customers");
        next = end;
        if next.is_multiple_of(100_000) {
            eprintln!(
                "  ... {next} customers in {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    started.elapsed()
}

async fn measure<S: CustomerStore>(
    store: &S,
    customers: usize,
    lookups: usize,
    plan: &NumberingPlan,
) -> (Vec<Duration>, usize, Vec<Duration>) {
    let mut rng = StdRng::seed_from_u64(20_260_302);
    let mut samples = Vec::with_capacity(lookups);
    let mut found = 0;
    for n in 0..lookups {
        // Nine in ten callers are known; the rest call from Rome (06), where nobody lives.
        let number = if n % 10 == 9 {
            format!("06 {:07}", rng.random_range(0..10_000_000))
        } else {
            mobile(rng.random_range(0..customers))
        };
        let caller = as_caller(&number, n);
        let started = Instant::now();
        let matches = store
            .customers_by_number(&caller, plan, 10)
            .await
            .expect("look-up");
        samples.push(started.elapsed());
        found += usize::from(!matches.customers.is_empty());
    }
    let mut shared = Vec::new();
    for n in 0..(lookups / 10).max(1) {
        let caller = as_caller(&switchboard(n % SWITCHBOARDS), n);
        let started = Instant::now();
        store
            .customers_by_number(&caller, plan, 10)
            .await
            .expect("look-up");
        shared.push(started.elapsed());
    }
    (samples, found, shared)
}

async fn run<S: CustomerStore>(store: &S, customers: usize, lookups: usize) -> Figures {
    let plan = NumberingPlan::italy();
    let load = load(store, customers, &plan).await;
    let (samples, found, shared_samples) = measure(store, customers, lookups, &plan).await;
    Figures {
        load,
        samples,
        found,
        shared_samples,
    }
}

fn criterion_hit<S: CustomerStore>(
    c: &mut Criterion,
    runtime: &tokio::runtime::Runtime,
    name: &str,
    store: &S,
    customers: usize,
) {
    let plan = NumberingPlan::italy();
    let caller = as_caller(&mobile(customers / 2), 1);
    c.bench_function(name, |b| {
        b.iter(|| {
            runtime
                .block_on(store.customers_by_number(&caller, &plan, 10))
                .expect("look-up")
        })
    });
}

/// Drops the bench database. Without `FORCE`, and retried: after a million inserts an
/// autovacuum worker may still be connected, and ending it needs a privilege the test role
/// lacks. A database that cannot be dropped is reported, not a failure of the bench.
async fn drop_database(url: &str, name: &str) {
    for _ in 0..30 {
        let Ok(mut admin) = sqlx::PgConnection::connect(url).await else {
            break;
        };
        let dropped = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\""
        )))
        .execute(&mut admin)
        .await;
        admin.close().await.ok();
        if dropped.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    eprintln!("postgres: could not drop the bench database {name}: drop it by hand");
}

fn main() {
    let measuring = std::env::args().any(|arg| arg == "--bench");
    let customers = std::env::var("CENTRALINO_BENCH_CUSTOMERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if measuring { 1_000_000 } else { 2_000 });
    let lookups = if measuring { 10_000 } else { 200 };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let clock = Arc::new(common::SystemClock);
    let mut criterion = Criterion::default()
        .sample_size(50)
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();

    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("customers.db");
    let sqlite = runtime
        .block_on(SqliteStore::open(&path, clock.clone()))
        .expect("open sqlite");
    let mut figures = runtime.block_on(run(&sqlite, customers, lookups));
    print("sqlite", customers, &mut figures);
    let size = ["", "-wal"]
        .iter()
        .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", path.display())).ok())
        .map(|m| m.len())
        .sum::<u64>();
    println!(
        "sqlite: database file {:.0} MiB",
        size as f64 / (1024.0 * 1024.0)
    );
    criterion_hit(
        &mut criterion,
        &runtime,
        "customers_by_number/sqlite",
        &sqlite,
        customers,
    );
    runtime.block_on(sqlite.close());

    match std::env::var("CENTRALINO_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => {
            let name = format!("centralino_bench_customers_{}", std::process::id());
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&url).await.expect("connect");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&mut admin)
                    .await
                    .expect("create the bench database");
            });
            let options = sqlx::postgres::PgConnectOptions::from_str(&url)
                .expect("a postgres URL")
                .database(&name);
            let pg = runtime
                .block_on(PgStore::connect_with(options.clone(), clock))
                .expect("open postgres");
            let mut figures = runtime.block_on(async {
                let plan = NumberingPlan::italy();
                let load = load(&pg, customers, &plan).await;
                // What autovacuum would do soon after a bulk load: measure the steady state,
                // not a planner without statistics racing an autovacuum worker.
                let mut connection = sqlx::PgConnection::connect_with(&options)
                    .await
                    .expect("connect");
                sqlx::query("VACUUM (ANALYZE) customers, customer_phones, customer_emails")
                    .execute(&mut connection)
                    .await
                    .expect("vacuum analyze");
                connection.close().await.ok();
                let (samples, found, shared_samples) =
                    measure(&pg, customers, lookups, &plan).await;
                Figures {
                    load,
                    samples,
                    found,
                    shared_samples,
                }
            });
            print("postgres", customers, &mut figures);
            criterion_hit(
                &mut criterion,
                &runtime,
                "customers_by_number/postgres",
                &pg,
                customers,
            );
            runtime.block_on(async {
                pg.close().await;
                drop_database(&url, &name).await;
            });
        }
        _ => println!("postgres: skipped (CENTRALINO_TEST_POSTGRES_URL is not set)"),
    }
    criterion.final_summary();
}

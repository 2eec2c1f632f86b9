//! Stores the server cannot use are refused at start, with an error that names the setting, and
//! the server never starts listening: a NATS URL that never answers, wrong NATS credentials,
//! streams created earlier with other settings, and data written by a newer server.

mod common;

use common::{fails_to_start, Nats, Server};
use std::path::{Path, PathBuf};

fn write_config(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("server.toml");
    std::fs::write(
        &path,
        format!(
            "insecure_dev_players = true\ndata_dir = {:?}\nsecret_file = {:?}\n{body}",
            dir.join("data"),
            common::secret(dir)
        ),
    )
    .unwrap();
    path
}

fn nats_section(url: &str, extra: &str) -> String {
    format!("[nats]\nurl = {url:?}\nprefix = \"startup\"\nconnect_timeout_ms = 1000\n{extra}")
}

#[test]
fn a_nats_url_that_never_answers() {
    // Accepts connections and says nothing, as a wrong port behind a firewall might.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("nats://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let stderr = fails_to_start(&write_config(dir.path(), &nats_section(&url, "")), &[]);
    assert!(stderr.contains("nats.url") && stderr.contains("no answer within 1000 ms"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "gave up after {:?}", started.elapsed());
}

#[test]
fn wrong_nats_credentials_and_right_ones() {
    let nats = Nats::start_with(&["--user", "xmarks", "--pass", "right"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("password"), "wrong\n").unwrap();
    let credentials = format!("user = \"xmarks\"\npassword_file = {:?}\n", dir.path().join("password"));
    let config = write_config(dir.path(), &nats_section(&nats.url, &credentials));
    let stderr = fails_to_start(&config, &[]);
    assert!(stderr.contains("refused the credentials") && stderr.contains("nats.user"), "{stderr}");
    assert!(fails_to_start(&write_config(dir.path(), &nats_section(&nats.url, "")), &[]).contains("credentials"));

    std::fs::write(dir.path().join("password"), "right\n").unwrap();
    let _server =
        Server::start_with(&write_config(dir.path(), &nats_section(&nats.url, &credentials)), dir.path(), &[]);
    // In the URL, as NATS tools accept them; never written back in an error.
    let wrong = nats.url.replacen("nats://", "nats://xmarks:hunter2@", 1);
    let stderr = fails_to_start(&write_config(dir.path(), &nats_section(&wrong, "")), &[]);
    assert!(stderr.contains("refused the credentials") && !stderr.contains("hunter2"), "{stderr}");
    let right = nats.url.replacen("nats://", "nats://xmarks:right@", 1);
    let _server = Server::start_with(&write_config(dir.path(), &nats_section(&right, "")), dir.path(), &[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn streams_created_with_other_settings_or_by_a_newer_server() {
    let nats = Nats::start();
    let dir = tempfile::tempdir().unwrap();
    let mut first = Server::start_with(&write_config(dir.path(), &nats_section(&nats.url, "")), dir.path(), &[]);
    first.kill();

    let stderr = fails_to_start(&write_config(dir.path(), &nats_section(&nats.url, "partitions = 8\n")), &[]);
    assert!(
        stderr.contains("STARTUP_SESSIONS_0 exists with subjects") && stderr.contains("nats.partitions"),
        "{stderr}"
    );
    let stderr = fails_to_start(&write_config(dir.path(), &nats_section(&nats.url, "replicas = 3\n")), &[]);
    assert!(stderr.contains("exists with 1 replicas, but nats.replicas is 3"), "{stderr}");

    // A newer server recorded its format.
    let client = async_nats::connect(nats.url.as_str()).await.unwrap();
    let caps = async_nats::jetstream::new(client).get_key_value("startup_caps").await.unwrap();
    caps.put("format", "4".into()).await.unwrap();
    let stderr = fails_to_start(&write_config(dir.path(), &nats_section(&nats.url, "")), &[]);
    assert!(stderr.contains("store format 4, written by a newer xmarks-server"), "{stderr}");
}

#[test]
fn a_data_directory_from_a_newer_server() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let db = rusqlite::Connection::open(dir.path().join("data/sessions.db")).unwrap();
    db.pragma_update(None, "user_version", 4).unwrap();
    drop(db);
    let stderr = fails_to_start(&write_config(dir.path(), ""), &[]);
    assert!(
        stderr.contains("store format 4, written by a newer xmarks-server") && stderr.contains("data_dir"),
        "{stderr}"
    );

    // One from before formats were recorded opens, and is recorded as the current format.
    let old = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(old.path().join("data")).unwrap();
    let db = rusqlite::Connection::open(old.path().join("data/sessions.db")).unwrap();
    db.execute_batch("CREATE TABLE sessions (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, header TEXT NOT NULL);")
        .unwrap();
    drop(db);
    let server =
        Server::start(old.path(), &format!("insecure_dev_players = true\ndata_dir = {:?}\n", old.path().join("data")));
    drop(server);
    let db = rusqlite::Connection::open(old.path().join("data/sessions.db")).unwrap();
    assert_eq!(db.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)).unwrap(), 3);
}

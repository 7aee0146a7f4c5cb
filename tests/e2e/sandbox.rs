//! The sandbox holds against purpose-built hostile connectors: each breach is a
//! clear error naming the connector and the limit, leaves an audit entry with
//! that error's code, and the next query works.

use crate::common::{Answer, platform, query};
use lgsp_host::runtime::{ConnectorSource, Runtime, RuntimeSettings};
use std::time::{Duration, Instant};

/// The breach is in the audit log, under its code.
async fn assert_audited(answer: &Answer, code: &str) {
    answer.assert_audited("hostile", code).await;
}

/// After any breach, both connectors still answer normally.
async fn assert_still_healthy() {
    let a = query("SELECT n FROM hostile.ok ORDER BY n").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows().len(), 3);
    let id = &platform().world.citizens()[5].so_dinh_danh;
    let a = query(&format!(
        "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '{id}'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows().len(), 1);
}

#[tokio::test]
async fn an_endless_loop_is_stopped_at_the_deadline() {
    let started = Instant::now();
    let a = query("SELECT n FROM hostile.spin").await;
    assert_eq!(a.status, 504, "{}", a.body);
    assert_eq!(a.code(), "connector_timeout");
    assert_eq!(
        a.message(),
        "connector hostile did not finish within its 1000 ms deadline"
    );
    assert_audited(&a, "connector_timeout").await;
    // Stopped by the 1 s call deadline, long before the 30 s query limit.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    assert_still_healthy().await;
}

#[tokio::test]
async fn memory_growth_past_the_limit_is_stopped() {
    let a = query("SELECT n FROM hostile.memory").await;
    assert_eq!(a.status, 502, "{}", a.body);
    assert_eq!(a.code(), "connector_memory_limit");
    assert_eq!(
        a.message(),
        "connector hostile exceeded its memory limit of 32 MiB"
    );
    assert_audited(&a, "connector_memory_limit").await;
    assert_still_healthy().await;
}

#[tokio::test]
async fn unbounded_recursion_is_stopped() {
    let a = query("SELECT n FROM hostile.recursion").await;
    assert_eq!(a.status, 502, "{}", a.body);
    assert_eq!(a.code(), "connector_stack_overflow");
    assert_audited(&a, "connector_stack_overflow").await;
    assert_still_healthy().await;
}

#[tokio::test]
async fn a_panic_is_a_clear_error_that_keeps_its_message_in_the_log() {
    let a = query("SELECT n FROM hostile.panic").await;
    assert_eq!(a.status, 502, "{}", a.body);
    assert_eq!(a.code(), "connector_crashed");
    assert_eq!(a.message(), "connector hostile crashed (panic)");
    assert_audited(&a, "connector_crashed").await;
    assert_still_healthy().await;
}

#[tokio::test]
async fn http_to_a_host_not_on_the_allowlist_is_refused() {
    let upstream = platform().upstream.addr();
    let a = query("SELECT n FROM hostile.forbidden_http").await;
    assert_eq!(a.status, 502, "{}", a.body);
    assert_eq!(a.code(), "connector_network_denied");
    assert_eq!(
        a.message(),
        format!(
            "connector hostile tried to reach {upstream}: it is not among the connector's allowed upstream hosts"
        )
    );
    assert!(
        a.upstream_calls().is_empty(),
        "the refused request reached the upstream"
    );
    assert_audited(&a, "connector_network_denied").await;
    assert_still_healthy().await;
}

#[tokio::test]
async fn an_allowed_name_that_resolves_to_loopback_is_refused() {
    let a = query("SELECT n FROM hostile.private_name_http").await;
    assert_eq!(a.status, 502, "{}", a.body);
    assert_eq!(a.code(), "connector_network_denied");
    assert!(
        a.message()
            .contains("loopback, private or reserved address"),
        "{}",
        a.message()
    );
    assert!(a.upstream_calls().is_empty());
    assert_audited(&a, "connector_network_denied").await;
    assert_still_healthy().await;
}

#[tokio::test]
async fn output_past_the_cap_is_stopped() {
    let a = query("SELECT n, payload FROM hostile.big_output").await;
    // The first batches had gone out before the cap was reached.
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["error"]["code"], "connector_output_limit");
    assert_eq!(
        a.body["error"]["message"],
        "connector hostile returned more than its output cap of 4 MiB"
    );
    let rows = a.body["row_count"].as_u64().expect("row_count");
    assert!(
        rows > 0 && rows <= 4 * 1024,
        "{rows} rows passed the 4 MiB cap"
    );
    // Cut off after the status line went out: the entry still says why.
    assert_audited(&a, "connector_output_limit").await;
    // Aggregating over it fails before any row is sent: a proper status.
    let a = query("SELECT COUNT(*) FROM hostile.big_output").await;
    assert_eq!(a.status, 502, "{}", a.body);
    assert_eq!(a.code(), "connector_output_limit");
    assert_audited(&a, "connector_output_limit").await;
    assert_still_healthy().await;
}

#[tokio::test]
async fn a_redirect_elsewhere_is_not_followed_and_following_it_is_refused() {
    let land = &platform().upstreams.dat_dai;
    let population = platform().upstream.addr();
    // The allowed land system answers with a redirect to the population
    // system, which is not on the hostile connector's allowlist.
    land.sim().inject(lgsp_sample_upstream::Fault {
        count: 1,
        redirect_to: Some(format!("http://{population}/api/v1/cong-dan")),
        uri_contains: Some("probe=redirect".into()),
        ..lgsp_sample_upstream::Fault::default()
    });
    let a = query("SELECT n FROM hostile.redirect_http").await;
    assert_eq!(a.status, 502, "{}", a.body);
    assert_eq!(a.code(), "connector_network_denied");
    assert_eq!(
        a.message(),
        format!(
            "connector hostile tried to reach {population}: it is not among the connector's allowed upstream hosts"
        )
    );
    // The redirect was answered; the platform did not follow it, and the
    // connector's own attempt never left.
    assert_eq!(a.calls_to(lgsp_sample_upstream::Source::DatDai).len(), 1);
    assert!(a.upstream_calls().is_empty(), "the redirect was followed");
    assert_audited(&a, "connector_network_denied").await;
    assert_still_healthy().await;
}

#[tokio::test]
async fn an_upstream_answering_gigabytes_is_cut_off_at_the_response_cap() {
    let land = &platform().upstreams.dat_dai;
    let before = land.sim().bytes_streamed();
    land.sim().inject(lgsp_sample_upstream::Fault {
        count: 1,
        stream_bytes: Some(4 << 30),
        uri_contains: Some("probe=huge".into()),
        ..lgsp_sample_upstream::Fault::default()
    });
    let a = query("SELECT n FROM hostile.huge_http").await;
    assert_eq!(a.status, 502, "{}", a.body);
    assert_eq!(a.code(), "upstream_response_too_large");
    assert_eq!(
        a.message(),
        format!(
            "the upstream {} of connector hostile answered more than the response cap of 1 MiB; the platform stopped reading there",
            land.addr()
        )
    );
    // Of the 4 GiB offered, little more than the cap (plus what socket
    // buffers held) was ever produced.
    let sent = land.sim().bytes_streamed().saturating_sub(before);
    assert!(
        (1 << 20) < sent && sent < (64 << 20),
        "{sent} bytes left the upstream"
    );
    assert_audited(&a, "upstream_response_too_large").await;
    assert_still_healthy().await;
}

#[tokio::test]
async fn a_connector_that_ignores_a_cut_off_answer_cannot_pass_it_on_as_complete() {
    let land = &platform().upstreams.dat_dai;
    land.sim().inject(lgsp_sample_upstream::Fault {
        count: 1,
        stream_bytes: Some(4 << 30),
        uri_contains: Some("probe=swallowed-huge".into()),
        ..lgsp_sample_upstream::Fault::default()
    });
    // The connector answers three rows as if all were well.
    let a = query("SELECT n FROM hostile.huge_swallow_http").await;
    assert_eq!(a.status, 502, "{}", a.body);
    assert_eq!(a.code(), "upstream_response_too_large");
    assert_audited(&a, "upstream_response_too_large").await;
    assert_still_healthy().await;
}

#[tokio::test]
async fn thousands_of_tiny_batches_stream_through() {
    let a = query("SELECT COUNT(*) AS n FROM hostile.tiny_batches").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows()[0]["n"], 5000);
}

#[tokio::test]
async fn every_request_gets_a_fresh_instance() {
    for _ in 0..3 {
        let a = query("SELECT n FROM hostile.counter").await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(
            a.rows()[0]["n"],
            1,
            "state survived from an earlier request"
        );
    }
}

#[tokio::test]
async fn a_spinning_connector_does_not_stop_other_queries() {
    let spinners: Vec<_> = (0..4)
        .map(|_| tokio::spawn(async { query("SELECT n FROM hostile.spin").await }))
        .collect();
    let world = &platform().world;
    for i in 0..20 {
        let id = &world.citizens()[2000 + i].so_dinh_danh;
        let a = query(&format!(
            "SELECT ho_ten FROM dan_cu.cong_dan WHERE so_dinh_danh = '{id}'"
        ))
        .await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(
            a.rows()[0]["ho_ten"],
            world.citizens()[2000 + i].ho_ten.as_str()
        );
    }
    for s in spinners {
        assert_eq!(s.await.expect("task").code(), "connector_timeout");
    }
}

#[tokio::test]
async fn a_connector_that_loops_in_describe_fails_to_load_with_the_reason() {
    let runtime = Runtime::new(RuntimeSettings {
        engine: lgsp_host::runtime::EngineSettings {
            max_instances: 4,
            ..Default::default()
        },
        cache_dir: Some(lgsp_tests::data_dir().join("compiled")),
        ..Default::default()
    })
    .expect("runtime");
    let mut source: ConnectorSource = lgsp_tests::hostile_source(&platform().upstream);
    source
        .manifest
        .config
        .insert("mode".into(), "spin-describe".into());
    let started = Instant::now();
    let e = runtime.load(&source).await.expect_err("must not load");
    assert_eq!(
        e.to_string(),
        "cannot load connector hostile: describe() failed: connector hostile did not finish within its 1000 ms deadline"
    );
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test]
async fn compiled_components_are_cached_on_disk() {
    let _ = platform();
    let dir = lgsp_tests::data_dir().join("compiled");
    let cached: Vec<_> = std::fs::read_dir(&dir)
        .expect("cache directory exists after start-up")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
        .collect();
    assert!(
        cached.len() >= 2,
        "expected the two components in {}",
        dir.display()
    );
}

async fn probe(table: &str) -> String {
    let a = query(&format!("SELECT payload FROM hostile.{table}")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.rows()[0]["payload"].as_str().unwrap_or("").to_owned()
}

#[tokio::test]
async fn a_connector_sees_no_files_no_environment_and_no_sockets() {
    let fs = probe("probe_fs").await;
    assert!(fs.starts_with("error:"), "file read was allowed: {fs}");
    assert_eq!(probe("probe_env").await, "0 variables, 0 arguments");
    let socket = probe("probe_socket").await;
    assert!(
        socket.starts_with("error:"),
        "a socket was opened: {socket}"
    );
}

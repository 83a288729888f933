#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;

use chrono::{TimeZone, Utc};
use mcp_survey_ghsim::{serve, Corpus, SimConfig, SimHandle, SimRepo};

pub const TOKEN: &str = "ghp_testtoken000000000000000000000000";

pub async fn start(corpus: Corpus, config: SimConfig) -> SimHandle {
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    serve(corpus, config, addr).await.expect("simulator starts")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent("mcp-survey-ghsim-tests")
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub async fn get(c: &reqwest::Client, url: &str) -> reqwest::Response {
    c.get(url)
        .header("authorization", format!("token {TOKEN}"))
        .send()
        .await
        .expect("request")
}

pub async fn get_json(
    c: &reqwest::Client,
    url: &str,
) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
    let r = get(c, url).await;
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.json().await.unwrap_or(serde_json::Value::Null);
    (status, headers, body)
}

pub fn header<'a>(h: &'a reqwest::header::HeaderMap, k: &str) -> &'a str {
    h.get(k).and_then(|v| v.to_str().ok()).unwrap_or("")
}

pub fn files(list: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
    list.iter()
        .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
        .collect()
}

/// A repository with fixed metadata for exact assertions.
pub fn repo(
    full: &str,
    description: &str,
    created: &str,
    stars: i64,
    fl: &[(&str, &str)],
) -> SimRepo {
    let mut r = SimRepo::new(full, files(fl));
    r.meta.description = Some(description.to_string());
    r.meta.created_at = created.parse().expect("created_at");
    r.meta.pushed_at = Some(r.meta.created_at + chrono::Duration::days(1));
    r.meta.stargazers_count = stars;
    r
}

pub fn day(y: i32, m: u32, d: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
        .single()
        .expect("date")
}

//! The admin lists' query strings, page ranges and links.

use serde::Deserialize;

/// Users or events per page.
pub const PAGE_SIZE: i64 = 25;

/// `?q=&offset=` of the users page, `?user_id=&kind=&offset=` of the log,
/// `?done=` of a user's page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// The users search.
    pub q: String,
    /// The log's user filter.
    pub user_id: String,
    /// The log's kind filter.
    pub kind: String,
    /// Where the page starts, as typed.
    pub offset: String,
    /// What the last action did.
    pub done: String,
}

impl ListQuery {
    /// Reads a page's query string; one that cannot be read asks for nothing.
    pub fn read(raw: Option<&str>) -> Self {
        raw.and_then(|raw| serde_urlencoded::from_str(raw).ok())
            .unwrap_or_default()
    }

    /// Where the page starts (0 for anything that is not a count).
    pub fn offset(&self) -> i64 {
        self.offset.trim().parse::<i64>().unwrap_or(0).max(0)
    }
}

/// A page of a list: "Users 1–25 of 40" and the neighbouring pages' links.
#[derive(Debug)]
pub struct Paging {
    /// "Users 1–25 of 40".
    pub range: String,
    /// The previous page's link.
    pub previous: Option<String>,
    /// The next page's link.
    pub next: Option<String>,
}

impl Paging {
    /// The page of `shown` items at `offset` out of `total`; `link` makes a
    /// page's URL from its offset.
    pub fn new(
        noun: &str,
        offset: i64,
        shown: usize,
        total: i64,
        link: impl Fn(i64) -> String,
    ) -> Self {
        let shown = i64::try_from(shown).unwrap_or(i64::MAX);
        let range = if shown == 0 {
            format!("No {noun} on this page ({total} in all).")
        } else {
            format!("{noun} {}–{} of {total}", offset + 1, offset + shown)
        };
        Paging {
            range,
            previous: (offset > 0).then(|| link((offset - PAGE_SIZE).max(0))),
            next: (offset + shown < total).then(|| link(offset + PAGE_SIZE)),
        }
    }
}

/// `path` with the non-empty `pairs` as its query.
pub fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, value)| !value.is_empty()))
        .finish();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// Where a user's page is.
pub fn person_path(id: &str) -> String {
    format!(
        "/admin/people/{}",
        form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
    )
}

//! Queues, categories, and how training labels map to them.
//!
//! A model learns the labels of its training file (Bitext's `intent`, the
//! demo inbox's categories, a team's own labels). Each label maps to a
//! [`Queue`] and a [`Category`]:
//!
//! - a category name (`damaged goods`) → that category in its default queue
//!   ([`Category::default_queue`]);
//! - `queue:category` (`purchasing:order status`) → exactly that;
//! - a queue name (`accounting`) → that queue, category `other`;
//! - a Bitext intent (`cancel_order`, `track_order`, ...) → [`bitext`];
//! - an explicit mapping given at training time (a CSV of `label,queue,category`);
//! - anything else → `other` / `other`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Result, TriageError};

/// Where a message is routed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    /// Inside sales: quotes, orders, changes, product questions.
    Sales,
    /// Customer service: order status, delivery problems, returns, damage.
    Helpdesk,
    /// Purchasing: messages from suppliers.
    Purchasing,
    /// Accounting: invoices and payments.
    Accounting,
    /// Newsletters, auto-replies, anything else.
    Other,
}

impl Queue {
    /// Every queue.
    pub const ALL: [Queue; 5] = [
        Queue::Sales,
        Queue::Helpdesk,
        Queue::Purchasing,
        Queue::Accounting,
        Queue::Other,
    ];

    /// The queue's name (`sales`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Queue::Sales => "sales",
            Queue::Helpdesk => "helpdesk",
            Queue::Purchasing => "purchasing",
            Queue::Accounting => "accounting",
            Queue::Other => "other",
        }
    }

    /// The queue with this name (any case).
    pub fn parse(s: &str) -> Option<Queue> {
        Queue::ALL
            .into_iter()
            .find(|q| q.name().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// `quote request`
    QuoteRequest,
    /// `new order`
    NewOrder,
    /// `order change or cancellation`
    OrderChange,
    /// `order status`
    OrderStatus,
    /// `delivery problem`
    DeliveryProblem,
    /// `return / RMA`
    Return,
    /// `damaged goods`
    DamagedGoods,
    /// `invoice question or dispute`
    InvoiceQuestion,
    /// `payment`
    Payment,
    /// `product question`
    ProductQuestion,
    /// `other`
    Other,
}

impl Category {
    /// Every category.
    pub const ALL: [Category; 11] = [
        Category::QuoteRequest,
        Category::NewOrder,
        Category::OrderChange,
        Category::OrderStatus,
        Category::DeliveryProblem,
        Category::Return,
        Category::DamagedGoods,
        Category::InvoiceQuestion,
        Category::Payment,
        Category::ProductQuestion,
        Category::Other,
    ];

    /// The category's name, exactly as customer service reads it.
    pub fn name(self) -> &'static str {
        match self {
            Category::QuoteRequest => "quote request",
            Category::NewOrder => "new order",
            Category::OrderChange => "order change or cancellation",
            Category::OrderStatus => "order status",
            Category::DeliveryProblem => "delivery problem",
            Category::Return => "return / RMA",
            Category::DamagedGoods => "damaged goods",
            Category::InvoiceQuestion => "invoice question or dispute",
            Category::Payment => "payment",
            Category::ProductQuestion => "product question",
            Category::Other => "other",
        }
    }

    /// The category with this name (any case, spaces around `/` optional).
    pub fn parse(s: &str) -> Option<Category> {
        let norm = |x: &str| {
            x.trim()
                .to_ascii_lowercase()
                .replace(" / ", "/")
                .replace(['_', '-'], " ")
        };
        let s = norm(s);
        Category::ALL.into_iter().find(|c| norm(c.name()) == s)
    }

    /// The queue a category goes to when nothing else says otherwise (a
    /// supplier's message goes to purchasing whatever its category).
    pub fn default_queue(self) -> Queue {
        match self {
            Category::QuoteRequest
            | Category::NewOrder
            | Category::OrderChange
            | Category::ProductQuestion => Queue::Sales,
            Category::OrderStatus
            | Category::DeliveryProblem
            | Category::Return
            | Category::DamagedGoods => Queue::Helpdesk,
            Category::InvoiceQuestion | Category::Payment => Queue::Accounting,
            Category::Other => Queue::Other,
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Category {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Category {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Category::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown category {s:?}")))
    }
}

/// Where one label goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// The queue.
    pub queue: Queue,
    /// The category.
    pub category: Category,
}

/// The built-in mapping of Bitext's customer-support intents. Account
/// administration, contact requests, reviews and complaints go to the
/// helpdesk as `other`; newsletters to `other`; refunds are returns, a refund
/// being tracked is a payment question.
pub fn bitext(intent: &str) -> Option<Route> {
    use Category as C;
    use Queue as Q;
    let (queue, category) = match intent {
        "place_order" => (Q::Sales, C::NewOrder),
        "cancel_order" | "change_order" | "change_shipping_address" | "check_cancellation_fee" => {
            (Q::Sales, C::OrderChange)
        }
        "delivery_options" => (Q::Sales, C::ProductQuestion),
        "track_order" | "delivery_period" => (Q::Helpdesk, C::OrderStatus),
        "get_refund" | "check_refund_policy" => (Q::Helpdesk, C::Return),
        "check_invoice" | "get_invoice" => (Q::Accounting, C::InvoiceQuestion),
        "check_payment_methods" | "payment_issue" | "track_refund" => (Q::Accounting, C::Payment),
        "complaint"
        | "contact_customer_service"
        | "contact_human_agent"
        | "review"
        | "create_account"
        | "delete_account"
        | "edit_account"
        | "recover_password"
        | "registration_problems"
        | "switch_account"
        | "set_up_shipping_address" => (Q::Helpdesk, C::Other),
        "newsletter_subscription" => (Q::Other, C::Other),
        _ => return None,
    };
    Some(Route { queue, category })
}

/// The route of a label by the built-in rules (see the module's doc).
pub fn builtin(label: &str) -> Route {
    let l = label.trim();
    if let Some(c) = Category::parse(l) {
        return Route {
            queue: c.default_queue(),
            category: c,
        };
    }
    if let Some((q, c)) = l.split_once(':') {
        if let (Some(queue), Some(category)) = (Queue::parse(q), Category::parse(c)) {
            return Route { queue, category };
        }
    }
    if let Some(queue) = Queue::parse(l) {
        return Route {
            queue,
            category: Category::Other,
        };
    }
    bitext(l).unwrap_or(Route {
        queue: Queue::Other,
        category: Category::Other,
    })
}

/// Reads an explicit mapping: a CSV with the header `label,queue,category`.
pub fn read_map(path: &Path) -> Result<BTreeMap<String, Route>> {
    let mut rdr = csv::ReaderBuilder::new()
        .from_path(path)
        .map_err(|e| csv_err(path, &e))?;
    let headers = rdr.headers().map_err(|e| csv_err(path, &e))?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| TriageError::MissingColumn {
                path: path.to_path_buf(),
                column: name.to_string(),
                available: headers.iter().collect::<Vec<_>>().join(","),
            })
    };
    let (cl, cq, cc) = (col("label")?, col("queue")?, col("category")?);
    let mut out = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_err(path, &e))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let bad = |reason: String| TriageError::Csv {
            path: path.to_path_buf(),
            line,
            reason,
        };
        let q = rec.get(cq).unwrap_or("");
        let c = rec.get(cc).unwrap_or("");
        let queue = Queue::parse(q).ok_or_else(|| {
            bad(format!(
                "unknown queue {q:?} (one of: sales, helpdesk, purchasing, accounting, other)"
            ))
        })?;
        let category = Category::parse(c).ok_or_else(|| {
            bad(format!(
                "unknown category {c:?} (one of: {})",
                Category::ALL.map(|c| c.name()).join(", ")
            ))
        })?;
        out.insert(
            rec.get(cl).unwrap_or("").trim().to_string(),
            Route { queue, category },
        );
    }
    Ok(out)
}

pub(crate) fn csv_err(path: &Path, e: &csv::Error) -> TriageError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    match e.kind() {
        csv::ErrorKind::Io(io) => TriageError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(io.kind(), io.to_string()),
        },
        _ => TriageError::Csv {
            path: path.to_path_buf(),
            line,
            reason: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_labels_map() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.name()), Some(c));
        }
        assert_eq!(Category::parse("Return/RMA"), Some(Category::Return));
        assert_eq!(builtin("damaged goods").queue, Queue::Helpdesk);
        let r = builtin("purchasing:order status");
        assert_eq!(
            (r.queue, r.category),
            (Queue::Purchasing, Category::OrderStatus)
        );
        assert_eq!(builtin("cancel_order").category, Category::OrderChange);
        assert_eq!(builtin("whatever").queue, Queue::Other);
        assert_eq!(
            serde_json::to_string(&Category::Return).unwrap(),
            "\"return / RMA\""
        );
    }
}

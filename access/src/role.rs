//! [`Role`]: what a user does, which decides what they may see and do.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{AccessError, Result};

/// A role. A user has one or more; their rights are the union of their roles'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Executives: every KPI, margins included.
    Executive,
    /// Planners: forecasts, reorder suggestions, stock and demand; no money figures.
    Planner,
    /// Customer service: order status and service levels; no costs, margins or prices.
    Service,
    /// Procurement: supplier catalogs and vendor prices (costs); no margins.
    Procurement,
    /// Administrators: users and settings; see everything, in every company.
    Admin,
}

impl Role {
    /// Every role, in the order of the documentation.
    pub const ALL: [Role; 5] = [
        Role::Executive,
        Role::Planner,
        Role::Service,
        Role::Procurement,
        Role::Admin,
    ];

    /// The lowercase name (`executive`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Executive => "executive",
            Role::Planner => "planner",
            Role::Service => "service",
            Role::Procurement => "procurement",
            Role::Admin => "admin",
        }
    }

    /// Parses a comma-separated list such as `planner,service` (duplicates
    /// are merged; the result is sorted).
    pub fn parse_list(text: &str) -> Result<Vec<Role>> {
        let mut roles: Vec<Role> = text
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::parse)
            .collect::<Result<_>>()?;
        roles.sort();
        roles.dedup();
        Ok(roles)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = AccessError;

    fn from_str(s: &str) -> Result<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| AccessError::UnknownRole {
                text: s.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_display_lowercase() {
        for r in Role::ALL {
            assert_eq!(r.to_string().parse::<Role>().unwrap(), r);
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
        assert_eq!("Admin".parse::<Role>().unwrap(), Role::Admin);
        assert_eq!(
            Role::parse_list("service, planner,service").unwrap(),
            vec![Role::Planner, Role::Service]
        );
        let e = Role::parse_list("planner,boss").unwrap_err().to_string();
        assert!(e.contains("\"boss\"") && e.contains("procurement"), "{e}");
    }
}

//! What admins granted each plugin, kept as canonical grant strings (`net api.github.com`,
//! `secret GITHUB_TOKEN --inject api.github.com --header 'Authorization: Bearer {}'`).
//! Parsing and matching live in [`crate::policy`]; this module only stores.

use anyhow::Context;

use super::Store;

impl Store {
    /// The grants of `plugin`, in the order they were given.
    pub fn grants(&self, plugin: &str) -> anyhow::Result<Vec<String>> {
        match self.grants.get(plugin)? {
            Some(v) => serde_json::from_slice(&v).context("a grant record in the store is corrupt"),
            None => Ok(Vec::new()),
        }
    }

    /// Every plugin that has grants, with them.
    pub fn all_grants(&self) -> anyhow::Result<Vec<(String, Vec<String>)>> {
        self.grants
            .iter()
            .map(|entry| {
                let (k, v) = entry?;
                let list =
                    serde_json::from_slice(&v).context("a grant record in the store is corrupt")?;
                Ok((String::from_utf8_lossy(&k).into_owned(), list))
            })
            .collect()
    }

    /// Adds a grant; false when it was already there. Durable when this returns.
    pub fn add_grant(&self, plugin: &str, grant: &str) -> anyhow::Result<bool> {
        let mut list = self.grants(plugin)?;
        if list.iter().any(|g| g == grant) {
            return Ok(false);
        }
        list.push(grant.to_string());
        self.put_grants(plugin, &list)?;
        Ok(true)
    }

    /// Removes a grant; false when it was not there. Durable when this returns.
    pub fn remove_grant(&self, plugin: &str, grant: &str) -> anyhow::Result<bool> {
        let mut list = self.grants(plugin)?;
        let before = list.len();
        list.retain(|g| g != grant);
        if list.len() == before {
            return Ok(false);
        }
        self.put_grants(plugin, &list)?;
        Ok(true)
    }

    fn put_grants(&self, plugin: &str, list: &[String]) -> anyhow::Result<()> {
        if list.is_empty() {
            self.grants.remove(plugin)?;
        } else {
            self.grants.insert(plugin, serde_json::to_vec(list)?)?;
        }
        self.flush()
    }
}

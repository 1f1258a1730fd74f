//! The access rules and the admins added at run time (`cove acl …`, `cove admin add`), kept
//! as one JSON document. Admins named in the configuration are added on top when loaded.

use anyhow::Context;

use super::Store;
use crate::policy::acl::Acl;

const ACL_KEY: &str = "acl";

impl Store {
    /// The stored access list (the default one when none was saved).
    pub fn acl(&self) -> anyhow::Result<Option<Acl>> {
        match self.meta(ACL_KEY)? {
            Some(bytes) => Ok(Some(
                serde_json::from_slice(&bytes).context("the stored access list is corrupt")?,
            )),
            None => Ok(None),
        }
    }

    /// Saves the access list; durable when this returns.
    pub fn set_acl(&self, acl: &Acl) -> anyhow::Result<()> {
        self.set_meta(ACL_KEY, &serde_json::to_vec(acl)?)
    }
}

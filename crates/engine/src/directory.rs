//! The customer directory the IVR identifies callers against (`identify ani`, `identify pin`):
//! the CRM's `IdentifyCaller`, called with the engine's service credential.
//!
//! The core asks with [`call_control::Output::IdentifyCaller`] and waits at most
//! [`call_control::IDENTIFY_TIMEOUT`]; the driver runs each look-up as a task of its own and
//! hands the answer back. A look-up that fails (CRM down, timeout, refusal) answers "nobody":
//! the caller goes on as a guest, as DOMAIN.md wants after failed identification, and the
//! failure is logged without the caller's number.

use std::sync::Arc;

use common::Pii;
use tokio::sync::Semaphore;
use tracing::{debug, warn};

/// Look-ups in flight at most; past it a caller is answered "nobody" at once (and a warning
/// logged), so that a stalled CRM cannot pile up tasks.
pub const MAX_LOOKUPS_IN_FLIGHT: usize = 256;

/// Where caller look-ups go.
#[derive(Clone, Debug)]
pub struct Directory {
    client: Option<cti_proto::crm::Client>,
    slots: Arc<Semaphore>,
}

impl Directory {
    /// No directory: every caller is a guest (an engine without a CRM, tests of the IVR).
    pub fn none() -> Self {
        Self {
            client: None,
            slots: Arc::new(Semaphore::new(MAX_LOOKUPS_IN_FLIGHT)),
        }
    }

    /// The CRM at `url` (`http://HOST:PORT`), with the engine's service credential.
    /// Connects on first use.
    pub fn crm(url: &str, token: String) -> Result<Self, String> {
        let client = cti_proto::crm::connect_lazy(url.to_string(), Some(token))
            .map_err(|e| format!("crm url {url}: {e}"))?;
        Ok(Self {
            client: Some(client),
            slots: Arc::new(Semaphore::new(MAX_LOOKUPS_IN_FLIGHT)),
        })
    }

    /// Whether look-ups go anywhere.
    pub fn is_configured(&self) -> bool {
        self.client.is_some()
    }

    /// A slot for one more look-up, or `None` when [`MAX_LOOKUPS_IN_FLIGHT`] are running.
    pub(crate) fn slot(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        Arc::clone(&self.slots).try_acquire_owned().ok()
    }

    /// Who calls from `number` (with `pin`, when the caller typed one)? `None` for nobody,
    /// and for any failure (logged).
    pub async fn identify(
        &self,
        number: Option<String>,
        pin: Option<Pii<String>>,
    ) -> Option<ivr::Customer> {
        let client = self.client.as_ref()?;
        let with_pin = pin.is_some();
        let request = cti_proto::crm::IdentifyCallerRequest {
            number: number.unwrap_or_default(),
            pin: pin.map(Pii::into_inner),
        };
        match client.clone().identify_caller(request).await {
            Ok(found) => {
                let found = found.into_inner();
                debug!(with_pin, "caller identified");
                Some(ivr::Customer {
                    id: found.customer_id.to_string(),
                    display_name: Pii::new(found.display_name),
                })
            }
            Err(status) if status.code() == tonic::Code::NotFound => {
                debug!(with_pin, "caller not identified");
                None
            }
            Err(status) => {
                warn!(code = ?status.code(), reason = %status.message(), "caller look-up failed: the caller goes on as a guest");
                None
            }
        }
    }
}

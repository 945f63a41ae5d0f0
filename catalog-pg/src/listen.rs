//! Wake-ups for followers of the change log: `LISTEN` on one dedicated
//! connection to the primary (standbys refuse `LISTEN`), outside the pools.
//!
//! Every transaction that appends to the log notifies [`CHANGES_CHANNEL`]
//! at its commit, with its instance's id (an import's is empty); a listener
//! skips its own instance's, whose keys that instance dropped already. A notification sent while the listener is disconnected is
//! gone, so the listener also wakes its follower after every (re)connect,
//! and the follower still reads the log every few seconds.

use std::sync::Arc;
use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::StreamExt;
use tokio::sync::Notify;

use crate::ddl::CHANGES_CHANNEL;
use crate::store::PgStore;

/// How long the listener waits before connecting again after it lost its
/// connection or could not open one.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

impl PgStore {
    /// Listens for the change log's notifications and wakes `wake` on each
    /// (and after each connect); runs until dropped, reconnecting whenever
    /// the connection fails. Spawn it beside a follower of the log.
    pub async fn follow_notifications(&self, wake: Arc<Notify>) {
        let mut failing = false;
        loop {
            match listen(&self.primary_url, &self.instance, &wake).await {
                Ok(()) => tracing::warn!("the change log's listener lost its connection; connecting again"),
                Err(err) if !failing => {
                    tracing::warn!(%err, "the change log's listener cannot connect; trying on");
                    failing = true;
                }
                Err(_) => {}
            }
            // Whatever was notified meanwhile is lost: read the log.
            wake.notify_one();
            tokio::time::sleep(RECONNECT_DELAY).await;
        }
    }
}

/// One connection's life: `LISTEN`, wake once (anything before it is unknown),
/// then wake for each notification until the connection ends, except those
/// of `instance`'s own writes (it has dropped what they touched already).
async fn listen(url: &str, instance: &str, wake: &Notify) -> Result<(), diesel::ConnectionError> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    conn.batch_execute(&format!("LISTEN {CHANGES_CHANNEL}"))
        .await
        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
    tracing::debug!("listening for the change log's notifications");
    wake.notify_one();
    let mut notifications = std::pin::pin!(conn.notifications_stream());
    while let Some(notification) = notifications.next().await {
        match notification {
            Ok(notification) if notification.payload == instance => {}
            Ok(_) => wake.notify_one(),
            Err(err) => {
                tracing::warn!(%err, "the change log's listener failed");
                return Ok(());
            }
        }
    }
    Ok(())
}

"""The notification queue: enqueue, claim, send, retry, rescue, clean up."""

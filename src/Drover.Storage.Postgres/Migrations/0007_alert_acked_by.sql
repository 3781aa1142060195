-- Who or what acknowledged an alert when it was not a person ("resolved: job succeeded"); null for a person's ack.
ALTER TABLE alerts ADD COLUMN acked_by TEXT;

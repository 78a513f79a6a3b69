-- leaseHistory() reports which attempt and lease epoch each lease event is about, and can
-- follow one execution. (Events written before this migration read as attempt 0, epoch 0.)

ALTER TABLE ff_lease_event ADD COLUMN attempt_index INTEGER;
ALTER TABLE ff_lease_event ADD COLUMN lease_epoch INTEGER;

CREATE INDEX ff_lease_event_execution_idx
    ON ff_lease_event (partition_key, execution_id, event_id);

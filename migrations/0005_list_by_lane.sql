-- listExecutions pages in creation order (rowid); with a lane filter it walks this index,
-- whose entries end in the rowid.

CREATE INDEX ff_exec_core_lane_idx ON ff_exec_core (partition_key, lane_id);

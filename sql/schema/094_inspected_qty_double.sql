-- Attribute inspection sizes may be fractional (issue 20): a u chart over 9.5 units of cloth,
-- an area, a length or a weight. defects.inspected_qty was BIGINT in 030_raw / 035_core; the
-- contract (twin_core/contracts.py) now types it DOUBLE, and the row rule inspected_whole_units
-- quarantines a fractional size, since each defect code's chart is a p or np chart of whole
-- units. Existing whole values convert exactly.
alter table raw.defects alter column inspected_qty set data type double;
alter table core.defects alter column inspected_qty set data type double;

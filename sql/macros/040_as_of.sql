-- Time travel by date: any twin table as the twin saw it on day d (latest snapshot with as_of <= d).
-- Example: select * from twin.as_of('material_status', date '2026-03-01');
create or replace macro twin.as_of(table_name, d) as table
select * from query_table('history.' || table_name) where snapshot_id = twin.snapshot_as_of(d);

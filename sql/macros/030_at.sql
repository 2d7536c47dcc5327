-- Time travel by snapshot: any twin table as it was in snapshot sid.
-- Example: select * from twin.at('machine_health', 3);
create or replace macro twin.at(table_name, sid) as table
select * from query_table('history.' || table_name) where snapshot_id = sid;

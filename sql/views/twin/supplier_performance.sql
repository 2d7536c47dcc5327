-- twin.supplier_performance of the latest complete snapshot; history.supplier_performance holds every snapshot.
create or replace view twin.supplier_performance as
select * from history.supplier_performance where snapshot_id = twin.current_snapshot();
